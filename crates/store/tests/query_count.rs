//! A listing of servers costs the same number of queries whatever it holds: no query per
//! server, channel or member. Counted from the statement logs of sqlx and of the store's
//! direct SQLite reads (`pingme_store::direct`), in a test binary of its
//! own so no other test's queries are counted — and only the statements that read the
//! listing's tables, so that the store's own background work (the WAL checkpoint every
//! 100 ms) falling inside the measured window is not counted with it.

use pingme_domain::account::{Email, NewAccount, Username};
use pingme_domain::community::{CategoryName, NewCategory, NewServer, ServerName, ServerQuery};
use pingme_domain::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

#[derive(Clone, Default)]
struct Statements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if !["sqlx::query", "pingme_store::direct"].contains(&event.metadata().target()) {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        if statement.reads_the_listing() {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The SQL text of a logged statement.
#[derive(Default)]
struct Statement(String);

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let statement = ["db.statement", "statement"].contains(&field.name());
        if statement || (field.name() == "summary" && self.0.is_empty()) {
            self.0 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

impl Statement {
    /// Whether it reads one of the tables a server listing is made of (a checkpoint's
    /// `PRAGMA`, say, does not).
    fn reads_the_listing(&self) -> bool {
        let sql = self.0.to_ascii_lowercase();
        [
            "from servers",
            "from channels",
            "from memberships",
            "join servers",
        ]
        .iter()
        .any(|table| sql.contains(table))
    }
}

impl Statements {
    async fn during<T>(&self, work: impl std::future::Future<Output = T>) -> (T, usize) {
        let before = self.0.load(Ordering::SeqCst);
        let result = work.await;
        (result, self.0.load(Ordering::SeqCst) - before)
    }
}

async fn add_servers(store: &Arc<dyn Store>, count: usize, first: usize) {
    let category = match store.category_by_name("general").await.unwrap() {
        Some(category) => category.id,
        None => {
            store
                .create_category(&NewCategory {
                    name: CategoryName::parse("general").unwrap(),
                    description: None,
                })
                .await
                .unwrap()
                .id
        }
    };
    for n in first..first + count {
        let login = format!("owner{n}");
        let new = NewAccount {
            login: Username::parse(&login).unwrap(),
            email: Email::parse(&format!("{login}@example.com")).unwrap(),
            password_hash: "$argon2id$x".into(),
            is_staff: false,
            verified: true,
        };
        let owner = store.create_account(&new).await.unwrap().id;
        let server = NewServer {
            name: ServerName::parse("s").unwrap(),
            description: None,
            owner,
            category,
            is_private: false,
        };
        store.create_server(&server).await.unwrap();
    }
}

#[tokio::test]
async fn listing_servers_takes_a_constant_number_of_queries() {
    let statements = Statements::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(statements.clone()),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = pingme_store::open(&format!(
        "sqlite:{}",
        dir.path().join("count.sqlite3").display()
    ))
    .await
    .unwrap();

    add_servers(&store, 1, 0).await;
    let (one, few) = statements
        .during(store.servers(&ServerQuery::default()))
        .await;
    add_servers(&store, 40, 1).await;
    let (many, more) = statements
        .during(store.servers(&ServerQuery::default()))
        .await;
    assert_eq!((one.unwrap().len(), many.unwrap().len()), (1, 41));
    assert!(few > 0, "statements are counted");
    assert_eq!(few, more, "1 server took {few} statements, 41 took {more}");
}
