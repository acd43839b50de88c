//! dlrn-nomogram: points scales from a logistic model as `rms::nomogram`,
//! patient scoring and exports (JSON, SVG/PNG, standalone HTML calculator).
