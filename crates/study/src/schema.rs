//! The clinical schema as a file: `schema.toml` beside clinical.csv (or any
//! path), read and written as TOML, checked on reading.

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
}
