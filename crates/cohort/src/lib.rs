//! dlrn-cohort: the cohort folder contract (design.md), loading and validating
//! clinical tables, images and masks, and the simulated multicentre study.
