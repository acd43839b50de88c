//! The scaling benchmark's outputs (`cargo xtask bench scale`): each stage's
//! wall time, CPU time and peak memory at each study size, the fitted growth
//! exponents, and a log–log figure of time against size.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cells::{csv_header, csv_records};
use crate::figures::{Figure, err, legend, px, styled_chart};
use crate::format::fixed;
use crate::tables::{ReportTable, TextTable};
use dlrn_nomogram::theme::PALETTE;

/// One stage measured at one study size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingRow {
    /// Stage (a group of the study's stages: `deep` is every cohort's).
    pub stage: String,
    /// `dlrn simulate --scale` of the run.
    pub scale: f64,
    /// Patients in all cohorts of the run.
    pub patients: usize,
    /// The size the stage's cost is fitted against (patients, or rows ×
    /// features for the LASSO).
    pub size: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// User + system CPU seconds (NaN where not measured).
    pub cpu_seconds: f64,
    /// Peak resident memory in MiB (NaN where not measured).
    pub peak_rss_mib: f64,
}

/// Every stage at every size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingTable {
    /// Rows by stage, then scale.
    pub rows: Vec<ScalingRow>,
}

impl ReportTable for ScalingTable {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<ScalingRow>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        let opt = |v: f64, d: usize| {
            if v.is_finite() {
                fixed(v, d)
            } else {
                "–".to_string()
            }
        };
        TextTable {
            header: [
                "Stage",
                "Scale",
                "Patients",
                "Size",
                "Wall (s)",
                "CPU (s)",
                "Peak RSS (MiB)",
            ]
            .map(String::from)
            .to_vec(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.stage.clone(),
                        fixed(r.scale, 2),
                        r.patients.to_string(),
                        fixed(r.size, 0),
                        fixed(r.seconds, 2),
                        opt(r.cpu_seconds, 2),
                        opt(r.peak_rss_mib, 0),
                    ]
                })
                .collect(),
        }
    }
}

/// One stage's growth exponent: the slope of log time against log size.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingExponent {
    /// Stage.
    pub stage: String,
    /// What the size is (`patients`, `rows x features`).
    pub against: String,
    /// Least-squares slope of ln(wall seconds) on ln(size).
    pub exponent: f64,
    /// The slope of ln(CPU seconds) on ln(size) (NaN where not measured).
    pub cpu_exponent: f64,
    /// The largest exponent the goal allows.
    pub goal: f64,
}

/// The exponents of every stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingExponents {
    /// One row per stage.
    pub rows: Vec<ScalingExponent>,
}

impl ReportTable for ScalingExponents {
    fn csv_header(&self) -> Vec<String> {
        csv_header::<ScalingExponent>()
    }
    fn csv_records(&self) -> Vec<Vec<String>> {
        csv_records(&self.rows)
    }
    fn display(&self) -> TextTable {
        let show = |v: f64| {
            if v.is_finite() {
                fixed(v, 2)
            } else {
                "–".to_string()
            }
        };
        TextTable {
            header: [
                "Stage",
                "Against",
                "Exponent (wall)",
                "Exponent (CPU)",
                "Goal",
            ]
            .map(String::from)
            .to_vec(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let met = if r.exponent <= r.goal {
                        "met"
                    } else {
                        "missed"
                    };
                    vec![
                        r.stage.clone(),
                        r.against.clone(),
                        show(r.exponent),
                        show(r.cpu_exponent),
                        format!("≤ {} ({met})", fixed(r.goal, 1)),
                    ]
                })
                .collect(),
        }
    }
}

/// Wall time against patients, both axes logarithmic, one line per stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingFigure {
    /// Title.
    pub title: String,
    /// (stage, (patients, seconds) at each size).
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl Figure for ScalingFigure {
    fn size(&self) -> (u32, u32) {
        (680, 500)
    }
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        s: f64,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        // Plotted as log10 values on linear axes, labelled with the values.
        let pts: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|(_, p)| p.iter())
            .filter(|(x, y)| *x > 0.0 && *y > 0.0)
            .map(|(x, y)| (x.log10(), y.log10()))
            .collect();
        let bounds = |f: fn(&(f64, f64)) -> f64| {
            pts.iter()
                .map(f)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                })
        };
        let (x0, x1) = bounds(|p| p.0);
        let (y0, y1) = bounds(|p| p.1);
        if !(x0.is_finite() && y0.is_finite()) {
            return Err("no positive time to plot".into());
        }
        let pad = |a: f64, b: f64| (a.floor().min(a - 0.1), b.ceil().max(b + 0.1));
        let (x0, x1) = pad(x0, x1);
        let (y0, y1) = pad(y0, y1);
        let label = |v: &f64| {
            let x = 10f64.powf(*v);
            if x >= 10.0 {
                fixed(x, 0)
            } else if x >= 1.0 {
                fixed(x, 1)
            } else {
                fixed(x, 2)
            }
        };
        let mut chart = styled_chart(
            root,
            s,
            &self.title,
            "Patients (log scale)",
            "Wall seconds (log scale)",
            x0..x1,
            y0..y1,
            &label,
            &label,
        )?;
        for (i, (stage, p)) in self.series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let style = colour.stroke_width(px(2.0, s));
            let line: Vec<(f64, f64)> = p
                .iter()
                .filter(|(x, y)| *x > 0.0 && *y > 0.0)
                .map(|(x, y)| (x.log10(), y.log10()))
                .collect();
            chart
                .draw_series(
                    line.iter()
                        .map(|&(x, y)| Circle::new((x, y), px(3.0, s), colour.filled())),
                )
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(line, style))
                .map_err(err)?
                .label(stage.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + px(20.0, s) as i32, y)], style)
                });
        }
        legend(&mut chart, s, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exponent_table_says_whether_the_goal_is_met() {
        let t = ScalingExponents {
            rows: vec![
                ScalingExponent {
                    stage: "deep".into(),
                    against: "patients".into(),
                    exponent: 1.02,
                    cpu_exponent: f64::NAN,
                    goal: 1.1,
                },
                ScalingExponent {
                    stage: "lasso".into(),
                    against: "rows x features".into(),
                    exponent: 1.31,
                    cpu_exponent: 1.3,
                    goal: 1.1,
                },
            ],
        };
        let d = t.display();
        assert_eq!(d.rows[0][3], "–");
        assert_eq!(d.rows[0][4], "≤ 1.1 (met)");
        assert_eq!(d.rows[1][4], "≤ 1.1 (missed)");
    }

    #[test]
    fn the_figure_draws_and_refuses_nothing_to_plot() {
        let fig = ScalingFigure {
            title: "t".into(),
            series: vec![("deep".into(), vec![(200.0, 2.0), (800.0, 8.5)])],
        };
        let svg = crate::svg_string(&fig).expect("draws");
        assert!(svg.contains("deep"));
        let empty = ScalingFigure {
            title: "t".into(),
            series: vec![("deep".into(), vec![(0.0, 0.0)])],
        };
        assert!(crate::svg_string(&empty).is_err());
    }
}
