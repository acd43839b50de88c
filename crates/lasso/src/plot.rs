//! Figures in the style of glmnet's `plot.glmnet(fit, xvar = "lambda")` and
//! `plot.cv.glmnet(cv)`: log(lambda) on the bottom axis, the number of
//! non-zero coefficients on the top axis. SVG or PNG by the file extension.
//!
//! Text uses Bitstream Vera Sans (assets/Vera.ttf, Bitstream licence), embedded
//! so PNGs render the same on every machine without system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{CvResult, LambdaChoice, LassoError, LassoPath};

const FONT: &str = "sans-serif";
const SIZE: (u32, u32) = (1000, 700);

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped with the crate; a failure
        // would only leave plotters on its own fallback.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../assets/Vera.ttf"),
        );
    });
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> LassoError {
    LassoError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Coefficient paths against log(lambda), one line per feature that is ever
/// non-zero, with the number of non-zero coefficients on the top axis
/// (`plot.glmnet(fit, xvar = "lambda")`). `scale` multiplies each column's
/// coefficient (pass the columns' standard deviations to draw standardised
/// coefficients, readable when features differ in scale by many orders of
/// magnitude); `None` draws the original scale as glmnet does.
pub fn coefficient_paths(
    path: &LassoPath,
    scale: Option<&[f64]>,
    out: &Path,
) -> Result<(), LassoError> {
    write(&PathSpec::new(path, scale), out)
}

/// The coefficient paths of a cross-validated fit, as [`coefficient_paths`]
/// with lambda.min and lambda.1se marked as on [`cv_curve`]: the features
/// non-zero at the `kept` lambda (the signature's) in colour, every other
/// path in light grey, so the kept features stand out among hundreds.
pub fn cv_coefficient_paths(
    cv: &CvResult,
    scale: Option<&[f64]>,
    kept: LambdaChoice,
    out: &Path,
) -> Result<(), LassoError> {
    let mut spec = PathSpec::new(&cv.fit, scale);
    spec.marks = cv_marks(cv).to_vec();
    spec.highlight = Some(match kept {
        LambdaChoice::Min => cv.index_min,
        LambdaChoice::OneSe => cv.index_1se,
    });
    write(&spec, out)
}

/// lambda.min and lambda.1se: (index into the lambda sequence, name, colour).
fn cv_marks(cv: &CvResult) -> [(usize, &'static str, RGBColor); 2] {
    [
        (cv.index_min, "lambda.min", RGBColor(31, 90, 180)),
        (cv.index_1se, "lambda.1se", RGBColor(20, 140, 60)),
    ]
}

/// The CV curve: mean CV measure per log(lambda) (red points) with ±1 SD
/// bars, dotted vertical lines at lambda.min and lambda.1se, and the number of
/// non-zero coefficients on the top axis (`plot.cv.glmnet`).
pub fn cv_curve(cv: &CvResult, out: &Path) -> Result<(), LassoError> {
    write(&CvFigure(cv), out)
}

/// A figure drawable on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>
    where
        DB::ErrorType: 'static;
}

/// Draws `fig` into `out`, SVG or PNG by the file extension.
fn write(fig: &impl Figure, out: &Path) -> Result<(), LassoError> {
    register_font();
    match extension(out)? {
        Ext::Svg => {
            let root = SVGBackend::new(out, SIZE).into_drawing_area();
            fig.draw(&root).map_err(|e| plot_err(out, e))?;
            root.present().map_err(|e| plot_err(out, e))
        }
        Ext::Png => {
            let root = BitMapBackend::new(out, SIZE).into_drawing_area();
            fig.draw(&root).map_err(|e| plot_err(out, e))?;
            root.present().map_err(|e| plot_err(out, e))
        }
    }
}

/// The CV curve of a fit, as a [`Figure`].
struct CvFigure<'a>(&'a CvResult);

impl Figure for CvFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        draw_cv(self.0, root)
    }
}

enum Ext {
    Svg,
    Png,
}

fn extension(out: &Path) -> Result<Ext, LassoError> {
    match out
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("svg") => Ok(Ext::Svg),
        Some("png") => Ok(Ext::Png),
        _ => Err(plot_err(out, "figure files must end in .svg or .png")),
    }
}

/// Padded range of finite values.
fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - frac * span, hi + frac * span)
}

/// df at the lambda nearest to `x` = log(lambda), for the top axis.
fn df_at(loglam: &[f64], df: &[usize], x: f64) -> String {
    loglam
        .iter()
        .enumerate()
        .min_by(|a, b| (a.1 - x).abs().total_cmp(&(b.1 - x).abs()))
        .map(|(k, _)| df[k].to_string())
        .unwrap_or_default()
}

struct PathSpec {
    loglam: Vec<f64>,
    df: Vec<usize>,
    /// (column, values per lambda).
    lines: Vec<(usize, Vec<f64>)>,
    ylabel: &'static str,
    /// Dashed vertical lines: (lambda index, name, colour).
    marks: Vec<(usize, &'static str, RGBColor)>,
    /// Colour only the paths non-zero at this lambda index; grey the rest.
    highlight: Option<usize>,
}

impl PathSpec {
    fn new(path: &LassoPath, scale: Option<&[f64]>) -> Self {
        let loglam: Vec<f64> = path.lambda.iter().map(|l| l.ln()).collect();
        let mut ever: Vec<usize> = path.beta.iter().flatten().map(|&(j, _)| j).collect();
        ever.sort_unstable();
        ever.dedup();
        let lines = ever
            .into_iter()
            .map(|j| {
                let s = scale.map_or(1.0, |s| s[j]);
                let vals = path
                    .beta
                    .iter()
                    .map(|b| {
                        b.iter()
                            .find(|&&(c, _)| c == j)
                            .map_or(0.0, |&(_, v)| v * s)
                    })
                    .collect();
                (j, vals)
            })
            .collect();
        PathSpec {
            loglam,
            df: path.df.clone(),
            lines,
            ylabel: if scale.is_some() {
                "Standardised coefficients"
            } else {
                "Coefficients"
            },
            marks: Vec::new(),
            highlight: None,
        }
    }
}

impl Figure for PathSpec {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (xmin, xmax) = bounds(&self.loglam);
        let (ylo, yhi) = self
            .lines
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (ylo, yhi) = padded(ylo, yhi, 0.04);
        let (xlo, xhi) = padded(xmin, xmax, 0.02);
        let mut chart = ChartBuilder::on(root)
            .margin(24)
            .x_label_area_size(70)
            .y_label_area_size(100)
            .top_x_label_area_size(50)
            .build_cartesian_2d(xlo..xhi, ylo..yhi)
            .map_err(|e| e.to_string())?
            .set_secondary_coord(xlo..xhi, ylo..yhi);
        mesh(&mut chart, "Log Lambda", self.ylabel)?;
        let top = |x: &f64| df_at(&self.loglam, &self.df, *x);
        top_axis(&mut chart, &top)?;
        chart
            .draw_series(LineSeries::new(
                [(xlo, 0.0), (xhi, 0.0)],
                BLACK.mix(0.35).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        let kept = |vals: &[f64]| self.highlight.is_none_or(|k| vals[k] != 0.0);
        // Grey paths first, so the coloured ones are drawn over them.
        for (_, vals) in self.lines.iter().filter(|(_, v)| !kept(v)) {
            chart
                .draw_series(LineSeries::new(
                    self.loglam.iter().copied().zip(vals.iter().copied()),
                    RGBColor(190, 190, 190).stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        for (i, (_, vals)) in self.lines.iter().filter(|(_, v)| kept(v)).enumerate() {
            let colour = Palette99::pick(i).mix(0.9);
            chart
                .draw_series(LineSeries::new(
                    self.loglam.iter().copied().zip(vals.iter().copied()),
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
        }
        for &(k, name, colour) in &self.marks {
            let x = self.loglam[k];
            chart
                .draw_series(DashedLineSeries::new(
                    [(x, ylo), (x, yhi)],
                    8,
                    6,
                    colour.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label(format!("{name} (log {x:.2}, {} non-zero)", self.df[k]))
                .legend(move |(x0, y0)| {
                    PathElement::new([(x0, y0), (x0 + 24, y0)], colour.stroke_width(2))
                });
        }
        if !self.marks.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 18))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn bounds(v: &[f64]) -> (f64, f64) {
    v.iter()
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        })
}

fn mesh<DB: DrawingBackend>(
    chart: &mut plotters::chart::DualCoordChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    xdesc: &str,
    ydesc: &str,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc(xdesc)
        .y_desc(ydesc)
        .x_labels(10)
        .y_labels(10)
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 24))
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(BLACK.mix(0.05))
        .axis_style(BLACK.stroke_width(2))
        .x_label_formatter(&|x| format!("{x:.1}"))
        .draw()
        .map_err(|e| e.to_string())
}

fn top_axis<DB: DrawingBackend>(
    chart: &mut plotters::chart::DualCoordChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    label: &dyn Fn(&f64) -> String,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_secondary_axes()
        .x_labels(10)
        .y_labels(0)
        .label_style((FONT, 20))
        .axis_desc_style((FONT, 22))
        .x_label_formatter(label)
        .draw()
        .map_err(|e| e.to_string())
}

fn draw_cv<DB: DrawingBackend>(cv: &CvResult, root: &DrawingArea<DB, Shift>) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let loglam: Vec<f64> = cv.lambda.iter().map(|l| l.ln()).collect();
    let (xmin, xmax) = bounds(&loglam);
    let lo: Vec<f64> = cv.cvm.iter().zip(&cv.cvsd).map(|(m, s)| m - s).collect();
    let hi: Vec<f64> = cv.cvm.iter().zip(&cv.cvsd).map(|(m, s)| m + s).collect();
    let (ylo, _) = bounds(&lo);
    let (_, yhi) = bounds(&hi);
    let (ylo, yhi) = padded(ylo, yhi, 0.05);
    let (xlo, xhi) = padded(xmin, xmax, 0.02);
    let mut chart = ChartBuilder::on(root)
        .margin(24)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .top_x_label_area_size(50)
        .build_cartesian_2d(xlo..xhi, ylo..yhi)
        .map_err(|e| e.to_string())?
        .set_secondary_coord(xlo..xhi, ylo..yhi);
    mesh(&mut chart, "Log Lambda", cv.measure.label())?;
    let top = |x: &f64| df_at(&loglam, &cv.nzero, *x);
    top_axis(&mut chart, &top)?;
    for (k, name, colour) in cv_marks(cv) {
        let x = loglam[k];
        chart
            .draw_series(DashedLineSeries::new(
                [(x, ylo), (x, yhi)],
                8,
                6,
                colour.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(format!(
                "{name} = {:.5} (log {:.2}, {} non-zero)",
                cv.lambda[k], x, cv.nzero[k]
            ))
            .legend(move |(x0, y0)| {
                PathElement::new([(x0, y0), (x0 + 24, y0)], colour.stroke_width(2))
            });
    }
    // ±1 SD bars with caps (plotters' ErrorBar needs a feature the workspace leaves off).
    let cap = (xhi - xlo) / 250.0;
    let grey = RGBColor(140, 140, 140).stroke_width(1);
    for ((&x, &l), &h) in loglam.iter().zip(&lo).zip(&hi) {
        chart
            .draw_series([
                PathElement::new([(x, l), (x, h)], grey),
                PathElement::new([(x - cap, l), (x + cap, l)], grey),
                PathElement::new([(x - cap, h), (x + cap, h)], grey),
            ])
            .map_err(|e| e.to_string())?;
    }
    chart
        .draw_series(
            loglam
                .iter()
                .zip(&cv.cvm)
                .map(|(&x, &m)| Circle::new((x, m), 4, RED.filled())),
        )
        .map_err(|e| e.to_string())?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| e.to_string())
}
