//! dlrn-stats: the study's statistics with R's numbers (pROC, rms, Hmisc,
//! psych). Takes slices, returns plain structs; no table or tensor types.
