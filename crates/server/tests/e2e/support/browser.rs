//! A headless Chromium driven over the DevTools protocol, for the browser tests. They need
//! `PINGME_TEST_CHROMIUM` to name a Chromium binary: a plain `cargo test` lists them as
//! ignored, and `.ci/run` installs Chromium and runs them.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const ENV: &str = "PINGME_TEST_CHROMIUM";

/// How long a page may take to get to a state the test waits for.
const WAIT: Duration = Duration::from_secs(15);

type Devtools = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The Chromium binary to test with. Browser tests are `#[ignore]`d (a plain `cargo test`
/// lists them as ignored) and fail, never skip, when run without [`ENV`].
pub fn chromium() -> String {
    std::env::var(ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| panic!("browser tests need {ENV} (the path of a Chromium binary)"))
}

/// One browser process; each [`Page`] gets its own browser context (its own cookies and
/// storage, as a separate browser would have).
pub struct Browser {
    process: Child,
    devtools: Arc<Mutex<Devtools>>,
    next_id: Arc<AtomicU64>,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn launch(binary: &str) -> Self {
        let profile = tempfile::tempdir().expect("profile directory");
        let mut process = Command::new(binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
            ])
            .args([
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {binary}: {e}"));
        let url = devtools_url(&mut process).await;
        let (devtools, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("devtools socket");
        Self {
            process,
            devtools: Arc::new(Mutex::new(devtools)),
            next_id: Arc::new(AtomicU64::new(1)),
            _profile: profile,
        }
    }

    /// Opens `url` in a fresh browser context and waits for it to load.
    ///
    /// The tab starts blank and is navigated once attached: a tab created with the URL may
    /// still show its first blank document, complete and without the page's script, when the
    /// first evaluation arrives. `Page.navigate` answers once the new document is committed.
    pub async fn page(&self, url: &str) -> Page {
        let context = self
            .call("Target.createBrowserContext", json!({}), None)
            .await;
        let target = self
            .call(
                "Target.createTarget",
                json!({"url": "about:blank", "browserContextId": context["browserContextId"]}),
                None,
            )
            .await;
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
                None,
            )
            .await;
        let session = attached["sessionId"]
            .as_str()
            .expect("a session")
            .to_owned();
        let page = Page {
            browser: self.handle(),
            session,
        };
        page.browser
            .call("Page.navigate", json!({"url": url}), Some(&page.session))
            .await;
        page.wait_for(&format!(
            "document.readyState === 'complete' && location.href === {}",
            json!(url)
        ))
        .await;
        page
    }

    /// Closes the browser and waits for it to exit.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(WAIT, self.call("Browser.close", json!({}), None)).await;
        if tokio::time::timeout(WAIT, self.process.wait())
            .await
            .is_err()
        {
            let _ = self.process.kill().await;
        }
    }

    fn handle(&self) -> Handle {
        Handle {
            devtools: self.devtools.clone(),
            next_id: self.next_id.clone(),
        }
    }

    async fn call(&self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.handle().call(method, params, session).await
    }
}

/// Chromium prints its DevTools address on standard error once it listens.
async fn devtools_url(process: &mut Child) -> String {
    let mut lines = BufReader::new(process.stderr.take().expect("stderr")).lines();
    let found = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.expect("reading chromium's output") {
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("chromium exited before listening");
    });
    let url = found.await.expect("chromium listening in time");
    // Keep draining its output so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    url
}

/// The shared DevTools connection; one command at a time.
#[derive(Clone)]
struct Handle {
    devtools: Arc<Mutex<Devtools>>,
    next_id: Arc<AtomicU64>,
}

impl Handle {
    /// Sends a command and returns its result; events that arrive meanwhile are dropped.
    async fn call(&self, method: &str, params: Value, session: Option<&str>) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let mut devtools = self.devtools.lock().await;
        devtools
            .send(Message::text(command.to_string()))
            .await
            .expect("devtools send");
        loop {
            let message = tokio::time::timeout(WAIT * 2, devtools.next())
                .await
                .unwrap_or_else(|_| panic!("{method}: no answer in time"))
                .expect("devtools open")
                .expect("devtools frame");
            let Message::Text(text) = message else {
                continue;
            };
            let answer: Value = serde_json::from_str(text.as_str()).expect("devtools JSON");
            if answer["id"] == json!(id) {
                assert!(
                    answer.get("error").is_none(),
                    "{method}: {}",
                    answer["error"]
                );
                return answer["result"].clone();
            }
        }
    }
}

/// A tab in its own browser context.
pub struct Page {
    browser: Handle,
    session: String,
}

impl Page {
    /// Evaluates a JavaScript expression, awaiting it if it is a promise; its JSON value.
    /// A thrown error fails the test.
    pub async fn eval(&self, expression: &str) -> Value {
        let params = json!({"expression": expression, "awaitPromise": true, "returnByValue": true});
        let answer = self
            .browser
            .call("Runtime.evaluate", params, Some(&self.session))
            .await;
        if let Some(thrown) = answer.get("exceptionDetails") {
            panic!(
                "{expression}: {}",
                thrown["exception"]["description"]
                    .as_str()
                    .unwrap_or("an error")
            );
        }
        answer["result"]["value"].clone()
    }

    /// Waits until a JavaScript expression is truthy, then returns its value.
    pub async fn wait_for(&self, condition: &str) -> Value {
        let poll = format!(
            "new Promise((resolve, reject) => {{
                const until = Date.now() + {ms};
                const check = () => {{
                    let value;
                    try {{ value = ({condition}); }} catch (_) {{}}
                    if (value) return resolve(value);
                    if (Date.now() > until) return reject(new Error('timed out waiting for ' + {quoted}));
                    setTimeout(check, 20);
                }};
                check();
            }})",
            ms = WAIT.as_millis(),
            quoted = json!(condition),
        );
        self.eval(&poll).await
    }

    pub async fn reload(&self) {
        self.browser
            .call("Page.reload", json!({}), Some(&self.session))
            .await;
        // The old document may still be complete for a moment: wait for the new one.
        self.wait_for("document.readyState === 'complete' && !window.chat.api")
            .await;
    }
}
