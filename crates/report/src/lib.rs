//! dlrn-report: the study's tables (CSV + Markdown) and figures (plotters),
//! drawn from computed results; it never recomputes a statistic.
