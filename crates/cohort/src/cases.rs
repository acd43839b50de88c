//! Pairing images with masks in a cohort folder (`images/<id>.*` ↔ `masks/<id>.*`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::CohortError;
use crate::formats::list_files;
use crate::images::IMAGE_EXTENSIONS;
use crate::masks::list_masks;

/// One patient's image and lesion mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Patient id (the common file stem).
    pub id: String,
    /// The ultrasound image.
    pub image: PathBuf,
    /// The lesion mask.
    pub mask: PathBuf,
}

/// Lists the image files of a folder by id (file stem), sorted by id. Two
/// files with the same stem (e.g. `P1.png` and `P1.jpg`) are an error.
pub fn list_images(dir: &Path) -> Result<BTreeMap<String, PathBuf>, CohortError> {
    list_files(dir, IMAGE_EXTENSIONS)
}

/// The image/mask pairs of a cohort folder, sorted by id: `dir/images/<id>.*`
/// with `dir/<masks_subdir>/<id>.*`. A mask without an image is an error, and
/// so is an image without a mask in the main `masks` folder; a re-outline
/// folder (`icc/<reader>`) covers a subset of the patients, so there only the
/// masks present are paired. Every such id is listed in the error.
pub fn scan_cases(dir: &Path, masks_subdir: &str) -> Result<Vec<Case>, CohortError> {
    let images = list_images(&dir.join("images"))?;
    let masks_dir = dir.join(masks_subdir);
    let masks = list_masks(&masks_dir)?;
    let subset = masks_subdir != "masks";
    let mut problems = Vec::new();
    if !subset {
        for id in images.keys().filter(|id| !masks.contains_key(*id)) {
            problems.push(format!(
                "image {id:?} has no mask in {}",
                masks_dir.display()
            ));
        }
    }
    for id in masks.keys().filter(|id| !images.contains_key(*id)) {
        problems.push(format!("mask {id:?} has no image in images/"));
    }
    if !problems.is_empty() {
        return Err(CohortError::Unpaired {
            dir: dir.to_path_buf(),
            problems,
        });
    }
    Ok(masks
        .into_iter()
        .map(|(id, mask)| {
            let image = images[&id].clone();
            Case { id, image, mask }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_by_stem_and_reports_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("images")).unwrap();
        std::fs::create_dir_all(d.join("masks")).unwrap();
        for f in [
            "images/a.png",
            "images/b.jpg",
            "masks/a.png",
            "masks/b.png",
            "images/notes.txt",
        ] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let cases = scan_cases(d, "masks").unwrap();
        assert_eq!(
            cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        std::fs::write(d.join("images/c.png"), b"x").unwrap();
        std::fs::write(d.join("masks/z.png"), b"x").unwrap();
        let err = scan_cases(d, "masks").unwrap_err().to_string();
        assert!(
            err.contains("image \"c\" has no mask") && err.contains("mask \"z\" has no image"),
            "{err}"
        );
        // A re-outline folder covers a subset: images without one are fine.
        std::fs::create_dir_all(d.join("icc/r2")).unwrap();
        std::fs::write(d.join("icc/r2/b.png"), b"x").unwrap();
        let sub = scan_cases(d, "icc/r2").unwrap();
        assert_eq!(sub.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["b"]);
    }
}
