//! The one CSV writer of a `Serialize` row: its fields, in declaration order
//! and under their serde names, are the columns; each value is one cell.
//!
//! The cells go through this small serde serializer rather than the csv
//! crate's own (which prints an f64 with ryu: `1.0`, `NaN`, `1e-7`), so every
//! table keeps the report's full-precision rule of [`crate::format::full`]: the
//! shortest decimal that reads back to the same double, in plain notation
//! (`1`, `0.0000001`), `NA` for NaN, an empty cell for `None`, and a boolean as
//! `1`/`0`. A row holds plain values only (numbers, text, options of them, unit
//! enum variants); a nested struct, sequence or map leaves its record a cell
//! short, which the CSV writer refuses, naming the file.

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::format::full;

/// Why a value cannot be one cell (a nested struct, sequence or map).
#[derive(Debug)]
struct CellError(String);

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CellError {}

impl ser::Error for CellError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        CellError(msg.to_string())
    }
}

/// The column names of row type `T`: the serde field names of `T::default()`.
/// A field that is not a plain value still names its column, so its rows
/// come out one cell short and the writer refuses the table by its file.
pub fn csv_header<T: Serialize + Default>() -> Vec<String> {
    record(&T::default()).names
}

/// One full-precision record per row, in order (see [`csv_header`] for a
/// field that is not a plain value).
pub fn csv_records<T: Serialize>(rows: &[T]) -> Vec<Vec<String>> {
    rows.iter().map(|r| record(r).cells).collect()
}

/// The column names and cells of one row, up to the first field that is not
/// a plain value (named, but without a cell).
fn record<T: Serialize>(row: &T) -> Record {
    let mut r = Record::default();
    // A field that is not a plain value ends the record early, named but
    // without its cell (a row that is no struct: an unnamed column); the
    // missing cell is what the writer's equal-length check reports.
    if row.serialize(&mut r).is_err() && r.names.len() == r.cells.len() {
        r.names.push(String::new());
    }
    r
}

#[derive(Default)]
struct Record {
    names: Vec<String>,
    cells: Vec<String>,
}

fn unsupported(what: &str) -> CellError {
    CellError(format!(
        "a CSV row must be a struct of plain values, found {what}"
    ))
}

impl ser::Serializer for &mut Record {
    type Ok = ();
    type Error = CellError;
    type SerializeSeq = Impossible<(), CellError>;
    type SerializeTuple = Impossible<(), CellError>;
    type SerializeTupleStruct = Impossible<(), CellError>;
    type SerializeTupleVariant = Impossible<(), CellError>;
    type SerializeMap = Impossible<(), CellError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), CellError>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, CellError> {
        Ok(self)
    }

    fn serialize_bool(self, _: bool) -> Result<(), CellError> {
        Err(unsupported("a bool"))
    }
    fn serialize_i8(self, _: i8) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_i16(self, _: i16) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_i32(self, _: i32) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_i64(self, _: i64) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_u8(self, _: u8) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_u16(self, _: u16) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_u32(self, _: u32) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_u64(self, _: u64) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_f32(self, _: f32) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_f64(self, _: f64) -> Result<(), CellError> {
        Err(unsupported("a number"))
    }
    fn serialize_char(self, _: char) -> Result<(), CellError> {
        Err(unsupported("a character"))
    }
    fn serialize_str(self, _: &str) -> Result<(), CellError> {
        Err(unsupported("a string"))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CellError> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<(), CellError> {
        Err(unsupported("an option"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), CellError> {
        Err(unsupported("an option"))
    }
    fn serialize_unit(self) -> Result<(), CellError> {
        Err(unsupported("a unit"))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), CellError> {
        Err(unsupported(name))
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), CellError> {
        Err(unsupported(name))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _: &T,
    ) -> Result<(), CellError> {
        Err(unsupported(name))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CellError> {
        Err(unsupported(name))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CellError> {
        Err(unsupported("a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CellError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CellError> {
        Err(unsupported(name))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CellError> {
        Err(unsupported(name))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CellError> {
        Err(unsupported("a map"))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CellError> {
        Err(unsupported(name))
    }
}

impl ser::SerializeStruct for &mut Record {
    type Ok = ();
    type Error = CellError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CellError> {
        self.names.push(key.to_string());
        let cell = value
            .serialize(Cell)
            .map_err(|e| CellError(format!("column `{key}`: {e}")))?;
        self.cells.push(cell);
        Ok(())
    }

    fn end(self) -> Result<(), CellError> {
        Ok(())
    }
}

/// One value as one cell.
struct Cell;

impl ser::Serializer for Cell {
    type Ok = String;
    type Error = CellError;
    type SerializeSeq = Impossible<String, CellError>;
    type SerializeTuple = Impossible<String, CellError>;
    type SerializeTupleStruct = Impossible<String, CellError>;
    type SerializeTupleVariant = Impossible<String, CellError>;
    type SerializeMap = Impossible<String, CellError>;
    type SerializeStruct = Impossible<String, CellError>;
    type SerializeStructVariant = Impossible<String, CellError>;

    fn serialize_bool(self, v: bool) -> Result<String, CellError> {
        Ok(u8::from(v).to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<String, CellError> {
        Ok(if v.is_nan() {
            "NA".into()
        } else {
            v.to_string()
        })
    }
    fn serialize_f64(self, v: f64) -> Result<String, CellError> {
        Ok(full(Some(v)))
    }
    fn serialize_char(self, v: char) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, CellError> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, CellError> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<String, CellError> {
        Ok(String::new())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<String, CellError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, CellError> {
        Ok(String::new())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, CellError> {
        Ok(String::new())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, CellError> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, CellError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, CellError> {
        Err(unsupported(name))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, CellError> {
        Err(unsupported("a sequence"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CellError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CellError> {
        Err(unsupported(name))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CellError> {
        Err(unsupported(name))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CellError> {
        Err(unsupported("a map"))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, CellError> {
        Err(unsupported(name))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CellError> {
        Err(unsupported(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Default)]
    struct Row {
        name: String,
        #[serde(rename = "p")]
        value: f64,
        bound: Option<f64>,
        n: u64,
        passed: bool,
    }

    #[derive(Serialize, Default)]
    struct Nested {
        row: Row,
    }

    #[test]
    fn fields_are_columns_and_floats_keep_plain_shortest_form() {
        assert_eq!(csv_header::<Row>(), ["name", "p", "bound", "n", "passed"]);
        let rows = [
            Row {
                name: "a,b".into(),
                value: 1.0,
                bound: None,
                n: 3,
                passed: true,
            },
            Row {
                name: String::new(),
                value: 1e-7,
                bound: Some(f64::NAN),
                n: 0,
                passed: false,
            },
        ];
        // Written by hand from the rule: `{}` of the double, NA, empty, 1/0.
        assert_eq!(
            csv_records(&rows),
            [
                ["a,b", "1", "", "3", "1"],
                ["", "0.0000001", "NA", "0", "0"]
            ]
        );
        assert_eq!(
            csv_records(&[0.1 + 0.2_f64].map(|v| Row {
                value: v,
                ..Row::default()
            }))[0][1],
            "0.30000000000000004"
        );
    }

    #[test]
    fn a_nested_struct_leaves_its_record_one_cell_short() {
        assert_eq!(csv_header::<Nested>(), ["row"]);
        assert_eq!(csv_records(&[Nested::default()]), [Vec::<String>::new()]);
    }
}
