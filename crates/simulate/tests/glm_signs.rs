//! Table 3 signs on the simulated training cohort, with R as the oracle:
//! tests/oracle/make_glm_signs.R fitted `glm(..., family = binomial)` on the
//! TC clinical.csv of seed 3, scale 1, and wrote tests/fixtures/glm_signs.csv
//! with the SHA-256 of the file it read.

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

#[test]
fn r_glm_recovers_all_four_table_3_signs() {
    let text = fixture();
    let coef = |term: &str| -> f64 {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[0] == "table3" && f[1] == term)
            .unwrap_or_else(|| panic!("fixture lacks table3,{term}"))[2]
            .parse()
            .unwrap()
    };
    // Table 3 (study.md): age −0.0184, BI-RADS +0.3811, grade +0.3896, US-ALN +0.7001.
    let (age, birads, grade, us) = (
        coef("age"),
        coef("birads_step"),
        coef("grade"),
        coef("us_aln_suspicious"),
    );
    assert!(age < 0.0, "age {age}");
    assert!(birads > 0.0, "birads {birads}");
    assert!(grade > 0.0, "grade {grade}");
    assert!(us > 0.0, "us_aln {us}");
    // Rough sizes: within a factor 3 of Table 3's (the clinical-only fit is the
    // marginal model; see OutcomeModel::clinical_effect_scale).
    for (got, paper) in [
        (age, -0.0184),
        (birads, 0.3811),
        (grade, 0.3896),
        (us, 0.7001),
    ] {
        let ratio = got / paper;
        assert!((1.0 / 3.0..3.0).contains(&ratio), "{got} vs {paper}");
    }
}
