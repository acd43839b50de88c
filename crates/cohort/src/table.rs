//! Tables (CSV or Parquet) through polars, with typed column access whose
//! errors name the file, the column and the 1-based data row.
//!
//! CSV cells that are empty or `NA` (R's missing value, as in the released
//! feature tables) read as missing; numeric access turns them into NaN.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::CohortError;

/// A table read from disk together with its source path (for error messages).
#[derive(Debug, Clone)]
pub struct Table {
    df: DataFrame,
    path: PathBuf,
}

/// Table formats chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated text with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl TableFormat {
    /// The format for a path's extension (`.csv`, `.parquet`/`.pq`).
    pub fn from_path(path: &Path) -> Result<Self, CohortError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref()
        {
            Some("csv") => Ok(TableFormat::Csv),
            Some("parquet") | Some("pq") => Ok(TableFormat::Parquet),
            _ => Err(CohortError::TableFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

fn table_err(path: &Path, e: impl std::fmt::Display) -> CohortError {
    CohortError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Checks a CSV file for what the parser would get wrong rather than refuse:
/// quoting that breaks RFC 4180 (polars-io 0.55 aborts the process on a
/// quote opening a field at the very end of the file, and reads out of
/// bounds on a quote inside an unquoted field) and a column name given twice
/// in the header (polars renames the second copy and the first is read
/// silently).
fn check_csv_text(path: &Path) -> Result<(), CohortError> {
    let bytes = std::fs::read(path).map_err(|e| CohortError::io(path, e))?;
    check_quoting(&bytes).map_err(|m| table_err(path, m))?;
    let text = String::from_utf8_lossy(&bytes);
    let header = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    let names: Vec<&str> = header
        .split(',')
        .map(|n| n.trim().trim_matches('"'))
        .collect();
    for (j, name) in names.iter().enumerate() {
        if let Some(k) = names[..j].iter().position(|n| n == name) {
            return Err(table_err(
                path,
                format!(
                    "column `{name}` appears twice in the header (columns {} and {})",
                    k + 1,
                    j + 1
                ),
            ));
        }
    }
    Ok(())
}

/// RFC 4180 quoting: a field is either unquoted and free of `"`, or opens
/// with `"`, doubles every `"` inside, and closes with `"` right before a
/// comma or the end of its record. Returns what is wrong and where.
fn check_quoting(bytes: &[u8]) -> Result<(), String> {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted { line: usize },
        Closed { line: usize },
    }
    let (mut line, mut field) = (1usize, 1usize);
    let mut state = State::FieldStart;
    for &b in bytes {
        state = match (state, b) {
            (State::Quoted { line: l }, b'"') => State::Closed { line: l },
            (State::Quoted { line: l }, c) => {
                if c == b'\n' {
                    line += 1;
                }
                State::Quoted { line: l }
            }
            (State::Closed { line: l }, b'"') => State::Quoted { line: l },
            (State::FieldStart, b'"') => State::Quoted { line },
            (State::Unquoted, b'"') => {
                return Err(format!(
                    "a double quote inside an unquoted field (line {line}, field {field}): \
                     quote the whole field and double the quote (\"\")"
                ));
            }
            (_, b',') => {
                field += 1;
                State::FieldStart
            }
            (_, b'\n') => {
                line += 1;
                field = 1;
                State::FieldStart
            }
            (State::Closed { line: l }, b'\r') => State::Closed { line: l },
            (State::Closed { .. }, _) => {
                return Err(format!(
                    "text after the closing double quote of a field (line {line}, field {field})"
                ));
            }
            (State::FieldStart | State::Unquoted, _) => State::Unquoted,
        };
    }
    match state {
        State::Quoted { line } => Err(format!(
            "unbalanced double quote: a quoted field opened on line {line} never closes"
        )),
        _ => Ok(()),
    }
}

impl Table {
    /// Reads a `.csv` or `.parquet` table. CSV schemas are inferred from all rows.
    pub fn read(path: &Path) -> Result<Table, CohortError> {
        let format = TableFormat::from_path(path)?;
        if !path.is_file() {
            return Err(CohortError::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        let df = match format {
            TableFormat::Csv => {
                check_csv_text(path)?;
                let parse = CsvParseOptions::default()
                    .with_null_values(Some(NullValues::AllColumns(vec!["NA".into(), "".into()])));
                CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(None)
                    .with_parse_options(parse)
                    .try_into_reader_with_file_path(Some(path.to_path_buf()))
                    .and_then(|r| r.finish())
                    .map_err(|e| table_err(path, e))?
            }
            TableFormat::Parquet => {
                let file = File::open(path).map_err(|e| CohortError::io(path, e))?;
                ParquetReader::new(file)
                    .finish()
                    .map_err(|e| table_err(path, e))?
            }
        };
        Ok(Table {
            df,
            path: path.to_path_buf(),
        })
    }

    /// Wraps an in-memory frame (its path is used only in messages).
    pub fn from_dataframe(df: DataFrame, path: impl Into<PathBuf>) -> Table {
        Table {
            df,
            path: path.into(),
        }
    }

    /// The file the table came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Column names in file order.
    pub fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .into_iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// Whether a column of that exact name exists.
    pub fn has_column(&self, name: &str) -> bool {
        self.df.column(name).is_ok()
    }

    /// Number of data rows.
    pub fn n_rows(&self) -> usize {
        self.df.height()
    }

    /// The underlying polars frame.
    pub fn dataframe(&self) -> &DataFrame {
        &self.df
    }

    fn column(&self, name: &str) -> Result<&Column, CohortError> {
        self.df
            .column(name)
            .map_err(|_| CohortError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
            })
    }

    /// Checks that every named column exists, listing all missing ones at once.
    pub fn require_columns(&self, names: &[&str]) -> Result<(), CohortError> {
        let missing: Vec<String> = names
            .iter()
            .filter(|n| !self.has_column(n))
            .map(|n| n.to_string())
            .collect();
        match missing.len() {
            0 => Ok(()),
            1 => Err(CohortError::MissingColumn {
                path: self.path.clone(),
                column: missing[0].clone(),
            }),
            _ => Err(CohortError::MissingColumns {
                path: self.path.clone(),
                columns: missing,
            }),
        }
    }

    /// A column as text; missing cells are `None`. Numbers are formatted as polars prints them.
    pub fn str_column(&self, name: &str) -> Result<Vec<Option<String>>, CohortError> {
        let col = self.column(name)?;
        let s = col
            .as_materialized_series()
            .cast(&DataType::String)
            .map_err(|e| table_err(&self.path, e))?;
        let ca = s.str().map_err(|e| table_err(&self.path, e))?;
        Ok(ca.iter().map(|v| v.map(|x| x.to_string())).collect())
    }

    /// A column as `f64`; missing cells become NaN. A cell that is not a number
    /// is an error naming its row, column and value.
    pub fn f64_column(&self, name: &str) -> Result<Vec<f64>, CohortError> {
        let col = self.column(name)?;
        let series = col.as_materialized_series();
        match series.dtype() {
            DataType::String => {
                let ca = series.str().map_err(|e| table_err(&self.path, e))?;
                ca.iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        None => Ok(f64::NAN),
                        Some(text) => parse_number(text).ok_or_else(|| CohortError::BadValue {
                            path: self.path.clone(),
                            row: i + 1,
                            column: name.to_string(),
                            found: text.to_string(),
                            expected: "is not a number".into(),
                        }),
                    })
                    .collect()
            }
            dt if dt.is_primitive_numeric()
                || dt == &DataType::Boolean
                || dt == &DataType::Null =>
            {
                let cast = series
                    .cast(&DataType::Float64)
                    .map_err(|e| table_err(&self.path, e))?;
                let ca = cast.f64().map_err(|e| table_err(&self.path, e))?;
                Ok(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
            }
            other => Err(CohortError::BadValue {
                path: self.path.clone(),
                row: 1,
                column: name.to_string(),
                found: format!("{other}"),
                expected: "is not a numeric column".into(),
            }),
        }
    }

    /// A binary outcome column: every cell must be 0 or 1 (no missing values).
    pub fn labels(&self, name: &str) -> Result<Vec<u8>, CohortError> {
        let values = self.f64_column(name)?;
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v == 0.0 {
                    Ok(0)
                } else if v == 1.0 {
                    Ok(1)
                } else {
                    Err(CohortError::BadValue {
                        path: self.path.clone(),
                        row: i + 1,
                        column: name.to_string(),
                        found: if v.is_nan() {
                            "(missing)".into()
                        } else {
                            format!("{v}")
                        },
                        expected: "is not a label (expected 0 or 1)".into(),
                    })
                }
            })
            .collect()
    }

    /// The `id` column as text, checked for missing and duplicate values.
    pub fn ids(&self) -> Result<Vec<String>, CohortError> {
        let raw = self.str_column("id")?;
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(raw.len());
        let mut out = Vec::with_capacity(raw.len());
        for (i, v) in raw.into_iter().enumerate() {
            let row = i + 1;
            let id = v.ok_or_else(|| CohortError::BadValue {
                path: self.path.clone(),
                row,
                column: "id".into(),
                found: "(missing)".into(),
                expected: "is not an id (ids must be present)".into(),
            })?;
            if let Some(&first_row) = seen.get(&id) {
                return Err(CohortError::DuplicateId {
                    path: self.path.clone(),
                    id,
                    first_row,
                    row,
                });
            }
            seen.insert(id.clone(), row);
            out.push(id);
        }
        Ok(out)
    }

    /// The columns other than `id` and `label`, in file order: the feature columns.
    pub fn feature_names(&self, label: &str) -> Vec<String> {
        self.column_names()
            .into_iter()
            .filter(|c| c != "id" && c != label)
            .collect()
    }
}

/// Parses a number as R's `read.csv` would: decimal, exponent, `NaN`, `Inf`.
fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    match t {
        "NaN" | "nan" => Some(f64::NAN),
        "Inf" | "inf" | "+Inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

/// Writes a frame as `.csv` or `.parquet` (by extension), creating parent folders.
pub fn write_table(df: &mut DataFrame, path: &Path) -> Result<(), CohortError> {
    let format = TableFormat::from_path(path)?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| CohortError::io(parent, e))?;
    }
    // Buffered: polars' parquet writer issues one small write per page and
    // column chunk (a 2,048-column table rewritten after every batch of
    // `extract deep` spent 15% of its time in the kernel's write path).
    let file = File::create(path).map_err(|e| CohortError::io(path, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    match format {
        TableFormat::Csv => CsvWriter::new(&mut out)
            .include_header(true)
            .finish(df)
            .map_err(|e| table_err(path, e))?,
        TableFormat::Parquet => ParquetWriter::new(&mut out)
            .finish(df)
            .map(|_| ())
            .map_err(|e| table_err(path, e))?,
    }
    out.flush().map_err(|e| CohortError::io(path, e))
}

/// Appends a frame's rows, without a header, to an existing CSV file (the
/// columns must be the file's): the append-only partial table of an
/// extraction. A kill during the append can leave a last line cut short;
/// [`truncate_torn_csv`] removes it.
pub fn append_csv_rows(df: &mut DataFrame, path: &Path) -> Result<(), CohortError> {
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| CohortError::io(path, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    CsvWriter::new(&mut out)
        .include_header(false)
        .finish(df)
        .map_err(|e| table_err(path, e))?;
    out.flush().map_err(|e| CohortError::io(path, e))
}

/// Cuts a CSV file after its last line break: what an append killed midway
/// left of its last row goes. Returns whether anything was cut.
pub fn truncate_torn_csv(path: &Path) -> Result<bool, CohortError> {
    let bytes = std::fs::read(path).map_err(|e| CohortError::io(path, e))?;
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if keep == bytes.len() {
        return Ok(false);
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| CohortError::io(path, e))?;
    file.set_len(keep as u64)
        .map_err(|e| CohortError::io(path, e))?;
    Ok(true)
}

/// Builds the released-format feature table: `id`, optional `ALN_status`
/// (missing where unknown), then one f64 column per feature name.
pub fn feature_frame(
    ids: &[String],
    labels: Option<&[Option<u8>]>,
    names: &[String],
    rows: &[Vec<f64>],
) -> Result<DataFrame, CohortError> {
    let n = ids.len();
    let mut columns: Vec<Column> = Vec::with_capacity(names.len() + 2);
    columns.push(Column::new("id".into(), ids.to_vec()));
    if let Some(labels) = labels {
        let v: Vec<Option<i32>> = labels.iter().map(|l| l.map(i32::from)).collect();
        columns.push(Column::new("ALN_status".into(), v));
    }
    for (j, name) in names.iter().enumerate() {
        let v: Vec<f64> = rows.iter().map(|r| r[j]).collect();
        columns.push(Column::new(name.as_str().into(), v));
    }
    DataFrame::new(n, columns).map_err(|e| table_err(Path::new("(features)"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn numeric_access_names_row_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t.csv", "id,age\n1,50\n2,abc\n3,NA\n");
        let t = Table::read(&p).unwrap();
        let err = t.f64_column("age").unwrap_err().to_string();
        assert!(
            err.contains("row 2") && err.contains("`age`") && err.contains("\"abc\""),
            "{err}"
        );
    }

    #[test]
    fn na_and_empty_cells_read_as_nan() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t.csv", "id,x\n1,1.5\n2,NA\n3,\n");
        let t = Table::read(&p).unwrap();
        let x = t.f64_column("x").unwrap();
        assert_eq!(x[0], 1.5);
        assert!(x[1].is_nan() && x[2].is_nan());
    }

    #[test]
    fn labels_must_be_binary() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t.csv", "id,y\na,0\nb,1\nc,2\n");
        let t = Table::read(&p).unwrap();
        let err = t.labels("y").unwrap_err().to_string();
        assert!(
            err.contains("row 3") && err.contains("expected 0 or 1"),
            "{err}"
        );
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        // Fine: quoted commas, doubled quotes, a quoted line break, CRLF.
        for ok in [
            "id,a\nP1,\"x, y\"\n",
            "id,a\r\nP1,\"say \"\"hi\"\"\"\r\n",
            "id,a\nP1,\"two\nlines\"\n",
            "id,a\nP1,\"\"\n",
        ] {
            assert_eq!(check_quoting(ok.as_bytes()), Ok(()), "{ok:?}");
        }
        // The file polars-io 0.55 reads out of bounds on: an even number of
        // quotes, one inside an unquoted field.
        let e = check_quoting(b"id,ALN_status\nP1,1\nx\"\n\"").unwrap_err();
        assert!(e.contains("unquoted field (line 3, field 1)"), "{e}");
        let e = check_quoting(b"id,a\nP1,\"x\"y\n").unwrap_err();
        assert!(
            e.contains("after the closing double quote of a field (line 2, field 2)"),
            "{e}"
        );
        let e = check_quoting(b"id,a\nP1,x\nP2,\"open\n").unwrap_err();
        assert!(e.contains("opened on line 3 never closes"), "{e}");
    }

    #[test]
    fn duplicate_ids_name_both_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t.csv", "id,y\na,0\nb,1\na,1\n");
        let err = Table::read(&p).unwrap().ids().unwrap_err().to_string();
        assert!(
            err.contains("\"a\"") && err.contains("rows 1 and 3"),
            "{err}"
        );
    }

    #[test]
    fn missing_columns_are_listed_together() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t.csv", "id,y\na,0\n");
        let err = Table::read(&p)
            .unwrap()
            .require_columns(&["id", "f1", "f2"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("f1, f2"), "{err}");
    }

    #[test]
    fn csv_and_parquet_round_trip_full_precision() {
        let dir = tempfile::tempdir().unwrap();
        let ids = vec!["a".to_string(), "b".to_string()];
        let names = vec!["x".to_string()];
        let rows = vec![vec![0.1 + 0.2], vec![f64::NAN]];
        for ext in ["csv", "parquet"] {
            let mut df = feature_frame(&ids, Some(&[Some(1), None]), &names, &rows).unwrap();
            let p = dir.path().join(format!("f.{ext}"));
            write_table(&mut df, &p).unwrap();
            let t = Table::read(&p).unwrap();
            let x = t.f64_column("x").unwrap();
            assert_eq!(x[0].to_bits(), (0.1f64 + 0.2).to_bits(), "{ext}");
            assert!(x[1].is_nan(), "{ext}");
            assert_eq!(t.ids().unwrap(), ids);
            assert!(t.f64_column("ALN_status").unwrap()[1].is_nan());
        }
    }
}
