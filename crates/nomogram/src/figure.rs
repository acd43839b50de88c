//! The nomogram as a figure (SVG and PNG) drawn with plotters primitives.
//!
//! Drawn directly on a plotters drawing area rather than through a chart: a
//! nomogram is a stack of independent horizontal scales, which plotters' chart
//! builder (one coordinate system per chart) does not model. Compared with
//! R's default `plot.nomogram`: shaded alternate rows, light gridlines at every
//! points tick, bold row labels aligned on one edge, tick labels thinned or
//! staggered so none overlap, and the risk cut-off marked on the probability axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use crate::error::NomogramError;
use crate::scale::{Nomogram, format_cutoff, format_tick};
use crate::theme::{FONT_FAMILY, GRID, INK, MUTED, PALETTE, SHADE, register_fonts};

/// How the nomogram figure is laid out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureOptions {
    /// Title drawn above the scales (none when `None`).
    pub title: Option<String>,
    /// Width in SVG pixels (the PNG is `png_scale` times larger).
    pub width: u32,
    /// PNG pixels per SVG pixel (2 gives a sharp image on high-density screens).
    pub png_scale: u32,
    /// Draw the linear-predictor axis (rms `lp = TRUE`).
    pub show_linear_predictor: bool,
}

impl Default for FigureOptions {
    fn default() -> Self {
        Self {
            title: None,
            width: 1200,
            png_scale: 2,
            show_linear_predictor: true,
        }
    }
}

const ROW_H: f64 = 58.0;
const TOP: f64 = 24.0;
const TITLE_H: f64 = 40.0;
const LABEL_W: f64 = 350.0;
const RIGHT: f64 = 48.0;
const FOOT_H: f64 = 44.0;

/// One label to place on a row: its x (pixels), text, and whether it must show.
struct RowLabel {
    x: f64,
    text: String,
    required: bool,
}

struct Layout {
    s: f64,
    x0: f64,
    x1: f64,
    y_start: f64,
}

impl Layout {
    fn px(&self, v: f64) -> i32 {
        (v * self.s).round() as i32
    }
    fn font(&self, size: f64) -> FontDesc<'static> {
        FontDesc::new(
            FontFamily::Name(FONT_FAMILY),
            size * self.s,
            FontStyle::Normal,
        )
    }
    fn bold(&self, size: f64) -> FontDesc<'static> {
        FontDesc::new(
            FontFamily::Name(FONT_FAMILY),
            size * self.s,
            FontStyle::Bold,
        )
    }
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

impl Nomogram {
    fn row_count(&self, opts: &FigureOptions) -> usize {
        1 + self.axes.len() + 1 + usize::from(opts.show_linear_predictor) + 1
    }

    /// Figure size in SVG pixels for these options.
    pub fn figure_size(&self, opts: &FigureOptions) -> (u32, u32) {
        let title = if opts.title.is_some() { TITLE_H } else { 0.0 };
        let h = TOP + title + ROW_H * self.row_count(opts) as f64 + FOOT_H;
        (opts.width, h.round() as u32)
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        opts: &FigureOptions,
        s: f64,
    ) -> DrawResult {
        root.fill(&WHITE).map_err(err)?;
        let width = opts.width as f64;
        let mut l = Layout {
            s,
            x0: LABEL_W,
            x1: width - RIGHT,
            y_start: TOP,
        };
        if let Some(title) = &opts.title {
            root.draw(&Text::new(
                title.clone(),
                (l.px(24.0), l.px(TOP + 8.0)),
                TextStyle::from(l.bold(23.0))
                    .color(&INK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)?;
            l.y_start += TITLE_H;
        }
        let max_points = self
            .points_ticks
            .iter()
            .copied()
            .fold(self.options.max_points, f64::max);
        let total_max = self.total_points_max();
        let px_points = |p: f64| l.x0 + (l.x1 - l.x0) * p / max_points;
        let px_total = |t: f64| l.x0 + (l.x1 - l.x0) * t / total_max;
        let rows = self.row_count(opts);
        let row_y = |i: usize| l.y_start + ROW_H * (i as f64 + 0.62);

        // Alternate row shading across the full width.
        for i in 0..rows {
            if i % 2 == 1 {
                let top = l.y_start + ROW_H * i as f64;
                root.draw(&Rectangle::new(
                    [
                        (l.px(8.0), l.px(top)),
                        (l.px(width - 8.0), l.px(top + ROW_H)),
                    ],
                    SHADE.filled(),
                ))
                .map_err(err)?;
            }
        }
        // Gridlines: upper block at every points tick (and minor halves),
        // lower block at every total-points tick.
        let upper = (row_y(0), row_y(self.axes.len()));
        let minor = self.points_ticks.windows(2).map(|w| (w[0] + w[1]) / 2.0);
        for (p, strong) in self
            .points_ticks
            .iter()
            .map(|&p| (p, true))
            .chain(minor.map(|p| (p, false)))
        {
            let x = px_points(p);
            let style = if strong {
                GRID.stroke_width(l.px(1.0).max(1) as u32)
            } else {
                GRID.mix(0.45).stroke_width(1)
            };
            root.draw(&PathElement::new(
                vec![(l.px(x), l.px(upper.0)), (l.px(x), l.px(upper.1))],
                style,
            ))
            .map_err(err)?;
        }
        let first_lower = self.axes.len() + 1;
        let lower = (row_y(first_lower), row_y(rows - 1));
        for &t in &self.total_points_ticks {
            let x = px_total(t);
            root.draw(&PathElement::new(
                vec![(l.px(x), l.px(lower.0)), (l.px(x), l.px(lower.1))],
                GRID.stroke_width(l.px(1.0).max(1) as u32),
            ))
            .map_err(err)?;
        }

        // Rows.
        let mut row = 0;
        let labels: Vec<RowLabel> = self
            .points_ticks
            .iter()
            .map(|&p| RowLabel {
                x: px_points(p),
                text: format_tick(p),
                required: false,
            })
            .collect();
        self.draw_row(
            root,
            &l,
            row_y(row),
            "Points",
            &labels,
            (px_points(0.0), px_points(max_points)),
            true,
        )?;
        row += 1;
        for axis in &self.axes {
            let continuous = matches!(
                self.model
                    .predictors
                    .iter()
                    .find(|p| p.name == axis.name)
                    .map(|p| &p.kind),
                Some(crate::model::PredictorKind::Continuous { .. })
            );
            let labels: Vec<RowLabel> = merge_equal_points(&axis.ticks, continuous)
                .into_iter()
                .map(|(points, text)| RowLabel {
                    x: px_points(points),
                    text: if continuous { minus(&text) } else { text },
                    required: !continuous,
                })
                .collect();
            let lo = axis
                .ticks
                .iter()
                .map(|t| t.points)
                .fold(f64::INFINITY, f64::min);
            let hi = axis
                .ticks
                .iter()
                .map(|t| t.points)
                .fold(f64::NEG_INFINITY, f64::max);
            self.draw_row(
                root,
                &l,
                row_y(row),
                &axis.label,
                &labels,
                (px_points(lo), px_points(hi)),
                false,
            )?;
            row += 1;
        }
        let labels: Vec<RowLabel> = self
            .total_points_ticks
            .iter()
            .map(|&t| RowLabel {
                x: px_total(t),
                text: format_tick(t),
                required: false,
            })
            .collect();
        self.draw_row(
            root,
            &l,
            row_y(row),
            "Total points",
            &labels,
            (px_total(0.0), px_total(total_max)),
            true,
        )?;
        row += 1;
        if opts.show_linear_predictor {
            let vis: Vec<_> = self
                .lp_axis
                .iter()
                .filter(|t| t.position >= -1e-9 && t.position <= total_max + 1e-9)
                .collect();
            let labels: Vec<RowLabel> = vis
                .iter()
                .map(|t| RowLabel {
                    x: px_total(t.position),
                    text: minus(&t.label),
                    required: false,
                })
                .collect();
            let (lo, hi) = span(vis.iter().map(|t| t.position));
            self.draw_row(
                root,
                &l,
                row_y(row),
                "Linear predictor",
                &labels,
                (px_total(lo), px_total(hi)),
                false,
            )?;
            row += 1;
        }
        let vis: Vec<_> = self
            .probability_axis
            .iter()
            .filter(|t| t.position >= -1e-9 && t.position <= total_max + 1e-9)
            .collect();
        let labels: Vec<RowLabel> = vis
            .iter()
            .map(|t| RowLabel {
                x: px_total(t.position),
                text: t.label.clone(),
                required: true,
            })
            .collect();
        let (lo, hi) = span(vis.iter().map(|t| t.position));
        let prob_y = row_y(row);
        self.draw_row(
            root,
            &l,
            prob_y,
            &self.options.outcome_label,
            &labels,
            (px_total(lo), px_total(hi)),
            false,
        )?;

        // Cut-off marker: a dashed line through the lower block and a note.
        let cut = self.options.cutoff.and_then(|c| {
            self.total_points_at_probability(c)
                .filter(|t| *t >= 0.0 && *t <= total_max)
                .map(|t| (c, t))
        });
        if let Some((c, t)) = cut {
            let x = px_total(t);
            let colour = PALETTE[1];
            root.draw(&plotters::element::DashedPathElement::new(
                vec![
                    (l.px(x), l.px(lower.0 - 16.0)),
                    (l.px(x), l.px(prob_y + 8.0)),
                ],
                l.px(5.0),
                l.px(4.0),
                colour.stroke_width(l.px(1.6).max(1) as u32),
            ))
            .map_err(err)?;
            // Marker and note sit below the staggered tick labels (y + 7 to
            // y + 24), so neither covers a probability label.
            root.draw(&Polygon::new(
                vec![
                    (l.px(x - 6.0), l.px(prob_y + 35.0)),
                    (l.px(x + 6.0), l.px(prob_y + 35.0)),
                    (l.px(x), l.px(prob_y + 27.0)),
                ],
                colour.filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                format!("cut-off {}: low risk ← | → high risk", format_cutoff(c)),
                (l.px(x), l.px(prob_y + 49.0)),
                TextStyle::from(l.font(16.5))
                    .color(&colour)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))
            .map_err(err)?;
        }
        Ok(())
    }

    /// Draws one scale: bold label at the left, axis line, ticks, tick labels
    /// above the line. Optional labels are thinned to every k-th so none
    /// overlap; required labels that would overlap are staggered below the line.
    #[allow(clippy::too_many_arguments)]
    fn draw_row<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        l: &Layout,
        y: f64,
        label: &str,
        ticks: &[RowLabel],
        line: (f64, f64),
        major: bool,
    ) -> DrawResult {
        let label_style = TextStyle::from(l.bold(19.5))
            .color(&INK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(
            label.to_string(),
            (l.px(l.x0 - 28.0), l.px(y - 6.0)),
            label_style,
        ))
        .map_err(err)?;
        let axis_style = INK.stroke_width(l.px(if major { 1.6 } else { 1.3 }).max(1) as u32);
        let (a, b) = (line.0.min(line.1), line.0.max(line.1));
        root.draw(&PathElement::new(
            vec![(l.px(a), l.px(y)), (l.px(b), l.px(y))],
            axis_style,
        ))
        .map_err(err)?;
        let tick_style = TextStyle::from(l.font(16.5))
            .color(&MUTED)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let below_style = TextStyle::from(l.font(16.5))
            .color(&MUTED)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let widths: Vec<f64> = ticks
            .iter()
            .map(|t| {
                root.estimate_text_size(&t.text, &tick_style)
                    .map(|(w, _)| w as f64 / l.s)
                    .unwrap_or(8.0 * t.text.len() as f64)
            })
            .collect();
        const PAD: f64 = 6.0;
        // Optional labels: the smallest stride k with no overlap.
        let mut order: Vec<usize> = (0..ticks.len()).collect();
        order.sort_by(|&i, &j| ticks[i].x.total_cmp(&ticks[j].x));
        let show: Vec<bool> = if ticks.iter().all(|t| t.required) {
            vec![true; ticks.len()]
        } else {
            let mut stride = 1;
            loop {
                let ok = order
                    .iter()
                    .step_by(stride)
                    .collect::<Vec<_>>()
                    .windows(2)
                    .all(|w| {
                        let (i, j) = (*w[0], *w[1]);
                        ticks[j].x - ticks[i].x >= (widths[i] + widths[j]) / 2.0 + PAD
                    });
                if ok || stride >= ticks.len() {
                    break;
                }
                stride += 1;
            }
            let mut v = vec![false; ticks.len()];
            for &i in order.iter().step_by(stride) {
                v[i] = true;
            }
            v
        };
        let mut last_above = f64::NEG_INFINITY;
        let mut last_below = f64::NEG_INFINITY;
        for &i in &order {
            let t = &ticks[i];
            let tick_len = if show[i] { 7.0 } else { 4.0 };
            root.draw(&PathElement::new(
                vec![(l.px(t.x), l.px(y)), (l.px(t.x), l.px(y - tick_len))],
                INK.stroke_width(l.px(1.1).max(1) as u32),
            ))
            .map_err(err)?;
            if !show[i] {
                continue;
            }
            // Keep labels clear of the row label column.
            let cx = t.x.max(l.x0 - 18.0 + widths[i] / 2.0);
            let left = cx - widths[i] / 2.0;
            if left >= last_above + PAD || !t.required {
                root.draw(&Text::new(
                    t.text.clone(),
                    (l.px(cx), l.px(y - 10.0)),
                    tick_style.clone(),
                ))
                .map_err(err)?;
                last_above = cx + widths[i] / 2.0;
            } else if left >= last_below + PAD {
                root.draw(&PathElement::new(
                    vec![(l.px(t.x), l.px(y)), (l.px(t.x), l.px(y + 5.0))],
                    INK.stroke_width(l.px(1.1).max(1) as u32),
                ))
                .map_err(err)?;
                root.draw(&Text::new(
                    t.text.clone(),
                    (l.px(cx), l.px(y + 7.0)),
                    below_style.clone(),
                ))
                .map_err(err)?;
                last_below = cx + widths[i] / 2.0;
            }
        }
        Ok(())
    }

    /// The figure as an SVG document (for inline use in HTML and snapshots).
    pub fn to_svg_string(&self, opts: &FigureOptions) -> Result<String, NomogramError> {
        register_fonts()?;
        let size = self.figure_size(opts);
        let mut buf = String::new();
        {
            let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
            self.draw_on(&root, opts, 1.0)
                .map_err(|message| NomogramError::Draw {
                    path: "<svg>".into(),
                    message,
                })?;
            root.present().map_err(|e| NomogramError::Draw {
                path: "<svg>".into(),
                message: err(e),
            })?;
        }
        Ok(buf)
    }

    /// Writes the figure as SVG to `path`.
    pub fn write_svg(&self, path: &Path, opts: &FigureOptions) -> Result<(), NomogramError> {
        let svg = self.to_svg_string(opts)?;
        std::fs::write(path, svg).map_err(|source| NomogramError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Writes the figure as PNG to `path`, `png_scale` times the SVG size
    /// (not on wasm32: plotters has no bitmap file backend there).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn write_png(&self, path: &Path, opts: &FigureOptions) -> Result<(), NomogramError> {
        register_fonts()?;
        let (w, h) = self.figure_size(opts);
        let k = opts.png_scale.max(1);
        let root = BitMapBackend::new(path, (w * k, h * k)).into_drawing_area();
        self.draw_on(&root, opts, k as f64)
            .map_err(|message| NomogramError::Draw {
                path: path.to_path_buf(),
                message,
            })?;
        root.present().map_err(|e| NomogramError::Draw {
            path: path.to_path_buf(),
            message: err(e),
        })
    }
}

/// Runs of consecutive ticks with equal points share one label, as
/// `plot.nomogram` prints them: `a-b`, or `a+` for a continuous run that
/// reaches the axis end (rms 6.5, `nomogram()`'s `rle` step).
fn merge_equal_points(ticks: &[crate::scale::AxisTick], continuous: bool) -> Vec<(f64, String)> {
    let mut out: Vec<(f64, String)> = Vec::new();
    let mut i = 0;
    while i < ticks.len() {
        let mut j = i;
        while j + 1 < ticks.len() && ticks[j + 1].points == ticks[i].points {
            j += 1;
        }
        let text = if j == i {
            ticks[i].label.clone()
        } else if !continuous || j + 1 < ticks.len() {
            format!("{}-{}", ticks[i].label, ticks[j].label)
        } else {
            format!("{}+", ticks[i].label)
        };
        out.push((ticks[j].points, text));
        i = j + 1;
    }
    out
}

/// A numeric label with a typographic minus sign (U+2212) for a leading `-`.
fn minus(label: &str) -> String {
    match label.strip_prefix('-') {
        Some(rest) => format!("\u{2212}{rest}"),
        None => label.to_string(),
    }
}

fn span(it: impl Iterator<Item = f64>) -> (f64, f64) {
    it.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

#[cfg(test)]
mod tests {
    use super::merge_equal_points;
    use crate::scale::AxisTick;

    fn t(value: f64, points: f64) -> AxisTick {
        AxisTick {
            value,
            label: format!("{value}"),
            points,
        }
    }

    /// rms labels runs of equal points "a-b" (discrete, or continuous inside
    /// the axis) and "a+" (a continuous run reaching the end).
    #[test]
    fn equal_points_merge_as_rms() {
        let d = [t(1.0, 0.0), t(2.0, 0.0), t(3.0, 5.0)];
        assert_eq!(
            merge_equal_points(&d, false),
            vec![(0.0, "1-2".to_string()), (5.0, "3".to_string())]
        );
        let c = [t(10.0, 0.0), t(20.0, 4.0), t(30.0, 4.0)];
        assert_eq!(
            merge_equal_points(&c, true),
            vec![(0.0, "10".to_string()), (4.0, "20+".to_string())]
        );
        assert_eq!(merge_equal_points(&c[..2], true).len(), 2);
    }
}
