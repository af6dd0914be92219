//! A run's figures: a table for people, JSON for machines, and the latency histogram as a
//! PNG next to the JSON.

use anyhow::Context;
use hdrhistogram::Histogram;
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;

#[derive(Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub parameters: serde_json::Value,
    pub measured_seconds: f64,
    /// What the throughput counts: requests, deliveries, stored messages, sockets.
    pub unit: &'static str,
    pub total: u64,
    pub per_second: f64,
    pub latency_us: Option<Latency>,
    pub errors: u64,
    pub lost: Option<u64>,
    pub duplicated: Option<u64>,
    /// The client's own CPU over the measured window (100 = one core): near the machine's
    /// core count, the client rather than the server is the limit.
    pub client_cpu_percent: Option<f64>,
    pub server: Option<ServerUsage>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub histogram: Option<Histogram<u64>>,
}

#[derive(Serialize)]
pub struct Latency {
    pub samples: u64,
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

impl Latency {
    pub fn of(histogram: &Histogram<u64>) -> Option<Self> {
        (!histogram.is_empty()).then(|| Self {
            samples: histogram.len(),
            p50: histogram.value_at_quantile(0.5),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        })
    }
}

#[derive(Serialize, Default)]
pub struct ServerUsage {
    pub cpu_percent: Option<f64>,
    pub rss_kib_before: Option<u64>,
    pub rss_kib_after: Option<u64>,
    /// The least and most seen, sampled every second through the window.
    pub rss_kib_min: Option<u64>,
    pub rss_kib_max: Option<u64>,
    /// Every sample, a second apart (the last one at the window's end).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rss_kib_samples: Vec<u64>,
    /// For `idle`: the growth of the server's memory divided by the sockets held.
    pub rss_bytes_per_socket: Option<f64>,
}

impl Report {
    /// A report with only the throughput filled in.
    pub fn new(scenario: &'static str, parameters: serde_json::Value, unit: &'static str) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            scenario,
            parameters,
            measured_seconds: 0.0,
            unit,
            total: 0,
            per_second: 0.0,
            latency_us: None,
            errors: 0,
            lost: None,
            duplicated: None,
            client_cpu_percent: None,
            server: None,
            notes: vec![format!(
                "{cores} CPU cores on the client's machine, shared with the server when it runs there"
            )],
            histogram: None,
        }
    }

    pub fn throughput(&mut self, total: u64, seconds: f64) {
        self.total = total;
        self.measured_seconds = seconds;
        self.per_second = if seconds > 0.0 {
            total as f64 / seconds
        } else {
            0.0
        };
    }

    pub fn latencies(&mut self, histogram: Histogram<u64>) {
        self.latency_us = Latency::of(&histogram);
        self.histogram = Some(histogram);
    }

    /// No errors, nothing lost, nothing twice.
    pub fn clean(&self) -> bool {
        self.errors == 0 && self.lost.unwrap_or(0) == 0 && self.duplicated.unwrap_or(0) == 0
    }

    pub fn print(&self) {
        let mut rows = vec![
            ("scenario", self.scenario.to_owned()),
            ("parameters", self.parameters.to_string()),
            ("measured", format!("{:.1} s", self.measured_seconds)),
            (
                self.unit,
                format!("{} ({:.0}/s)", self.total, self.per_second),
            ),
        ];
        if let Some(l) = &self.latency_us {
            let ms = |us: u64| format!("{:.2} ms", us as f64 / 1000.0);
            rows.push((
                "latency p50 / p99 / p99.9 / max",
                format!(
                    "{} / {} / {} / {}",
                    ms(l.p50),
                    ms(l.p99),
                    ms(l.p999),
                    ms(l.max)
                ),
            ));
        }
        rows.push(("errors", self.errors.to_string()));
        for (name, value) in [("lost", self.lost), ("duplicated", self.duplicated)] {
            if let Some(value) = value {
                rows.push((name, value.to_string()));
            }
        }
        if let Some(cpu) = self.client_cpu_percent {
            rows.push(("client CPU", format!("{cpu:.0} %")));
        }
        if let Some(server) = &self.server {
            if let Some(cpu) = server.cpu_percent {
                rows.push(("server CPU", format!("{cpu:.0} %")));
            }
            if let (Some(before), Some(after)) = (server.rss_kib_before, server.rss_kib_after) {
                rows.push((
                    "server RSS before / after",
                    format!(
                        "{:.1} / {:.1} MiB",
                        before as f64 / 1024.0,
                        after as f64 / 1024.0
                    ),
                ));
            }
            if let (Some(min), Some(max), Some(before)) = (
                server.rss_kib_min,
                server.rss_kib_max,
                server.rss_kib_before,
            ) {
                let off = |v: u64| (v as f64 / before.max(1) as f64 - 1.0) * 100.0;
                rows.push((
                    "server RSS min / max",
                    format!(
                        "{:.1} / {:.1} MiB ({:+.1} % / {:+.1} % of the start)",
                        min as f64 / 1024.0,
                        max as f64 / 1024.0,
                        off(min),
                        off(max)
                    ),
                ));
            }
            if let Some(per) = server.rss_bytes_per_socket {
                rows.push((
                    "server RSS per socket",
                    format!("{:.0} B ({:.2} KiB)", per, per / 1024.0),
                ));
            }
        }
        for note in &self.notes {
            rows.push(("note", note.clone()));
        }
        let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        for (name, value) in rows {
            println!("{name:<width$}  {value}");
        }
    }

    /// Writes the JSON, and the histogram as `<same name>.png` when there is one.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
        if let Some(histogram) = &self.histogram.as_ref().filter(|h| !h.is_empty()) {
            let png = path.with_extension("png");
            plot(histogram, &self.title(), &png)
                .with_context(|| format!("drawing {}", png.display()))?;
            eprintln!("wrote {} and {}", path.display(), png.display());
        }
        Ok(())
    }

    fn title(&self) -> String {
        let p = |q: fn(&Latency) -> u64| {
            self.latency_us
                .as_ref()
                .map_or(0.0, |l| q(l) as f64 / 1000.0)
        };
        format!(
            "{} — p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms",
            self.scenario,
            p(|l| l.p50),
            p(|l| l.p99),
            p(|l| l.p999)
        )
    }
}

static FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");

/// Makes the bundled font the charts' "sans-serif".
pub(crate) fn register_font() -> anyhow::Result<()> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("bad font"))
}

/// Bars of how many samples fell in each latency range, on a logarithmic axis.
fn plot(histogram: &Histogram<u64>, title: &str, path: &Path) -> anyhow::Result<()> {
    register_font()?;
    let bars = buckets(histogram);
    let low = bars.first().map_or(1.0, |b| b.0).max(1.0);
    let high = bars.last().map_or(10.0, |b| b.1).max(low * 10.0);
    let tallest = bars.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d((low..high).log_scale(), 0u64..tallest + tallest / 10)?;
    chart
        .configure_mesh()
        .x_desc("latency (logarithmic)")
        .x_labels(8)
        .x_label_formatter(&|us| duration_label(*us))
        .y_desc("samples")
        .label_style(("sans-serif", 14))
        .draw()?;
    chart.draw_series(bars.iter().map(|&(from, to, count)| {
        Rectangle::new([(from, 0), (to, count)], BLUE.mix(0.6).filled())
    }))?;
    // The percentiles the table gives, as labelled lines.
    let top = tallest + tallest / 10;
    for (name, quantile) in [("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999)] {
        let at = histogram.value_at_quantile(quantile).max(1) as f64;
        chart.draw_series([PathElement::new(vec![(at, 0), (at, top)], RED.mix(0.7))])?;
        chart.draw_series([Text::new(name, (at, top), ("sans-serif", 14))])?;
    }
    root.present()?;
    Ok(())
}

/// `850 µs`, `1.25 ms`, `40 ms`.
fn duration_label(us: f64) -> String {
    if us < 1_000.0 {
        return format!("{us:.0} µs");
    }
    let ms = format!("{:.2}", us / 1_000.0);
    format!("{} ms", ms.trim_end_matches('0').trim_end_matches('.'))
}

/// `(from µs, to µs, samples)` over ranges growing by a tenth each.
fn buckets(histogram: &Histogram<u64>) -> Vec<(f64, f64, u64)> {
    let mut from = histogram.min().max(1) as f64;
    histogram
        .iter_log(histogram.min().max(1), 1.1)
        .map(|step| {
            let to = step.value_iterated_to() as f64;
            let bar = (from, to.max(from + 1.0), step.count_since_last_iteration());
            from = to;
            bar
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_writes_its_json_and_its_histogram() {
        let mut histogram = crate::measure::histogram();
        for us in [120, 150, 150, 900, 4_000, 25_000] {
            histogram.record(us).unwrap();
        }
        let mut report = Report::new("fanout", serde_json::json!({"sockets": 3}), "deliveries");
        report.throughput(6, 2.0);
        report.latencies(histogram);
        let dir = std::env::temp_dir().join(format!("pingme-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        report.write(&dir.join("run.json")).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
        assert_eq!(
            (
                json["per_second"].as_f64(),
                json["latency_us"]["samples"].as_u64()
            ),
            (Some(3.0), Some(6))
        );
        let png = std::fs::read(dir.join("run.png")).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_dir_all(dir).unwrap();
        assert!(report.clean());
    }
}
