//! Scratch Postgres databases, for the test suites: a fresh database of its own on a server,
//! dropped when its guard is, even after a panic and whatever connections are left.

use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

pub struct ScratchDatabase {
    /// The database's own URL.
    pub url: String,
    /// The server's URL, to drop it from.
    server_url: String,
    name: String,
}

impl ScratchDatabase {
    /// Creates `<prefix>_<process>_<n>` on the server `server_url` names (dropping a leftover
    /// of that name first).
    pub async fn create(server_url: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = sqlx::PgPool::connect(server_url).await?;
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&admin)
                .await?;
        }
        admin.close().await;
        Ok(Self {
            url: with_database(server_url, &name),
            server_url: server_url.to_owned(),
            name,
        })
    }
}

impl Drop for ScratchDatabase {
    /// Runs on a thread and runtime of its own: the test's runtime may be blocked, or gone.
    fn drop(&mut self) {
        let (server_url, name) = (self.server_url.clone(), std::mem::take(&mut self.name));
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let admin = sqlx::PgPool::connect(&server_url).await?;
                let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(statement))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the scratch database {}", self.url);
        }
    }
}

/// The URL with its database replaced: `postgres://u@h:5432/postgres?x` → `…/name?x`.
pub fn with_database(url: &str, name: &str) -> String {
    let (url, query) = url
        .split_once('?')
        .map_or((url, None), |(u, q)| (u, Some(q)));
    let authority = url.find("://").map_or(0, |i| i + 3);
    let base = match url[authority..].find('/') {
        Some(slash) => &url[..authority + slash],
        None => url,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}
