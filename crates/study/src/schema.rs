//! The clinical schema as a file: `schema.toml` beside clinical.csv (or any
//! path), read and written as TOML, checked on reading. `cargo xtask paper`
//! takes `clinical.schema` from the config, else the training cohort's
//! `schema.toml`, else [`ClinicalSchema::paper`], and writes the one it used
//! to `<out>/schema.toml`; `dlrn logistic --schema` reads the same file.
//!
//! ```toml
//! missing = "complete_case"          # optional; R's na.omit, the count dropped is reported
//!
//! [outcome]                          # optional; this is the default
//! column = "ALN_status"
//! positive = "1"
//! negative = "0"
//! label = "ALN metastasis"
//!
//! [[variable]]
//! name = "age"                       # the clinical.csv column
//! label = "Age"                      # tables and nomogram
//! kind = "numeric"
//! range = [18, 100]                  # optional plausible range (outside: an input error)
//! unit = "years"                     # optional
//! allow_missing = false              # optional; empty/NA cells allowed when true
//!
//! [[variable]]
//! name = "us_aln"
//! label = "US-ALN"
//! kind = "binary"
//! levels = ["non-suspicious", "suspicious"]
//! positive = "suspicious"            # coded 1, the other level 0
//!
//! [[variable]]
//! name = "birads"
//! label = "BI-RADS"
//! kind = "ordinal"                   # one score 1, 2, … in this order
//! levels = ["4A", "4B", "4C", "5"]
//!
//! [[variable]]
//! name = "subtype"
//! label = "Molecular subtype"
//! kind = "nominal"                   # dummies `subtype=<level>` against the reference
//! levels = ["luminal_a", "luminal_b", "her2", "triple_negative"]
//! reference = "luminal_a"
//! level_labels = { luminal_a = "luminal A", her2 = "HER2-enriched" }   # optional
//! ```

use std::path::Path;

pub use dlrn_cohort::schema::{
    ClinicalData, ClinicalSchema, MissingPolicy, Outcome, SchemaError, Variable, VariableColumn,
    VariableKind,
};

use crate::error::{Result, StudyError};

/// Parses a schema from TOML text and checks it; `path` names it in errors.
pub fn schema_from_toml(text: &str, path: &Path) -> Result<ClinicalSchema> {
    let schema: ClinicalSchema = toml::from_str(text).map_err(|e| StudyError::Schema {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    schema.check().map_err(|e| StudyError::Schema {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(schema)
}

/// Reads and checks a `schema.toml`.
pub fn read_schema(path: &Path) -> Result<ClinicalSchema> {
    let text = std::fs::read_to_string(path).map_err(|source| StudyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    schema_from_toml(&text, path)
}

/// The schema as TOML text (what [`read_schema`] reads back).
pub fn schema_to_toml(schema: &ClinicalSchema) -> Result<String> {
    toml::to_string(schema).map_err(|e| StudyError::Schema {
        path: "schema.toml".into(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_schema_round_trips_through_toml() {
        let s = ClinicalSchema::paper();
        let text = schema_to_toml(&s).unwrap();
        assert!(text.contains("[[variable]]"), "{text}");
        assert!(text.contains("kind = \"nominal\""), "{text}");
        let back = schema_from_toml(&text, Path::new("schema.toml")).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn hand_written_schema_reads_and_errors_name_the_key() {
        let text = r#"
[outcome]
column = "y"
positive = "yes"
negative = "no"
label = "Event"

[[variable]]
name = "lvi"
label = "Lymphovascular invasion"
kind = "binary"
levels = ["absent", "present"]
positive = "present"

[[variable]]
name = "t_stage"
label = "T stage"
kind = "ordinal"
levels = ["T1", "T2", "T3"]
"#;
        let s = schema_from_toml(text, Path::new("schema.toml")).unwrap();
        assert_eq!(s.variables.len(), 2);
        assert_eq!(s.outcome.positive, "yes");
        let bad = text.replace("positive = \"present\"", "positive = \"yes\"");
        let e = schema_from_toml(&bad, Path::new("s.toml")).unwrap_err();
        assert!(
            e.to_string()
                .contains("variable `lvi`: positive level \"yes\""),
            "{e}"
        );
        let bad = text.replace("kind = \"ordinal\"", "kind = \"ordered\"");
        let e = schema_from_toml(&bad, Path::new("s.toml")).unwrap_err();
        assert!(e.to_string().starts_with("s.toml: "), "{e}");
    }

    /// The example of the module documentation, verbatim.
    const DOC_EXAMPLE: &str = r#"
missing = "complete_case"          # optional; R's na.omit, the count dropped is reported

[outcome]                          # optional; this is the default
column = "ALN_status"
positive = "1"
negative = "0"
label = "ALN metastasis"

[[variable]]
name = "age"                       # the clinical.csv column
label = "Age"                      # tables and nomogram
kind = "numeric"
range = [18, 100]                  # optional plausible range (outside: an input error)
unit = "years"                     # optional
allow_missing = false              # optional; empty/NA cells allowed when true

[[variable]]
name = "us_aln"
label = "US-ALN"
kind = "binary"
levels = ["non-suspicious", "suspicious"]
positive = "suspicious"            # coded 1, the other level 0

[[variable]]
name = "birads"
label = "BI-RADS"
kind = "ordinal"                   # one score 1, 2, … in this order
levels = ["4A", "4B", "4C", "5"]

[[variable]]
name = "subtype"
label = "Molecular subtype"
kind = "nominal"                   # dummies `subtype=<level>` against the reference
levels = ["luminal_a", "luminal_b", "her2", "triple_negative"]
reference = "luminal_a"
level_labels = { luminal_a = "luminal A", her2 = "HER2-enriched" }   # optional
"#;

    #[test]
    fn documented_example_reads() {
        let s = schema_from_toml(DOC_EXAMPLE, Path::new("schema.toml")).unwrap();
        assert_eq!(s.variables.len(), 4);
        assert_eq!(s.variables[3].level_label("luminal_a"), "luminal A");
        assert_eq!(
            s.variables[3].level_label("triple_negative"),
            "triple negative"
        );
        assert_eq!(s.outcome, Outcome::default());
    }
}
