//! dlrn-nomogram: points scales from a logistic model as `rms::nomogram`,
//! patient scoring and exports (JSON, SVG/PNG, standalone HTML calculator).
//!
//! ```no_run
//! use dlrn_nomogram::{LogisticModel, Nomogram, NomogramOptions};
//! # fn f(model: LogisticModel) -> Result<(), dlrn_nomogram::NomogramError> {
//! let nomogram = Nomogram::new(model, NomogramOptions::new((-4.5, 3.0)))?;
//! nomogram.write_svg("nomogram.svg".as_ref(), &dlrn_nomogram::FigureOptions::default())?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod calculator;
mod error;
mod figure;
mod model;
pub mod pretty;
mod scale;
mod score;
pub mod theme;

pub use calculator::{CalculatorOptions, escape_html};
pub use error::NomogramError;
pub use figure::FigureOptions;
pub use model::{Level, LogisticModel, NomogramOptions, Predictor, PredictorKind};
pub use scale::{AxisTick, Nomogram, PredictorAxis, ScaleTick, format_tick, logistic};
pub use score::{Patient, PatientScore, PredictorPoints, RiskGroup};
