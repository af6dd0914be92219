//! pingme-bench runs every scenario against pingme without errors, lost or duplicated
//! deliveries: a few seconds each, with small numbers. (The figures are the benchmark's
//! business, never asserted here.)

use crate::support::{PASSWORD, TestApp, spawn_app};
use clap::Parser;
use pingme_bench::Cli;

/// Runs `pingme-bench <args>` against the app, as the users in `users.csv`.
async fn bench(app: &TestApp, users: &std::path::Path, args: &[&str]) -> pingme_bench::Report {
    let json = users.with_file_name(format!("{}.json", args[0]));
    let common = [
        "pingme-bench",
        "--base",
        &app.url,
        "--users",
        &users.to_string_lossy(),
        "--warmup",
        "300ms",
        "--duration",
        "1s",
        "--json",
        &json.to_string_lossy(),
    ];
    let cli = Cli::parse_from(common.iter().chain(args));
    let report = pingme_bench::run(&cli.common, &cli.scenario)
        .await
        .expect("the scenario runs");
    report.write(&json).expect("the report is written");
    assert!(json.exists() && json.with_extension("png").exists() == report.latency_us.is_some());
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_cleanly() {
    let app = spawn_app().await;
    let mut csv = String::from("username,password\n");
    for n in 0..12 {
        app.quick_user(&format!("bench{n}"), false).await;
        csv.push_str(&format!("bench{n},{PASSWORD}\n"));
    }
    let users = app.data_dir.join("users.csv");
    std::fs::write(&users, csv).unwrap();
    let runs: [&[&str]; 10] = [
        &["rest", "--endpoint", "me", "--concurrency", "4"],
        &[
            "rest",
            "--endpoint",
            "mix",
            "--messages",
            "30",
            "--concurrency",
            "6",
        ],
        &[
            "rest",
            "--endpoint",
            "servers",
            "--servers",
            "2",
            "--concurrency",
            "4",
        ],
        &[
            "rest",
            "--endpoint",
            "history",
            "--concurrency",
            "4",
            "--messages",
            "120",
        ],
        &["fanout", "--sockets", "20", "--senders", "3"],
        &["gateway-fanout", "--sessions", "20", "--senders", "3"],
        &["ready", "--servers", "3", "--channels", "4"],
        &[
            "rooms",
            "--channels",
            "4",
            "--per-channel",
            "3",
            "--rate",
            "200",
        ],
        &["idle", "--sockets", "30"],
        &["ingest", "--channels", "3", "--senders", "6"],
    ];
    for args in runs {
        let report = bench(&app, &users, args).await;
        assert!(
            report.clean(),
            "{args:?}: {} errors, {:?} lost, {:?} twice",
            report.errors,
            report.lost,
            report.duplicated
        );
        assert!(report.total > 0, "{args:?} measured nothing");
    }
}
