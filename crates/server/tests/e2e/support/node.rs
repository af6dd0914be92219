//! A `pingme serve` process of a test's own: started with the settings the test gives, its
//! log drained as it comes (a chatty server never blocks on a full pipe), its memory read
//! from `/proc`, and stopped with SIGTERM or killed outright with SIGKILL.

use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Node {
    pub url: String,
    child: Child,
    log: Arc<Mutex<String>>,
}

/// What `/proc/<pid>/status` says of a process's memory, in KiB.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// Resident now (`VmRSS`).
    pub rss: u64,
    /// The most it has been resident (`VmHWM`).
    pub peak: u64,
}

impl Node {
    /// Runs `pingme serve` on a free port of 127.0.0.1 and waits for it to listen.
    pub async fn start(mut command: Command) -> Self {
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("pingme starts");
        let log = Arc::new(Mutex::new(String::new()));
        drain(child.stderr.take().expect("stderr"), log.clone());
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("pingme listens in time")
            .expect("stdout")
            .unwrap_or_else(|| panic!("pingme exited: {}", log.lock().unwrap()));
        let url = line.rsplit(' ').next().expect("a URL").to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        Self { url, child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    pub fn memory(&self) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/<pid>/status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in /proc/<pid>/status"))
        };
        Memory {
            rss: field("VmRSS:"),
            peak: field("VmHWM:"),
        }
    }

    /// Descriptors the process holds open now.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("/proc/<pid>/fd")
            .count()
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub async fn kill(mut self) -> String {
        self.child.kill().await.expect("killed");
        self.log()
    }

    /// SIGTERM, then waits for a clean exit.
    pub async fn terminate(mut self) -> String {
        let pid = self.pid().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let exit = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("exits in time")
            .expect("exit status");
        assert!(exit.success(), "exit {exit:?}: {}", self.log());
        self.log()
    }

    /// Logs in over HTTP; the access token.
    pub async fn login(&self, client: &reqwest::Client, username: &str, password: &str) -> String {
        let body: Value = client
            .post(format!("{}/api/token/", self.url))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("tokens");
        body["access"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_owned()
    }
}

fn drain(stderr: tokio::process::ChildStderr, log: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut stderr = stderr;
        let mut chunk = vec![0; 16 * 1024];
        while let Ok(n) = stderr.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            log.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
}
