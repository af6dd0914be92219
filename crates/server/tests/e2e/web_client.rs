//! pingme's web client in a real Chromium: the flows of `web/e2e/*.test.mjs` (Playwright's
//! library, axe-core), each against this build's `pingme` binary on a data directory of its
//! own. They need Chromium (`PINGME_TEST_CHROMIUM`) and `npm ci` in `web/`: a plain `cargo test`
//! lists them as ignored; `.ci/run` provides both and runs them. Screenshots land in
//! `PINGME_SCREENSHOTS` (default `web/e2e/screenshots/`).

use crate::support::browser;
use std::path::PathBuf;
use std::process::Command;

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Runs one file of `web/e2e/` with Node's test runner, its output passed through.
fn run(file: &str) {
    let web = web_dir();
    assert!(
        web.join("node_modules/playwright-core").is_dir(),
        "the browser tests need web/node_modules: run `npm ci` in web/ (.ci/run does)"
    );
    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", &format!("e2e/{file}")])
        .current_dir(&web)
        .env("PINGME_BIN", env!("CARGO_BIN_EXE_pingme"))
        .env(browser::ENV, browser::chromium())
        .status()
        .expect("node runs (the browser tests need Node.js)");
    assert!(status.success(), "web/e2e/{file} failed: {status}");
}

#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn accounts_in_the_browser() {
    run("auth.test.mjs");
}
