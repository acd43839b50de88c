//! The optional reader table (`<cohort>/readers.csv`): radiologists' reads
//! of the cohort's patients, for the radiologists' rows of Table 2 and the
//! inter-/intra-observer kappas.
//!
//! Columns (one row per patient × reader × read):
//! - `id`: a patient id of clinical.csv;
//! - `reader`: the reader's name (letters, digits, `_`, `-`);
//! - `read` (optional column, default 1): 1 for the first read, 2, 3, … for
//!   repeat reads of the same patient by the same reader (intra-observer);
//! - `aln_call`: the reader's ALN call, 0 (negative) or 1 (metastasis);
//! - `birads`: the reader's BI-RADS category, `4A|4B|4C|5`;
//! - `us_aln`: the reader's axillary ultrasound, `non-suspicious|suspicious`.
//!
//! Rules: every cell filled; (id, reader, read) unique; a repeat read n > 1
//! only where the same reader has read n − 1 of that patient; every reader's
//! first reads cover the same patients (so a consensus exists for each), and
//! ids are ids of clinical.csv when it is given.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Problem;
use crate::clinical::levels;

/// File name of the reader table inside a cohort folder.
pub const READERS_FILE: &str = "readers.csv";

/// Required columns of readers.csv (`read` is optional).
pub const READER_COLUMNS: &[&str] = &["id", "reader", "aln_call", "birads", "us_aln"];

/// One reader's read of one patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Read {
    /// Patient id.
    pub id: String,
    /// Reader name.
    pub reader: String,
    /// 1 = first read, 2.. = repeat reads.
    pub read: u32,
    /// ALN call: 1 = metastasis.
    pub aln_call: u8,
    /// BI-RADS category as written (`4A|4B|4C|5`).
    pub birads: String,
    /// Axillary ultrasound as written (`non-suspicious|suspicious`).
    pub us_aln: String,
}

impl Read {
    /// BI-RADS as the ordinal code the study uses: 4A = 1 … 5 = 4.
    pub fn birads_code(&self) -> i64 {
        code("birads", &self.birads)
    }

    /// US-ALN as 0 (non-suspicious) / 1 (suspicious).
    pub fn us_aln_code(&self) -> i64 {
        code("us_aln", &self.us_aln)
    }
}

/// Position of a validated value in its vocabulary: 1-based for multi-level
/// columns, 0/1 for two-level ones (as `Patient::ordinal`).
fn code(column: &str, value: &str) -> i64 {
    let lv = levels(column).unwrap_or(&[]);
    let pos = lv.iter().position(|l| *l == value).unwrap_or(0) as i64;
    if lv.len() == 2 { pos } else { pos + 1 }
}

/// A validated reader table.
#[derive(Debug, Clone, Serialize)]
pub struct Readers {
    /// The file it was read from.
    pub path: PathBuf,
    /// Every read, in file order.
    pub reads: Vec<Read>,
    /// Reader names, sorted.
    pub readers: Vec<String>,
    /// Patients with first reads, in order of first appearance in the file.
    pub patients: Vec<String>,
}

impl Readers {
    /// The read number `read` of `reader`, by patient id.
    pub fn reads_of(&self, reader: &str, read: u32) -> BTreeMap<&str, &Read> {
        self.reads
            .iter()
            .filter(|r| r.reader == reader && r.read == read)
            .map(|r| (r.id.as_str(), r))
            .collect()
    }

    /// Largest read number of any reader (1 when there are no repeat reads).
    pub fn max_read(&self) -> u32 {
        self.reads.iter().map(|r| r.read).max().unwrap_or(1)
    }
}

/// Reads and validates readers.csv, collecting every problem (file, 1-based
/// data row, column, value, expectation). With `known_ids` (the ids of the
/// cohort's clinical.csv), an id not among them is a problem.
pub fn read_readers(path: &Path, known_ids: Option<&[String]>) -> Result<Readers, Vec<Problem>> {
    let one = |row: Option<usize>, column: Option<&str>, msg: String| {
        vec![Problem::new(path, row, column, msg)]
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| one(None, None, format!("cannot read table: {e}")))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| one(None, None, format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let missing: Vec<Problem> = READER_COLUMNS
        .iter()
        .filter(|c| col(c).is_none())
        .map(|c| Problem::new(path, None, Some(c), "missing column"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let idx = |name: &str| col(name).unwrap_or(0);
    let (i_id, i_reader, i_call, i_birads, i_us) = (
        idx("id"),
        idx("reader"),
        idx("aln_call"),
        idx("birads"),
        idx("us_aln"),
    );
    let i_read = col("read");
    let known: Option<BTreeSet<&str>> =
        known_ids.map(|ids| ids.iter().map(String::as_str).collect());
    let birads_levels = levels("birads").unwrap_or(&[]);
    let us_levels = levels("us_aln").unwrap_or(&[]);

    let mut problems = Vec::new();
    let mut reads = Vec::new();
    let mut seen: HashMap<(String, String, u32), usize> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::new(
                    path,
                    Some(row),
                    None,
                    format!("malformed row: {e}"),
                ));
                continue;
            }
        };
        let cell = |k: usize| rec.get(k).unwrap_or("");
        let mut bad = |column: &str, msg: String| {
            problems.push(Problem::new(path, Some(row), Some(column), msg));
        };
        let id = cell(i_id);
        let reader = cell(i_reader);
        let mut ok = true;
        if id.is_empty() {
            bad("id", "missing id".into());
            ok = false;
        } else if known.as_ref().is_some_and(|k| !k.contains(id)) {
            bad("id", format!("{id:?} is not an id of clinical.csv"));
            ok = false;
        }
        if reader.is_empty()
            || !reader
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            bad(
                "reader",
                format!("{reader:?} is not a reader name (letters, digits, _ or -)"),
            );
            ok = false;
        }
        let read = match i_read.map(cell) {
            None | Some("") => 1,
            Some(v) => match v.parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    bad("read", format!("{v:?} is not a read number (1, 2, …)"));
                    ok = false;
                    1
                }
            },
        };
        let call = cell(i_call);
        let aln_call = match call {
            "0" => 0,
            "1" => 1,
            other => {
                bad("aln_call", format!("{other:?} is not 0 or 1"));
                ok = false;
                0
            }
        };
        let birads = cell(i_birads);
        if !birads_levels.contains(&birads) {
            bad(
                "birads",
                format!("{birads:?} is not one of {}", birads_levels.join("|")),
            );
            ok = false;
        }
        let us = cell(i_us);
        if !us_levels.contains(&us) {
            bad(
                "us_aln",
                format!("{us:?} is not one of {}", us_levels.join("|")),
            );
            ok = false;
        }
        if !ok {
            continue;
        }
        let key = (id.to_string(), reader.to_string(), read);
        if let Some(&first) = seen.get(&key) {
            bad(
                "id",
                format!(
                    "reader {reader:?} read {read} of {id:?} appears twice (first in row {first})"
                ),
            );
            continue;
        }
        seen.insert(key, row);
        reads.push((
            row,
            Read {
                id: id.to_string(),
                reader: reader.to_string(),
                read,
                aln_call,
                birads: birads.to_string(),
                us_aln: us.to_string(),
            },
        ));
    }
    if reads.is_empty() && problems.is_empty() {
        problems.push(Problem::new(path, None, None, "no reads"));
    }
    // Repeat reads need the previous read.
    for (row, r) in &reads {
        if r.read > 1 && !seen.contains_key(&(r.id.clone(), r.reader.clone(), r.read - 1)) {
            problems.push(Problem::new(
                path,
                Some(*row),
                Some("read"),
                format!(
                    "read {} of {:?} by {:?} has no read {} before it",
                    r.read,
                    r.id,
                    r.reader,
                    r.read - 1
                ),
            ));
        }
    }
    // Every reader's first reads cover the same patients.
    let mut patients: Vec<String> = Vec::new();
    let mut in_patients = BTreeSet::new();
    let mut by_reader: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (_, r) in &reads {
        if r.read == 1 {
            if in_patients.insert(r.id.clone()) {
                patients.push(r.id.clone());
            }
            by_reader.entry(&r.reader).or_default().insert(&r.id);
        } else {
            by_reader.entry(&r.reader).or_default();
        }
    }
    for (reader, ids) in &by_reader {
        let lacking: Vec<&str> = patients
            .iter()
            .map(String::as_str)
            .filter(|p| !ids.contains(p))
            .collect();
        if !lacking.is_empty() {
            let shown: Vec<&str> = lacking.iter().take(5).copied().collect();
            let more = if lacking.len() > 5 {
                format!(" and {} more", lacking.len() - 5)
            } else {
                String::new()
            };
            problems.push(Problem::new(
                path,
                None,
                Some("reader"),
                format!(
                    "reader {reader:?} has no first read of {} patient(s) that other readers read: {}{more}",
                    lacking.len(),
                    shown.join(", ")
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Readers {
        path: path.to_path_buf(),
        readers: by_reader.keys().map(|s| s.to_string()).collect(),
        reads: reads.into_iter().map(|(_, r)| r).collect(),
        patients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "id,reader,read,aln_call,birads,us_aln";

    fn read(rows: &[&str], known: Option<&[String]>) -> Result<Readers, Vec<Problem>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(READERS_FILE);
        std::fs::write(&p, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
        read_readers(&p, known)
    }

    fn all(probs: &[Problem]) -> String {
        probs
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn valid_table_parses_with_codes_and_repeat_reads() {
        let r = read(
            &[
                "P1,R1,1,1,4B,suspicious",
                "P1,R2,1,0,5,non-suspicious",
                "P2,R1,1,0,4A,non-suspicious",
                "P2,R2,1,1,4C,suspicious",
                "P1,R1,2,1,4C,suspicious",
            ],
            None,
        )
        .unwrap();
        assert_eq!(r.readers, ["R1", "R2"]);
        assert_eq!(r.patients, ["P1", "P2"]);
        assert_eq!(r.max_read(), 2);
        let r1 = r.reads_of("R1", 1);
        assert_eq!(r1["P1"].birads_code(), 2);
        assert_eq!(r1["P2"].birads_code(), 1);
        assert_eq!(r.reads_of("R2", 1)["P1"].birads_code(), 4);
        assert_eq!(r1["P1"].us_aln_code(), 1);
        assert_eq!(r.reads_of("R1", 2).len(), 1);
    }

    #[test]
    fn read_column_is_optional() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(READERS_FILE);
        std::fs::write(
            &p,
            "id,reader,aln_call,birads,us_aln\nP1,R1,1,5,suspicious\n",
        )
        .unwrap();
        assert_eq!(read_readers(&p, None).unwrap().reads[0].read, 1);
    }

    #[test]
    fn unknown_id_bad_cells_and_duplicates_name_row_and_column() {
        let known = vec!["P1".to_string(), "P2".to_string()];
        let probs = read(
            &[
                "P1,R1,1,1,4B,suspicious",
                "P9,R1,1,0,4A,non-suspicious",
                "P2,R1,1,2,4D,maybe",
                "P1,R1,1,1,4B,suspicious",
                "P2,R 1,x,1,4B,suspicious",
            ],
            Some(&known),
        )
        .unwrap_err();
        let text = all(&probs);
        assert!(
            text.contains("readers.csv: row 2, column `id`: \"P9\" is not an id of clinical.csv"),
            "{text}"
        );
        assert!(
            text.contains("row 3, column `aln_call`: \"2\" is not 0 or 1"),
            "{text}"
        );
        assert!(
            text.contains("row 3, column `birads`: \"4D\" is not one of 4A|4B|4C|5"),
            "{text}"
        );
        assert!(
            text.contains(
                "row 3, column `us_aln`: \"maybe\" is not one of non-suspicious|suspicious"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "row 4, column `id`: reader \"R1\" read 1 of \"P1\" appears twice (first in row 1)"
            ),
            "{text}"
        );
        assert!(
            text.contains("row 5, column `reader`: \"R 1\" is not a reader name"),
            "{text}"
        );
        assert!(
            text.contains("row 5, column `read`: \"x\" is not a read number"),
            "{text}"
        );
    }

    #[test]
    fn a_reader_with_missing_reads_is_named_with_the_patients() {
        let probs = read(
            &[
                "P1,R1,1,1,4B,suspicious",
                "P2,R1,1,0,4A,non-suspicious",
                "P3,R1,1,0,4A,non-suspicious",
                "P1,R2,1,1,4B,suspicious",
                "P3,R2,2,1,4B,suspicious",
            ],
            None,
        )
        .unwrap_err();
        let text = all(&probs);
        assert!(
            text.contains("column `reader`: reader \"R2\" has no first read of 2 patient(s) that other readers read: P2, P3"),
            "{text}"
        );
        assert!(
            text.contains(
                "row 5, column `read`: read 2 of \"P3\" by \"R2\" has no read 1 before it"
            ),
            "{text}"
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(READERS_FILE);
        std::fs::write(&p, "id,reader\nP1,R1\n").unwrap();
        let text = all(&read_readers(&p, None).unwrap_err());
        for c in ["aln_call", "birads", "us_aln"] {
            assert!(
                text.contains(&format!("column `{c}`: missing column")),
                "{text}"
            );
        }
    }
}
