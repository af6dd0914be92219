//! The `pingme-bench` command; see the library for the scenarios.

use clap::Parser;
use pingme_bench::Cli;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.common.threads.max(1))
        .enable_all()
        .build()?;
    let report = runtime.block_on(pingme_bench::run(&cli.common, &cli.scenario))?;
    report.print();
    if let Some(path) = &cli.common.json {
        report.write(path)?;
    }
    anyhow::ensure!(
        report.clean(),
        "the run had errors, lost or duplicated deliveries"
    );
    Ok(())
}
