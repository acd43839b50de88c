//! The file formats images and masks come in, a module each, all read into
//! the types of [`crate::pixels`]: raster images and masks ([`raster`]),
//! DICOM ([`dicom`]), NIfTI label maps ([`nifti`]) and ImageJ outlines
//! ([`roi`]). Shared here: how an image is read ([`ImageOptions`]), file
//! names and folder listings by id, grey-level mapping ([`grey`]) and the
//! label rule of masks ([`labels`]). [`crate::load_image`] and
//! [`crate::load_mask_for`] pick the format; no format module calls back up.
//! Each format decodes a file's bytes, its name standing for the file in
//! messages; the path-based loaders read the file and call that decoder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::CohortError;

pub(crate) mod dicom;
pub(crate) mod grey;
pub(crate) mod labels;
pub mod nifti;
pub(crate) mod raster;
pub mod roi;

/// How an image is read: which frame of a multi-frame DICOM, and an optional
/// VOI window for data of more than 8 bits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageOptions {
    /// 1-based frame of a multi-frame DICOM; `None` takes frame 1 and warns
    /// when the file has several.
    pub frame: Option<u32>,
    /// Window (center, width) in modality units for >8-bit data, overriding
    /// the file's window and the min–max mapping.
    pub window: Option<(f64, f64)>,
}

/// Reads a whole file; an I/O error names it.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, CohortError> {
    std::fs::read(path).map_err(|e| CohortError::io(path, e))
}

/// A mask file's id and lower-case extension: `P1.nii.gz` → (`P1`, `nii.gz`).
pub fn split_name(path: &Path) -> Option<(String, String)> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".nii.gz") && name.len() > 7 {
        return Some((name[..name.len() - 7].to_string(), "nii.gz".to_string()));
    }
    let stem = path.file_stem()?.to_str()?.to_string();
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some((stem, ext))
}

/// Lists the files of a folder whose extension is in `exts`, by id (the
/// name without the extension; `P1.nii.gz` → `P1`), sorted by id. Two files
/// with the same id are an error.
pub(crate) fn list_files(
    dir: &Path,
    exts: &[&str],
) -> Result<BTreeMap<String, PathBuf>, CohortError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CohortError::io(dir, e))?;
    let mut out = BTreeMap::new();
    let mut clashes = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| CohortError::io(dir, e))?.path();
        let Some((stem, ext)) = split_name(&path) else {
            continue;
        };
        if !path.is_file() || !exts.contains(&ext.as_str()) {
            continue;
        }
        if let Some(prev) = out.insert(stem.clone(), path.clone()) {
            clashes.push(format!(
                "id {stem:?} has two files: {} and {}",
                prev.display(),
                path.display()
            ));
        }
    }
    if clashes.is_empty() {
        Ok(out)
    } else {
        Err(CohortError::Unpaired {
            dir: dir.to_path_buf(),
            problems: clashes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_double_extension() {
        assert_eq!(
            split_name(Path::new("m/P1.nii.gz")),
            Some(("P1".into(), "nii.gz".into()))
        );
        assert_eq!(
            split_name(Path::new("m/P.2.ROI")),
            Some(("P.2".into(), "roi".into()))
        );
    }
}
