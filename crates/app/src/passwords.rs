//! Password hashing with argon2id, memory-hard. Both hashing and verifying take tens of
//! milliseconds of CPU, so they run on the blocking pool, never on the async workers.

use crate::error::{AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// Verified against when the login name is unknown, so an unknown name costs the same
/// time as a wrong password and response times do not reveal which names exist.
static DECOY: LazyLock<Option<String>> = LazyLock::new(|| hash_now("pingme-decoy-password").ok());

/// Hashes at work at once: one per core. Each takes 19 MiB for its few milliseconds, so a
/// burst of logins neither starves the other blocking work nor balloons the memory.
static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    Arc::new(Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ))
});

/// Runs `work` on the blocking pool once a slot is free. The slot goes with the work, so it
/// stays taken until the hash is done even if the request is dropped meanwhile.
async fn in_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let slot = SLOTS
        .clone()
        .acquire_owned()
        .await
        .map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let done = work();
        drop(slot);
        done
    })
    .await
    .map_err(AppError::internal)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn hash(password: String) -> AppResult<String> {
    in_slot(move || hash_now(&password))
        .await?
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Whether `password` matches `stored`; with no stored hash, burns the same time and says no.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    in_slot(move || {
        let (candidate, real) = match &stored {
            Some(hash) => (hash.as_str(), true),
            None => (DECOY.as_deref().unwrap_or_default(), false),
        };
        let matches = PasswordHash::new(candidate).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        matches && real
    })
    .await
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(Argon2::default()
        .hash_password(password.as_bytes())?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(
            verify("correct horse".into(), Some(stored.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".into(), Some(stored)).await.unwrap());
        assert!(!verify("pingme-decoy-password".into(), None).await.unwrap());
    }
}
