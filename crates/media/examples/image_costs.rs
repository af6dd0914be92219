//! Measures what the image pipeline costs on the images that are cheap to send and costly to
//! decode: peak memory (VmHWM, reset once the input is built) and CPU time of one `process`
//! call, one case per run so that each peak is its own.
//!
//! ```sh
//! cargo run --release -p pingme-media --example image_costs          # every case
//! cargo run --release -p pingme-media --example image_costs -- png16  # one case
//! ```
//! docs/operations.md ("Limits") quotes its figures.

use pingme_media::fixtures::costly;
use pingme_media::{Purpose, inspect, process};
use std::process::Command;
use std::time::Instant;

const LIMIT: usize = 4 * 1024 * 1024;
const CASES: [&str; 12] = [
    "photo",
    "png16",
    "png16-max",
    "png-strip",
    "png16-grey-alpha",
    "png-wide",
    "png-tall",
    "jpeg-progressive",
    "jpeg-wide",
    "webp",
    "gif",
    "banner-square",
];

fn build(case: &str) -> (Vec<u8>, Purpose) {
    use png::{BitDepth, ColorType};
    let bytes = match case {
        "photo" | "banner-square" => costly::jpeg(4000, 3000, false),
        "png16" => costly::png(6400, 6250, ColorType::Rgba, BitDepth::Sixteen),
        "png16-max" => costly::png_rgba16(4472, 4472),
        "png-strip" => costly::png_rgba8(16_384, 2441),
        "png16-grey-alpha" => costly::png(6400, 6250, ColorType::GrayscaleAlpha, BitDepth::Sixteen),
        "png-wide" => costly::png_rgba8(40_000_000, 1),
        "png-tall" => costly::png_rgba8(1, 40_000_000),
        "jpeg-progressive" => costly::jpeg(65_535, 610, true),
        "jpeg-wide" => costly::jpeg(16_384, 2441, true),
        "webp" => costly::webp(16_383, 2441),
        "gif" => costly::gif(6400, 6250),
        _ => panic!("unknown case {case}; cases: {CASES:?}"),
    };
    let purpose = if case == "banner-square" {
        Purpose::Banner
    } else {
        Purpose::Icon
    };
    (bytes, purpose)
}

fn status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .expect("field");
    line.split_whitespace()
        .nth(1)
        .and_then(|kb| kb.parse().ok())
        .expect("kB")
}

/// User and system CPU time of this process, in clock ticks (1/100 s on Linux).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after_name = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

fn measure(case: &str) {
    let (bytes, purpose) = build(case);
    let estimate = inspect(&bytes, purpose, LIMIT).map_or(0, |plan| plan.peak_bytes() >> 20);
    // Writing 5 resets the peak (VmHWM) to the current RSS: what building the input cost
    // does not count.
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let base = status("VmRSS:");
    let (ticks, started) = (cpu_ticks(), Instant::now());
    let outcome = process(&bytes, purpose, LIMIT);
    let (cpu, wall) = (cpu_ticks() - ticks, started.elapsed());
    let peak = status("VmHWM:");
    let outcome = match outcome {
        Ok(p) => format!("{} {}x{}", p.extension, p.width, p.height),
        Err(refusal) => format!("refused: {refusal}"),
    };
    println!(
        "{case:18} {:>6} KiB in  peak +{:>5} MiB (estimate {estimate:>4})  cpu {:>5.2} s  wall {:>5.2} s  {outcome}",
        bytes.len() / 1024,
        peak.saturating_sub(base) / 1024,
        cpu as f64 / 100.0,
        wall.as_secs_f64(),
    );
}

fn main() {
    match std::env::args().nth(1) {
        Some(case) => measure(&case),
        None => {
            let me = std::env::current_exe().expect("own path");
            for case in CASES {
                let status = Command::new(&me).arg(case).status().expect("runs");
                if !status.success() {
                    println!("{case:18} died: {status}");
                }
            }
        }
    }
}
