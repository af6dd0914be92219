//! `pingme-bench-plot CSV PNG TITLE X-LABEL Y-LABEL`: draws the `series,x,y` lines of CSV
//! (as `run-curves` writes them) into PNG; see [`pingme_bench::curves`].

use anyhow::Context;
use pingme_bench::curves::{Chart, parse_csv, plot};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [csv, png, title, x, y] = &args[..] else {
        anyhow::bail!("usage: pingme-bench-plot CSV PNG TITLE X-LABEL Y-LABEL");
    };
    let text = std::fs::read_to_string(csv).with_context(|| format!("reading {csv}"))?;
    let chart = Chart { title, x, y };
    plot(&parse_csv(&text)?, &chart, Path::new(png))
}
