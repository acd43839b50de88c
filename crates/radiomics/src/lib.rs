//! dlrn-radiomics: the 544 handcrafted features of the BUSAT toolbox as used by
//! the study (docs/handcrafted-features.md), one module per feature family.
