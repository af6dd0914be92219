//! Cost curves: how a figure moves as one dimension of the installation grows (messages in a
//! channel, servers in the database, sockets in a channel), drawn as lines on a logarithmic
//! x axis, one per series. `run-curves` measures them; the `pingme-bench-plot` binary draws
//! them from its CSV.

use anyhow::Context;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// One line: its name and `(x, y)` points.
pub type Series = (String, Vec<(f64, f64)>);

/// Labels of a chart.
pub struct Chart<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

/// Reads `series,x,y` lines (a header line whose `x` is not a number is skipped), keeping
/// the series in the order they first appear. A series' name may hold commas.
pub fn parse_csv(text: &str) -> anyhow::Result<Vec<Series>> {
    let mut order: Vec<String> = Vec::new();
    let mut points: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.rsplitn(3, ',').map(str::trim).collect();
        let [y, x, name] = fields[..] else {
            anyhow::bail!("line {}: expected series,x,y", number + 1);
        };
        let (Ok(x), Ok(y)) = (x.parse::<f64>(), y.parse::<f64>()) else {
            if number == 0 {
                continue;
            }
            anyhow::bail!("line {}: x and y must be numbers", number + 1);
        };
        if !points.contains_key(name) {
            order.push(name.to_owned());
        }
        points.entry(name.to_owned()).or_default().push((x, y));
    }
    Ok(order
        .into_iter()
        .map(|name| {
            let line = points.remove(&name).unwrap_or_default();
            (name, line)
        })
        .collect())
}

/// Draws the series as lines with their points marked; y starts at zero, so that a flat
/// line looks flat.
pub fn plot(series: &[Series], chart: &Chart<'_>, path: &Path) -> anyhow::Result<()> {
    crate::report::register_font()?;
    let all = series.iter().flat_map(|(_, points)| points.iter());
    let (low, high, top) = all.fold((f64::MAX, f64::MIN, 0f64), |(lo, hi, top), &(x, y)| {
        (lo.min(x), hi.max(x), top.max(y))
    });
    anyhow::ensure!(low <= high && low > 0.0, "no points with x > 0 to draw");
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut drawing = ChartBuilder::on(&root)
        .caption(chart.title, ("sans-serif", 20))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d((low / 1.5..high * 1.5).log_scale(), 0f64..top * 1.25)?;
    drawing
        .configure_mesh()
        .x_desc(chart.x)
        .y_desc(chart.y)
        .x_label_formatter(&|x| count_label(*x))
        .label_style(("sans-serif", 14))
        .draw()?;
    for (index, (name, points)) in series.iter().enumerate() {
        let colour = Palette99::pick(index).to_rgba();
        drawing
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        drawing.draw_series(
            points
                .iter()
                .map(|&point| Circle::new(point, 4, colour.filled())),
        )?;
    }
    drawing
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::LowerRight)
        .draw()?;
    root.present()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `100`, `10k`, `10M`.
fn count_label(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{}M", trim(x / 1e6)),
        x if x >= 1e3 => format!("{}k", trim(x / 1e3)),
        x => trim(x),
    }
}

fn trim(x: f64) -> String {
    let text = format!("{x:.1}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_of_two_series_draws_a_png() {
        let series =
            parse_csv("series,x,y\na,1000,2.5\nb, of 1,000,1000,2.0\na,10000000,2.7\n").unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(
            (series[0].0.as_str(), series[1].0.as_str()),
            ("a", "b, of 1,000")
        );
        assert_eq!(series[0].1, vec![(1000.0, 2.5), (1e7, 2.7)]);
        let dir = std::env::temp_dir().join(format!("pingme-curve-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let png = dir.join("curve.png");
        let labels = Chart {
            title: "history p99",
            x: "messages",
            y: "ms",
        };
        plot(&series, &labels, &png).unwrap();
        assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(count_label(10_000_000.0), "10M");
        assert_eq!(count_label(2_500.0), "2.5k");
    }

    #[test]
    fn a_bad_line_is_an_error_not_a_point() {
        assert!(parse_csv("a,1,2\nb,x,3\n").is_err());
        assert!(parse_csv("a,1\n").is_err());
    }
}
