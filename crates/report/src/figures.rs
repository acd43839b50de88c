//! The study's figures drawn with plotters (SVG + PNG) from computed results.
//!
//! One theme for all (dlrn_nomogram::theme): DejaVu Sans embedded, the
//! Okabe–Ito colour-blind-safe palette, light horizontal and vertical
//! gridlines, axis titles, a legend with the AUC and its CI where there is
//! one. Every figure is a plain struct implementing [`Figure`]; PNGs are drawn
//! at `png_scale` times the SVG size with every length scaled, so both look alike.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use dlrn_nomogram::theme::{FONT_FAMILY, GRID, INK, MUTED, PALETTE, register_fonts};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::format::{auc_ci, fixed};

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Size in SVG pixels.
    fn size(&self) -> (u32, u32);
    /// Checks the inputs before drawing (names the series and field at fault).
    fn validate(&self) -> Result<(), ReportError> {
        Ok(())
    }
    /// Draws on `root`; every length is multiplied by `s` (1 for SVG).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, s: f64)
    -> Result<(), String>;
}

/// The files one figure was written to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureFiles {
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
}

/// The figure as an SVG document.
pub fn svg_string<F: Figure>(fig: &F) -> Result<String, ReportError> {
    fig.validate()?;
    register_fonts()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, fig.size()).into_drawing_area();
        fig.draw(&root, 1.0).map_err(|message| ReportError::Draw {
            path: "<svg>".into(),
            message,
        })?;
        root.present().map_err(|e| ReportError::Draw {
            path: "<svg>".into(),
            message: format!("{e:?}"),
        })?;
    }
    Ok(buf)
}

/// Writes `dir/stem.svg` and `dir/stem.png` (PNG `png_scale` times larger).
pub fn write_figure<F: Figure>(
    fig: &F,
    dir: &Path,
    stem: &str,
    png_scale: u32,
) -> Result<FigureFiles, ReportError> {
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));
    let svg = svg_string(fig)?;
    std::fs::write(&svg_path, svg).map_err(|source| ReportError::Io {
        path: svg_path.clone(),
        source,
    })?;
    let (w, h) = fig.size();
    let k = png_scale.max(1);
    {
        let root = BitMapBackend::new(&png_path, (w * k, h * k)).into_drawing_area();
        fig.draw(&root, k as f64)
            .map_err(|message| ReportError::Draw {
                path: png_path.clone(),
                message,
            })?;
        root.present().map_err(|e| ReportError::Draw {
            path: png_path.clone(),
            message: format!("{e:?}"),
        })?;
    }
    Ok(FigureFiles {
        svg: svg_path,
        png: png_path,
    })
}

pub(crate) fn err<E: Debug>(e: E) -> String {
    format!("{e:?}")
}

fn font(size: f64, s: f64) -> FontDesc<'static> {
    FontDesc::new(
        FontFamily::Name(FONT_FAMILY),
        size * s * 1.24,
        FontStyle::Normal,
    )
}

fn bold(size: f64, s: f64) -> FontDesc<'static> {
    FontDesc::new(
        FontFamily::Name(FONT_FAMILY),
        size * s * 1.24,
        FontStyle::Bold,
    )
}

pub(crate) fn px(v: f64, s: f64) -> u32 {
    (v * s).round().max(1.0) as u32
}

pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart with the house style: bold title, axis titles, light grid both ways.
#[allow(clippy::too_many_arguments)]
pub(crate) fn styled_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    s: f64,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_fmt: &dyn Fn(&f64) -> String,
    y_fmt: &dyn Fn(&f64) -> String,
) -> Result<Chart<'a, DB>, String> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, TextStyle::from(bold(15.0, s)).color(&INK))
        .margin(px(14.0, s))
        .margin_right(px(26.0, s))
        .x_label_area_size(px(46.0, s))
        .y_label_area_size(px(58.0, s))
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(TextStyle::from(font(13.0, s)).color(&INK))
        .label_style(TextStyle::from(font(11.5, s)).color(&MUTED))
        .bold_line_style(GRID.stroke_width(px(1.0, s)))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(px(1.0, s)))
        .set_all_tick_mark_size(px(4.0, s) as i32)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .draw()
        .map_err(err)?;
    Ok(chart)
}

pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    s: f64,
    pos: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(pos)
        .margin(px(10.0, s))
        .legend_area_size(px(26.0, s))
        .background_style(WHITE.mix(0.92))
        .border_style(GRID.stroke_width(px(1.0, s)))
        .label_font(TextStyle::from(font(11.5, s)).color(&INK))
        .draw()
        .map_err(err)
}

/// A tick label with a typographic minus sign (U+2212).
fn tick(v: f64, decimals: usize) -> String {
    let s = fixed(v, decimals);
    match s.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => s,
    }
}

pub(crate) fn dec1(v: &f64) -> String {
    tick(*v, 1)
}

fn dec2(v: &f64) -> String {
    tick(*v, 2)
}

pub(crate) fn panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    n: usize,
) -> Vec<DrawingArea<DB, Shift>> {
    root.split_evenly((1, n.max(1)))
}

// ---------------------------------------------------------------- ROC

/// One model's ROC curve on one cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    /// Model name shown in the legend.
    pub model: String,
    /// Points (1 − specificity, sensitivity) from (0, 0) to (1, 1).
    pub points: Vec<(f64, f64)>,
    /// AUC.
    pub auc: f64,
    /// DeLong CI lower bound.
    pub auc_ci_low: f64,
    /// DeLong CI upper bound.
    pub auc_ci_high: f64,
}

/// ROC curves of several models on one cohort, with the chance diagonal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocFigure {
    /// Title (the cohort).
    pub title: String,
    /// The curves, one colour each.
    pub curves: Vec<RocCurve>,
}

impl Figure for RocFigure {
    fn size(&self) -> (u32, u32) {
        (560, 540)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let mut chart = styled_chart(
            root,
            s,
            &self.title,
            "1 − specificity",
            "Sensitivity",
            -0.01..1.01,
            -0.01..1.01,
            &dec1,
            &dec1,
        )?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                px(5.0, s),
                px(4.0, s),
                MUTED.stroke_width(px(1.0, s)),
            ))
            .map_err(err)?;
        for (i, c) in self.curves.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let style = colour.stroke_width(px(2.2, s));
            chart
                .draw_series(LineSeries::new(c.points.iter().copied(), style))
                .map_err(err)?
                .label(format!(
                    "{}  AUC {}",
                    c.model,
                    auc_ci(c.auc, c.auc_ci_low, c.auc_ci_high)
                ))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + px(20.0, s) as i32, y)], style)
                });
        }
        legend(&mut chart, s, SeriesLabelPosition::LowerRight)
    }
}

// ---------------------------------------------------------------- decision curves

/// Net benefit of several models over thresholds, with treat-all and treat-none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionCurveFigure {
    /// Title (the cohort).
    pub title: String,
    /// Threshold probabilities (x).
    pub thresholds: Vec<f64>,
    /// (model, net benefit at each threshold).
    pub models: Vec<(String, Vec<f64>)>,
    /// Net benefit of treating everyone at each threshold.
    pub treat_all: Vec<f64>,
}

impl Figure for DecisionCurveFigure {
    fn validate(&self) -> Result<(), ReportError> {
        let n = self.thresholds.len();
        let series = std::iter::once(("treat all", &self.treat_all))
            .chain(self.models.iter().map(|(m, v)| (m.as_str(), v)));
        for (i, (name, v)) in series.enumerate() {
            if v.len() != n {
                return Err(ReportError::BadValue {
                    table: format!("decision curves {}", self.title),
                    row: i + 1,
                    column: name.to_string(),
                    found: format!("{} values", v.len()),
                    expected: format!("one per threshold ({n})"),
                });
            }
        }
        Ok(())
    }
    fn size(&self) -> (u32, u32) {
        (620, 480)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let top = self
            .models
            .iter()
            .flat_map(|(_, v)| v.iter())
            .chain(self.treat_all.iter())
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.05, f64::max);
        let y_max = (top * 1.1 * 20.0).ceil() / 20.0;
        let y_min = -0.1 * y_max.max(0.1);
        let x_max = self.thresholds.iter().copied().fold(0.0, f64::max).max(0.1);
        let x_min = self
            .thresholds
            .iter()
            .copied()
            .fold(x_max, f64::min)
            .min(0.0);
        let mut chart = styled_chart(
            root,
            s,
            &self.title,
            "Threshold probability",
            "Net benefit",
            x_min..x_max,
            y_min..y_max,
            &dec1,
            &dec2,
        )?;
        let clip = |v: f64| v.max(y_min);
        let none_style = INK.stroke_width(px(1.4, s));
        chart
            .draw_series(LineSeries::new(
                vec![(x_min, 0.0), (x_max, 0.0)],
                none_style,
            ))
            .map_err(err)?
            .label("Treat none")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + px(20.0, s) as i32, y)], none_style)
            });
        let all_style = MUTED.stroke_width(px(1.4, s));
        let all: Vec<(f64, f64)> = self
            .thresholds
            .iter()
            .zip(&self.treat_all)
            .filter(|(_, v)| **v >= y_min)
            .map(|(t, v)| (*t, *v))
            .collect();
        chart
            .draw_series(DashedLineSeries::new(
                all,
                px(6.0, s),
                px(4.0, s),
                all_style,
            ))
            .map_err(err)?
            .label("Treat all")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + px(20.0, s) as i32, y)], all_style)
            });
        for (i, (name, nb)) in self.models.iter().enumerate() {
            let style = PALETTE[i % PALETTE.len()].stroke_width(px(2.2, s));
            chart
                .draw_series(LineSeries::new(
                    self.thresholds.iter().zip(nb).map(|(t, v)| (*t, clip(*v))),
                    style,
                ))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + px(20.0, s) as i32, y)], style)
                });
        }
        legend(&mut chart, s, SeriesLabelPosition::UpperRight)
    }
}

// ---------------------------------------------------------------- calibration

/// One bin of a calibration curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Mean predicted probability in the bin.
    pub predicted: f64,
    /// Observed proportion of ALN+.
    pub observed: f64,
    /// CI of the observed proportion (drawn as an error bar when present).
    pub ci_low: Option<f64>,
    /// Upper CI bound.
    pub ci_high: Option<f64>,
}

/// One model's calibration: binned points and a smoothed curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationCurve {
    /// Model name.
    pub model: String,
    /// Binned observed-vs-predicted points.
    pub bins: Vec<CalibrationBin>,
    /// Smoothed (e.g. loess) curve, (predicted, observed).
    pub smooth: Vec<(f64, f64)>,
}

/// Calibration curves of several models on one cohort, with the ideal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFigure {
    /// Title (the cohort).
    pub title: String,
    /// The curves.
    pub curves: Vec<CalibrationCurve>,
}

impl Figure for CalibrationFigure {
    fn size(&self) -> (u32, u32) {
        (560, 540)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let mut chart = styled_chart(
            root,
            s,
            &self.title,
            "Predicted probability",
            "Observed proportion",
            -0.01..1.01,
            -0.01..1.01,
            &dec1,
            &dec1,
        )?;
        let ideal = MUTED.stroke_width(px(1.2, s));
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                px(5.0, s),
                px(4.0, s),
                ideal,
            ))
            .map_err(err)?
            .label("Ideal")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + px(20.0, s) as i32, y)], ideal)
            });
        for (i, c) in self.curves.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let style = colour.stroke_width(px(2.2, s));
            chart
                .draw_series(LineSeries::new(c.smooth.iter().copied(), style))
                .map_err(err)?
                .label(c.model.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + px(20.0, s) as i32, y)], style)
                });
            let bar = colour.mix(0.7).stroke_width(px(1.2, s));
            for b in &c.bins {
                if let (Some(lo), Some(hi)) = (b.ci_low, b.ci_high) {
                    let cap = 0.008;
                    for seg in [
                        vec![(b.predicted, lo), (b.predicted, hi)],
                        vec![(b.predicted - cap, lo), (b.predicted + cap, lo)],
                        vec![(b.predicted - cap, hi), (b.predicted + cap, hi)],
                    ] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(seg, bar)))
                            .map_err(err)?;
                    }
                }
            }
            chart
                .draw_series(
                    c.bins.iter().map(|b| {
                        Circle::new((b.predicted, b.observed), px(4.0, s), colour.filled())
                    }),
                )
                .map_err(err)?;
        }
        legend(&mut chart, s, SeriesLabelPosition::LowerRight)
    }
}

// ---------------------------------------------------------------- box plots

/// One group's values (e.g. the signature of the ALN+ patients of a cohort).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreGroup {
    /// Group label (`ALN−`, `ALN+`).
    pub label: String,
    /// The values.
    pub values: Vec<f64>,
}

/// One panel of groups (a cohort).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxPanel {
    /// Panel title (the cohort).
    pub title: String,
    /// Groups side by side.
    pub groups: Vec<ScoreGroup>,
    /// P value of the between-group test, printed in the panel when given.
    pub p_value: Option<f64>,
}

/// Box plots with jittered points, one panel per cohort. Boxes are Tukey's
/// hinges (R `boxplot`/`fivenum`), whiskers reach the furthest point within
/// 1.5 IQR; jitter is seeded so reruns draw the same picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxFigure {
    /// Y axis title.
    pub y_label: String,
    /// Panels left to right.
    pub panels: Vec<BoxPanel>,
    /// Seed of the horizontal jitter.
    pub seed: u64,
}

/// Tukey's five numbers (min, lower hinge, median, upper hinge, max), R `fivenum`.
fn fivenum(v: &[f64]) -> Option<[f64; 5]> {
    let mut x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if x.is_empty() {
        return None;
    }
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let n4 = ((n + 3.0) / 2.0).floor() / 2.0;
    let d = [1.0, n4, (n + 1.0) / 2.0, n + 1.0 - n4, n];
    let at = |p: f64| 0.5 * (x[(p.floor() - 1.0) as usize] + x[(p.ceil() - 1.0) as usize]);
    Some([at(d[0]), at(d[1]), at(d[2]), at(d[3]), at(d[4])])
}

impl Figure for BoxFigure {
    fn size(&self) -> (u32, u32) {
        (40 + 310 * self.panels.len().max(1) as u32, 480)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let all = self
            .panels
            .iter()
            .flat_map(|p| p.groups.iter())
            .flat_map(|g| g.values.iter())
            .copied()
            .filter(|v| v.is_finite());
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = 0.08 * (hi - lo).max(1e-9);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        for (panel, area) in self.panels.iter().zip(panels(root, self.panels.len())) {
            let n = panel.groups.len().max(1) as f64;
            let y_desc = if std::ptr::eq(panel, &self.panels[0]) {
                self.y_label.as_str()
            } else {
                ""
            };
            let labels: Vec<String> = panel
                .groups
                .iter()
                .map(|g| format!("{} (n={})", g.label, g.values.len()))
                .collect();
            let xfmt = move |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 1.0 && (i as usize) <= labels.len() {
                    labels[i as usize - 1].clone()
                } else {
                    String::new()
                }
            };
            let mut chart = ChartBuilder::on(&area)
                .caption(&panel.title, TextStyle::from(bold(15.0, s)).color(&INK))
                .margin(px(14.0, s))
                .x_label_area_size(px(34.0, s))
                .y_label_area_size(px(58.0, s))
                .build_cartesian_2d(0.4..n + 0.6, (lo - pad)..(hi + pad * 2.5))
                .map_err(err)?;
            chart
                .configure_mesh()
                .y_desc(y_desc)
                .axis_desc_style(TextStyle::from(font(13.0, s)).color(&INK))
                .label_style(TextStyle::from(font(11.5, s)).color(&MUTED))
                .bold_line_style(GRID.stroke_width(px(1.0, s)))
                .light_line_style(TRANSPARENT)
                .axis_style(MUTED.stroke_width(px(1.0, s)))
                .disable_x_mesh()
                .x_labels(2 * panel.groups.len() + 3)
                .x_label_formatter(&xfmt)
                .y_labels(6)
                .y_label_formatter(&dec1)
                .draw()
                .map_err(err)?;
            for (gi, g) in panel.groups.iter().enumerate() {
                let x = gi as f64 + 1.0;
                let colour = PALETTE[gi % PALETTE.len()];
                if let Some([_, q1, med, q3, _]) = fivenum(&g.values) {
                    let iqr = q3 - q1;
                    let inside: Vec<f64> = g
                        .values
                        .iter()
                        .copied()
                        .filter(|v| *v >= q1 - 1.5 * iqr && *v <= q3 + 1.5 * iqr)
                        .collect();
                    let wlo = inside.iter().copied().fold(q1, f64::min);
                    let whi = inside.iter().copied().fold(q3, f64::max);
                    let w = 0.28;
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x - w, q1), (x + w, q3)],
                            colour.mix(0.18).filled(),
                        )))
                        .map_err(err)?;
                    let line = colour.stroke_width(px(1.6, s));
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x - w, q1), (x + w, q3)],
                            line,
                        )))
                        .map_err(err)?;
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x - w, med), (x + w, med)],
                            colour.stroke_width(px(3.0, s)),
                        )))
                        .map_err(err)?;
                    for (a, b) in [(q1, wlo), (q3, whi)] {
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                vec![(x, a), (x, b)],
                                line,
                            )))
                            .map_err(err)?;
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                vec![(x - w / 2.5, b), (x + w / 2.5, b)],
                                line,
                            )))
                            .map_err(err)?;
                    }
                }
                let pts: Vec<(f64, f64)> = g
                    .values
                    .iter()
                    .filter(|v| v.is_finite())
                    .map(|&v| (x + rng.random_range(-0.2..0.2), v))
                    .collect();
                chart
                    .draw_series(
                        pts.into_iter()
                            .map(|p| Circle::new(p, px(2.4, s), colour.mix(0.55).filled())),
                    )
                    .map_err(err)?;
            }
            if let Some(p) = panel.p_value {
                let text = if p < 0.001 {
                    "P < 0.001".to_string()
                } else {
                    format!("P = {}", fixed(p, 3))
                };
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        ((n + 1.0) / 2.0, hi + pad * 1.6),
                        TextStyle::from(font(12.0, s))
                            .color(&INK)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- confusion matrices

/// Counts of one model at its cut-off on one cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Panel title (`EVC1 — DLRN`).
    pub title: String,
    /// ALN+ predicted positive.
    pub tp: u64,
    /// ALN+ predicted negative.
    pub fn_: u64,
    /// ALN− predicted positive.
    pub fp: u64,
    /// ALN− predicted negative.
    pub tn: u64,
}

/// Confusion matrices side by side: rows actual, columns predicted, shaded by
/// the row share, each cell showing the count and its row percentage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionFigure {
    /// The matrices.
    pub panels: Vec<ConfusionMatrix>,
}

impl Figure for ConfusionFigure {
    fn size(&self) -> (u32, u32) {
        (20 + 320 * self.panels.len().max(1) as u32, 300)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        for (m, area) in self.panels.iter().zip(panels(root, self.panels.len())) {
            let (w, h) = area.dim_in_pixel();
            let (w, h) = (w as f64 / s, h as f64 / s);
            let p = |x: f64, y: f64| ((x * s).round() as i32, (y * s).round() as i32);
            let (gx, gy) = (104.0, 64.0);
            let cell = ((w - gx - 16.0) / 2.0).min((h - gy - 12.0) / 2.0);
            area.draw(&Text::new(
                m.title.clone(),
                p(gx + cell, 18.0),
                TextStyle::from(bold(14.0, s))
                    .color(&INK)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(err)?;
            let small = TextStyle::from(font(11.5, s))
                .color(&MUTED)
                .pos(Pos::new(HPos::Center, VPos::Center));
            area.draw(&Text::new("Predicted", p(gx + cell, 38.0), small.clone()))
                .map_err(err)?;
            for (j, l) in ["ALN+", "ALN−"].iter().enumerate() {
                area.draw(&Text::new(
                    l.to_string(),
                    p(gx + cell * (j as f64 + 0.5), 54.0),
                    small.clone(),
                ))
                .map_err(err)?;
                area.draw(&Text::new(
                    format!("Actual {l}"),
                    p(gx / 2.0 + 2.0, gy + cell * (j as f64 + 0.5)),
                    small.clone(),
                ))
                .map_err(err)?;
            }
            let rows = [[m.tp, m.fn_], [m.fp, m.tn]];
            for (i, r) in rows.iter().enumerate() {
                let total = (r[0] + r[1]).max(1) as f64;
                for (j, &c) in r.iter().enumerate() {
                    let share = c as f64 / total;
                    let correct = i == j;
                    let base = if correct { PALETTE[0] } else { PALETTE[1] };
                    let (x0, y0) = (gx + cell * j as f64, gy + cell * i as f64);
                    area.draw(&Rectangle::new(
                        [p(x0, y0), p(x0 + cell, y0 + cell)],
                        base.mix(0.1 + 0.8 * share).filled(),
                    ))
                    .map_err(err)?;
                    area.draw(&Rectangle::new(
                        [p(x0, y0), p(x0 + cell, y0 + cell)],
                        WHITE.stroke_width(px(2.0, s)),
                    ))
                    .map_err(err)?;
                    let ink = if share > 0.55 { WHITE } else { INK };
                    area.draw(&Text::new(
                        c.to_string(),
                        p(x0 + cell / 2.0, y0 + cell / 2.0 - 9.0),
                        TextStyle::from(bold(18.0, s))
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ))
                    .map_err(err)?;
                    area.draw(&Text::new(
                        format!("{}%", fixed(100.0 * share, 0)),
                        p(x0 + cell / 2.0, y0 + cell / 2.0 + 13.0),
                        TextStyle::from(font(11.5, s))
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ))
                    .map_err(err)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R: fivenum(c(1, 2, 3, 4, 5, 6, 7, 8, 100)) = 1 3 5 7 100;
    /// fivenum(c(2, 4, 6, 8)) = 2 3 5 7 8.
    #[test]
    fn fivenum_matches_r() {
        assert_eq!(
            fivenum(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0]),
            Some([1.0, 3.0, 5.0, 7.0, 100.0])
        );
        assert_eq!(
            fivenum(&[8.0, 2.0, 6.0, 4.0]),
            Some([2.0, 3.0, 5.0, 7.0, 8.0])
        );
        assert_eq!(fivenum(&[f64::NAN]), None);
    }
}
