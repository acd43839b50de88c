//! Property-based fuzzing of the model bundle loader (`Bundle::load`, what
//! `dlrn predict` and `dlrn assess` read first) and of prediction from a
//! loaded bundle. The property: `Ok` or a typed `BundleError`, never a panic.
//!
//! The seed is tests/fixtures/fuzz_bundle (see its README.md). Each case
//! edits one of its files — byte edits, or a JSON value swapped for an
//! extreme one (0, -0, 1e308, 1e400, 5e-324, null, [], a string) — and
//! re-stamps the file's SHA-256 in the manifest, so the edit reaches the
//! parsers and the consistency checks rather than stopping at the hash.
//! Cases per target: 64 by default; `PROPTEST_CASES=N` runs N.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dlrn_study::bundle::{Bundle, PatientInput};
use proptest::prelude::*;
use proptest::test_runner::Config;
use sha2::{Digest, Sha256};

fn config() -> Config {
    dlrn_testdata::fuzz_config(64)
}

const PARTS: [&str; 8] = [
    "clinical.json",
    "cnn.json",
    "cutoffs.json",
    "dlrn.json",
    "features.json",
    "nomogram.json",
    "ranges.json",
    "signature.json",
];

const VALUES: [&str; 10] = [
    "0", "-0", "1e308", "1e400", "5e-324", "-1", "null", "[]", "\"x\"", "{}",
];

fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz_bundle")
}

/// Copies the seed bundle into `dir`.
fn copy_seed(dir: &Path) {
    for e in std::fs::read_dir(seed_dir()).expect("the seed bundle") {
        let e = e.expect("a seed file");
        let name = e.file_name();
        if name.to_string_lossy().ends_with(".json") {
            std::fs::copy(e.path(), dir.join(name)).expect("copying a seed file");
        }
    }
}

/// Rewrites `part`'s SHA-256 in the manifest (by text, keeping its layout).
fn restamp(dir: &Path, part: &str) {
    let bytes = std::fs::read(dir.join(part)).expect("the edited part");
    let mut m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("the manifest"),
    )
    .expect("the seed manifest is JSON");
    m["files"][part] = hex::encode(Sha256::digest(&bytes)).into();
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&m).expect("JSON"),
    )
    .expect("writing the manifest");
}

/// Swaps the `k`-th (mod count) number, `true`/`false` or string of `text`
/// for `value`.
fn swap_value(text: &str, k: usize, value: &str) -> String {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            // A key is followed by ':'; only values are swapped.
            let rest = text[i.min(b.len())..].trim_start();
            if !rest.starts_with(':') {
                spans.push((start, i.min(b.len())));
            }
        } else if c == b'-' || c.is_ascii_digit() {
            let start = i;
            while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    if spans.is_empty() {
        return text.to_string();
    }
    let (s, e) = spans[k % spans.len()];
    format!("{}{}{}", &text[..s], value, &text[e..])
}

fn patient(values: &[f64], cells: &[String]) -> PatientInput {
    PatientInput {
        id: "P1".into(),
        features: [
            ("sNRV".to_string(), values[0]),
            ("f_7".to_string(), values[1]),
        ]
        .into(),
        clinical: [
            ("age".to_string(), cells[0].clone()),
            ("birads".to_string(), cells[1].clone()),
            ("subtype".to_string(), cells[2].clone()),
        ]
        .into(),
    }
}

fn cell() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "54",
        "4A",
        "5",
        "luminal_a",
        "",
        "NaN",
        "-1e308",
        "triple_negative",
        "x",
    ])
    .prop_map(str::to_string)
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -5.0f64..5.0,
        1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, -1e308, 0.0]),
    ]
}

#[test]
fn the_seed_bundle_loads_and_predicts() {
    let bundle = Bundle::load(&seed_dir()).expect("the seed bundle loads");
    let p = bundle
        .predict(&patient(
            &[0.1, 0.2],
            &["54".into(), "4B".into(), "luminal_b".into()],
        ))
        .expect("a patient inside the training ranges");
    assert!(p.p_signature > 0.0 && p.p_signature < 1.0, "{p:?}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn edited_part_loads_or_errs(
        part in 0..PARTS.len(),
        k in any::<usize>(),
        value in 0..VALUES.len(),
        bytes in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        xs in prop::collection::vec(number(), 2),
        cells in prop::collection::vec(cell(), 3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        copy_seed(dir.path());
        let path = dir.path().join(PARTS[part]);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut edited = swap_value(&text, k, VALUES[value]).into_bytes();
        for (at, v) in &bytes {
            if !edited.is_empty() {
                let n = edited.len();
                edited[at % n] = *v;
            }
        }
        std::fs::write(&path, &edited).unwrap();
        restamp(dir.path(), PARTS[part]);
        if let Ok(bundle) = Bundle::load(dir.path())
            && let Ok(p) = bundle.predict(&patient(&xs, &cells))
        {
            // A prediction that is returned is a probability, never NaN.
            for v in [p.p_clinical, p.p_signature, p.p_dlrn] {
                prop_assert!((0.0..=1.0).contains(&v), "{} {:?}", PARTS[part], p);
            }
        }
    }

    #[test]
    fn random_manifest_is_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        copy_seed(dir.path());
        std::fs::write(dir.path().join("manifest.json"), &bytes).unwrap();
        prop_assert!(Bundle::load(dir.path()).is_err());
    }

    #[test]
    fn edited_manifest_loads_or_errs(k in any::<usize>(), value in 0..VALUES.len()) {
        let dir = tempfile::tempdir().unwrap();
        copy_seed(dir.path());
        let path = dir.path().join("manifest.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, swap_value(&text, k, VALUES[value])).unwrap();
        let _ = Bundle::load(dir.path());
    }
}

/// The seed's files are what its README says: 8 parts and the manifest.
#[test]
fn seed_lists_every_part() {
    let m: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(seed_dir().join("manifest.json")).unwrap())
            .unwrap();
    let files = m["files"].as_object().unwrap();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, PARTS);
}
