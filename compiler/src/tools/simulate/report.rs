//! What `meshnn simulate` prints: the table and the SVG plot of a [`Report`].

use super::Report;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

/// The table `meshnn simulate` prints.
pub fn render_table(r: &Report) -> String {
    let mut s = format!(
        "{} on {}: {} samples, {:?} loss, seed {}\n\n{:>6} {:>9} {:>10} {:>12} {:>8} {:>12} {:>12} {:>9}\n",
        r.model, r.deployment, r.samples, r.loss_model, r.seed, "loss", "accuracy", "agreement", "bytes/inf", "frames", "p50 us", "p99 us", "degraded"
    );
    for l in &r.levels {
        s += &format!(
            "{:>6.3} {:>9} {:>10.3} {:>12.1} {:>8.2} {:>12.0} {:>12.0} {:>9.3}\n",
            l.loss,
            l.accuracy
                .map(|a| format!("{a:.3}"))
                .unwrap_or_else(|| "-".into()),
            l.agreement,
            l.bytes_per_inference,
            l.frames_per_inference,
            l.latency_p50_us,
            l.latency_p99_us,
            l.degraded_fraction
        );
    }
    s
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One labelled line with a dot on every point.
fn draw_line(
    chart: &mut Chart,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    label: &str,
) -> Result<(), String> {
    chart
        .draw_series(LineSeries::new(points.clone(), &color))
        .map_err(|e| e.to_string())?
        .label(label)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// An SVG plot of accuracy (when labels exist) and agreement against loss.
pub fn plot_svg(r: &Report, path: &Path) -> Result<(), String> {
    let root = SVGBackend::new(path, (640, 420)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let max_loss = r
        .levels
        .iter()
        .map(|l| l.loss)
        .fold(0.0f64, f64::max)
        .max(0.01);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{} — {:?} loss", r.model, r.loss_model),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0.0..max_loss, 0.0..1.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("loss probability")
        .y_desc("fraction")
        .draw()
        .map_err(|e| e.to_string())?;
    let agree = r.levels.iter().map(|l| (l.loss, l.agreement)).collect();
    draw_line(&mut chart, agree, BLUE, "agreement with loss-free run")?;
    if r.levels.iter().all(|l| l.accuracy.is_some()) {
        let acc = r
            .levels
            .iter()
            .map(|l| (l.loss, l.accuracy.unwrap_or(0.0)))
            .collect();
        draw_line(&mut chart, acc, RED, "accuracy")?;
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
