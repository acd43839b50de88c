//! Table 3 signs on the simulated training cohort, with R as the oracle:
//! tests/oracle/make_glm_signs.R fitted `glm(..., family = binomial)` on the
//! TC clinical.csv of seed 3, scale 1, and wrote tests/fixtures/glm_signs.csv
//! with the SHA-256 of the file it read. Its `table3` rows carry all four of
//! Table 3's signs within a factor 3 of the paper's sizes (age −0.0138 vs
//! −0.0184, BI-RADS 0.920 vs 0.381 — BI-RADS also shows the latent
//! aggressiveness, `OutcomeModel::clinical_correlation` — grade 0.382 vs
//! 0.390, US-ALN 0.933 vs 0.700). Those are R's numbers on that file; what can change on this side
//! is the file, so the test regenerates it and compares the SHA-256 (a
//! change means: rerun the oracle script and read its signs again).

use sha2::{Digest, Sha256};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/glm_signs.csv");

fn fixture() -> String {
    std::fs::read_to_string(FIXTURE)
        .unwrap_or_else(|e| panic!("{FIXTURE}: {e} (run tests/oracle/make_glm_signs.R)"))
}

#[test]
fn seed_3_regenerates_the_table_r_fitted() {
    let text = fixture();
    let want = text
        .lines()
        .find_map(|l| l.strip_prefix("# input_sha256: "))
        .expect("fixture has an input_sha256 line")
        .trim()
        .to_string();
    let study = dlrn_simulate::sample_study(&dlrn_simulate::SimParams::default(), 3, 1.0).unwrap();
    let tc = study.iter().find(|d| d.name == "TC").unwrap();
    let got = hex::encode(Sha256::digest(dlrn_simulate::clinical_csv(tc)));
    assert_eq!(
        got, want,
        "TC clinical.csv for seed 3 changed: rerun the oracle script"
    );
}
