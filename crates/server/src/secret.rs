//! The signing secret. Production demands a real `SECRET_KEY`; development generates one
//! on first start and keeps it in the data directory, so tokens survive restarts.

use crate::settings::Environment;
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use std::path::Path;

pub const MIN_BYTES: usize = 32;
const FILE: &str = "secret_key";

/// Values that are known to the world: refusing them keeps a copied sample configuration
/// from signing production tokens.
fn is_well_known(secret: &str) -> bool {
    let lowered = secret.to_ascii_lowercase();
    lowered.starts_with("django-insecure")
        || lowered.contains("changeme")
        || lowered.contains("change-me")
        || lowered.contains("change_me")
        || secret
            .chars()
            .collect::<std::collections::HashSet<_>>()
            .len()
            < 8
}

pub fn load(
    environment: Environment,
    from_env: Option<SecretString>,
    data_dir: &Path,
) -> anyhow::Result<SecretString> {
    match (environment, from_env) {
        (Environment::Production, None) => {
            bail!(
                "SECRET_KEY must be set in production (at least {MIN_BYTES} bytes of random text)"
            )
        }
        (Environment::Production, Some(secret)) => {
            let value = secret.expose_secret();
            if value.len() < MIN_BYTES {
                bail!(
                    "SECRET_KEY is {} bytes long; production needs at least {MIN_BYTES}",
                    value.len()
                );
            }
            if is_well_known(value) {
                bail!("SECRET_KEY is a default or placeholder value; generate a random one");
            }
            Ok(secret)
        }
        (Environment::Development, Some(secret)) => Ok(secret),
        (Environment::Development, None) => {
            let path = data_dir.join(FILE);
            let secret = read_or_create(&path)?;
            tracing::warn!(file = %path.display(), "SECRET_KEY is not set: using a generated development key");
            Ok(secret)
        }
    }
}

fn read_or_create(path: &Path) -> anyhow::Result<SecretString> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= MIN_BYTES {
            return Ok(SecretString::from(existing.to_owned()));
        }
    }
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness for the secret key: {e}"))?;
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private(path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(SecretString::from(secret))
}

/// Writes a file only its owner may read.
#[cfg(unix)]
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Option<SecretString> {
        Some(SecretString::from(s.to_owned()))
    }

    #[test]
    fn production_refuses_missing_short_and_default_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let load = |s| load(Environment::Production, s, dir.path());
        assert!(load(None).is_err());
        assert!(load(secret("short")).is_err());
        assert!(
            load(secret(
                "django-insecure-0123456789abcdefghijklmnopqrstuvwxyz"
            ))
            .is_err()
        );
        assert!(load(secret("changeme-changeme-changeme-changeme")).is_err());
        assert!(load(secret(&"a".repeat(64))).is_err());
        assert!(load(secret("Jx8f2Lq9Zr4Vt7Wm1Np6Hs3Kd5Gb0Ye2Uc8Ia4Ro")).is_ok());
    }

    #[test]
    fn development_generates_a_key_once_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = load(Environment::Development, None, dir.path()).unwrap();
        let second = load(Environment::Development, None, dir.path()).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= MIN_BYTES);
        let given = load(Environment::Development, secret("dev"), dir.path()).unwrap();
        assert_eq!(given.expose_secret(), "dev");
    }
}
