//! dlrn-simulate: the simulated multicentre study (design.md): four cohorts
//! with the paper's sizes and Table 1 marginals, ALN status from a logistic
//! model with Table 3's clinical effects plus a latent tumour aggressiveness
//! that also shapes the B-mode image.
