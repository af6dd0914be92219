//! The database of one test app: a fresh SQLite file in its data directory, or, when
//! `PINGME_TEST_E2E_BACKEND=postgres` (with `PINGME_TEST_POSTGRES_URL`), a fresh Postgres
//! database of its own, dropped with the app. `.ci/run` runs the whole suite both ways.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT: AtomicU64 = AtomicU64::new(0);

pub struct TestDatabase {
    /// What the app's `DATABASE_URL` is.
    pub url: String,
    /// The server's URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Another app's database, which that app drops.
    pub fn shared(url: String) -> Self {
        Self {
            url,
            postgres: None,
        }
    }

    pub async fn create(data_dir: &Path) -> Self {
        let sqlite = || Self {
            url: format!("sqlite:{}", data_dir.join("pingme.sqlite3").display()),
            postgres: None,
        };
        if std::env::var("PINGME_TEST_E2E_BACKEND").as_deref() != Ok("postgres") {
            return sqlite();
        }
        let admin_url = std::env::var("PINGME_TEST_POSTGRES_URL")
            .expect("PINGME_TEST_E2E_BACKEND=postgres needs PINGME_TEST_POSTGRES_URL");
        Self::postgres(&admin_url).await
    }

    /// A fresh database of its own on the Postgres server `admin_url` names.
    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!(
            "pingme_e2e_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = sqlx::PgPool::connect(admin_url)
            .await
            .expect("the test Postgres server answers");
        for statement in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&admin)
                .await
                .expect("make the test database");
        }
        admin.close().await;
        Self {
            url: with_database(admin_url, &name),
            postgres: Some((admin_url.to_owned(), name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Dropping runs outside any runtime it could block: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let admin = sqlx::PgPool::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&admin)
                .await?;
                admin.close().await;
                Ok::<(), sqlx::Error>(())
            })
        })
        .join();
        if let Ok(Err(error)) = dropped {
            eprintln!("could not drop a test database: {error}");
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
