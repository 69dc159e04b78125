//! SVG charts a planner looks at instead of reading CSV, drawn with
//! plotters: for a run (`run --csv DIR`) the pods pending and running over
//! time, requested vs allocatable CPU and memory, and the scheduling
//! latency CDF; for a sweep, the p99 latencies against each swept
//! parameter (one line per seed, the p90 over seeds as a band's top); for
//! a plan, the SLO figure per node count tried.
//!
//! Charts are views: drawing them never touches a simulation.

#![warn(missing_docs)]

use crate::report::observe::ClusterStats;
use crate::sim::SimTime;
use plotters::prelude::*;
use std::path::Path;

/// One line of a chart: its legend and its points.
pub struct Series {
    /// The legend.
    pub name: String,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A shaded band: its legend and its `(x, low, high)` points.
pub type Band = (String, Vec<(f64, f64, f64)>);

/// A line chart with an optional shaded band `(x, low, high)` under the
/// lines.
pub struct LineChart<'a> {
    /// The title.
    pub title: &'a str,
    /// The x axis label.
    pub x_label: &'a str,
    /// The y axis label.
    pub y_label: &'a str,
    /// The lines.
    pub series: Vec<Series>,
    /// A band (e.g. min to p90 over seeds).
    pub band: Option<Band>,
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn draw_err<E: std::fmt::Debug>(e: E) -> std::io::Error {
    std::io::Error::other(format!("drawing a chart: {:?}", e))
}

/// Writes `chart` as an SVG file at `path`.
pub fn write_line_chart(path: &Path, chart: &LineChart) -> std::io::Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let pts = chart.series.iter().flat_map(|s| s.points.iter().copied());
        let band_pts = chart.band.iter().flat_map(|(_, b)| b.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]));
        let all: Vec<(f64, f64)> = pts.chain(band_pts).filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
        let (x0, x1) = bounds(all.iter().map(|p| p.0), false);
        let (y0, y1) = bounds(all.iter().map(|p| p.1), true);
        let mut c = ChartBuilder::on(&root)
            .caption(chart.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        c.configure_mesh().x_desc(chart.x_label).y_desc(chart.y_label).draw().map_err(draw_err)?;
        if let Some((name, band)) = &chart.band {
            let color = RGBColor(200, 200, 200);
            let mut poly: Vec<(f64, f64)> = band.iter().map(|&(x, _, hi)| (x, hi)).collect();
            poly.extend(band.iter().rev().map(|&(x, lo, _)| (x, lo)));
            c.draw_series(std::iter::once(Polygon::new(poly, color.mix(0.5).filled())))
                .map_err(draw_err)?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.filled()));
        }
        for (i, s) in chart.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            c.draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))
                .map_err(draw_err)?
                .label(s.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 15, y)], color.stroke_width(2)));
        }
        c.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    std::fs::write(path, svg)
}

/// An axis range covering `values` (from 0 when `from_zero`), never empty.
fn bounds(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    (lo, hi + (hi - lo) * 0.05)
}

/// The charts of one run, into `dir`: `pods.svg`, `requested.svg` and
/// `sched_latency_cdf.svg`. `samples` are the totals every sample
/// interval; `sched_latencies` every pod's created → bound, in seconds.
pub fn write_run_charts(
    dir: &Path,
    samples: &[(SimTime, ClusterStats)],
    sched_latencies: &[f64],
    extended: &[std::rc::Rc<str>],
) -> std::io::Result<()> {
    let t = |s: &(SimTime, ClusterStats)| s.0.as_secs_f64();
    let line = |name: &str, f: &dyn Fn(&ClusterStats) -> f64| Series {
        name: name.into(),
        points: samples.iter().map(|s| (t(s), f(&s.1))).collect(),
    };
    write_line_chart(
        &dir.join("pods.svg"),
        &LineChart {
            title: "Pods over time",
            x_label: "virtual time (s)",
            y_label: "pods",
            series: vec![line("pending", &|s| s.pods_pending as f64), line("running", &|s| s.pods_running as f64)],
            band: None,
        },
    )?;
    let gib = (1u64 << 30) as f64;
    let mut series = vec![
        line("CPU requested / allocatable", &|s| share(s.requested.cpu_m as f64, s.allocatable.cpu_m as f64)),
        line("memory requested / allocatable", &|s| {
            share(s.requested.memory as f64 / gib, s.allocatable.memory as f64 / gib)
        }),
    ];
    for n in extended {
        series.push(line(&format!("{} requested / allocatable", n), &|s| {
            share(s.extended_requested.get(n) as f64, s.extended_allocatable.get(n) as f64)
        }));
    }
    write_line_chart(
        &dir.join("requested.svg"),
        &LineChart {
            title: "Requested vs allocatable",
            x_label: "virtual time (s)",
            y_label: "share of allocatable",
            series,
            band: None,
        },
    )?;
    let n = sched_latencies.len().max(1) as f64;
    let cdf: Vec<(f64, f64)> = sched_latencies.iter().enumerate().map(|(i, &l)| (l, (i + 1) as f64 / n)).collect();
    write_line_chart(
        &dir.join("sched_latency_cdf.svg"),
        &LineChart {
            title: "Scheduling latency (created → bound), CDF",
            x_label: "seconds",
            y_label: "fraction of pods",
            series: vec![Series { name: "pods".into(), points: cdf }],
            band: None,
        },
    )
}

fn share(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// A sweep's chart of one metric against one parameter: a line per seed
/// and a band from the minimum to the p90 over seeds at each value. `x`
/// is the parameter's value (its index among the values when they are not
/// numbers).
pub fn write_sweep_chart(
    path: &Path,
    parameter: &str,
    metric: &str,
    per_seed: &[(u64, Vec<(f64, f64)>)],
) -> std::io::Result<()> {
    let mut xs: Vec<f64> = per_seed.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let band: Vec<(f64, f64, f64)> = xs
        .iter()
        .filter_map(|&x| {
            let mut ys: Vec<f64> =
                per_seed.iter().flat_map(|(_, p)| p.iter().filter(|q| q.0 == x).map(|q| q.1)).collect();
            ys.sort_by(f64::total_cmp);
            let p90 = crate::report::summary::nearest_rank(&ys, 90)?;
            Some((x, ys[0], p90))
        })
        .collect();
    write_line_chart(
        path,
        &LineChart {
            title: &format!("{} against {}", metric, parameter),
            x_label: parameter,
            y_label: metric,
            series: per_seed
                .iter()
                .map(|(seed, p)| Series { name: format!("seed {}", seed), points: p.clone() })
                .collect(),
            band: Some(("min to p90 over seeds".into(), band)),
        },
    )
}
