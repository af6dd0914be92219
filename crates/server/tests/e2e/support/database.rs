//! The database of one test app: a fresh SQLite file in its data directory, or, when
//! `PINGME_TEST_E2E_BACKEND=postgres` (with `PINGME_TEST_POSTGRES_URL`), a fresh Postgres
//! database of its own, dropped with the app. `.ci/run` runs the whole suite both ways.

use pingme_store::scratch::ScratchDatabase;
use std::path::Path;

pub struct TestDatabase {
    /// What the app's `DATABASE_URL` is.
    pub url: String,
    /// The Postgres database this app made, dropped with it.
    _postgres: Option<ScratchDatabase>,
}

impl TestDatabase {
    /// A database this app does not drop: another app's, or an SQLite file in its data
    /// directory (which goes with the directory).
    pub fn shared(url: String) -> Self {
        Self {
            url,
            _postgres: None,
        }
    }

    pub async fn create(data_dir: &Path) -> Self {
        if std::env::var("PINGME_TEST_E2E_BACKEND").as_deref() != Ok("postgres") {
            let url = format!("sqlite:{}", data_dir.join("pingme.sqlite3").display());
            return Self::shared(url);
        }
        let admin_url = std::env::var("PINGME_TEST_POSTGRES_URL")
            .expect("PINGME_TEST_E2E_BACKEND=postgres needs PINGME_TEST_POSTGRES_URL");
        Self::postgres(&admin_url).await
    }

    /// A fresh database of its own on the Postgres server `admin_url` names.
    pub async fn postgres(admin_url: &str) -> Self {
        let scratch = ScratchDatabase::create(admin_url, "pingme_e2e")
            .await
            .expect("the test Postgres server makes a database");
        Self {
            url: scratch.url.clone(),
            _postgres: Some(scratch),
        }
    }
}
