//! dlrn-web: the DLRN's prediction path for a page in a browser, compiled to
//! WebAssembly. An ultrasound image and the lesion's outline become the 544
//! handcrafted features (dlrn-radiomics), the ResNet50 deep features
//! (dlrn-deep on Burn's Flex backend), and with the clinical values the
//! signature, the clinical model, the DLRN probability and the nomogram
//! points of a model bundle (dlrn-bundle) — the same code `dlrn predict`
//! runs, so the page gives the command line's numbers.
//!
//! The core ([`Model`], [`read_image`], [`read_mask`], [`outline_mask`],
//! [`handcrafted`]) is plain Rust, tested natively; [`bindings`] is the thin
//! wasm-bindgen layer the page calls (JSON text and byte arrays across the
//! boundary). Nothing here reads a file or the network: the page hands over
//! the bytes the user chose.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::Path;

use burn::backend::Flex;
use dlrn_bundle::{Bundle, BundleError, CnnWeights, Coding, InputRange, PatientInput, Prediction};
use dlrn_cohort::{CohortError, GreyImage, ImageOptions, LoadedImage, Mask, MaskOptions};
use dlrn_deep::preprocess::{Grey, lesion_crop, normalise};
use dlrn_deep::{DeepError, FusedResNet, feature_names, features, resnet50_for};
use serde::Serialize;

pub mod bindings;
#[cfg(not(target_arch = "wasm32"))]
pub mod export;

/// What can go wrong between the user's files and a prediction; each message
/// names the file or input concerned.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// An image or mask that cannot be read or does not fit its image.
    #[error(transparent)]
    Cohort(#[from] CohortError),
    /// A model bundle that is incomplete or inconsistent, or a patient's
    /// input the bundle cannot score.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// The CNN's weights or its input.
    #[error(transparent)]
    Deep(#[from] DeepError),
    /// Anything else the page passed that is not usable.
    #[error("{0}")]
    Input(String),
}

/// Result with [`WebError`].
pub type Result<T, E = WebError> = std::result::Result<T, E>;

/// The warning every prediction of a bundle trained on ComBat-harmonised
/// features carries here: one patient is not a batch ComBat can estimate,
/// so the page scores unharmonised features, as `dlrn predict --harmonize none`.
pub const UNHARMONISED_WARNING: &str = "features not harmonised: the model was trained on \
     ComBat-harmonised features and one patient cannot be harmonised, so the probability \
     may be biased at a new hospital (`dlrn predict` harmonises a whole cohort)";

/// Reads an ultrasound image from its bytes (PNG, JPEG, TIFF, BMP, DICOM by
/// `name`'s extension), as 8-bit grey with how it got there — `dlrn`'s reader.
pub fn read_image(name: &str, bytes: &[u8]) -> Result<LoadedImage> {
    Ok(dlrn_cohort::load_image_bytes(
        Path::new(name),
        bytes,
        &ImageOptions::default(),
    )?)
}

/// Reads a lesion mask from its bytes (raster label mask, ImageJ `.roi` or
/// RoiSet `.zip`, NIfTI) onto an image of `size` = (width, height).
pub fn read_mask(name: &str, bytes: &[u8], size: (usize, usize)) -> Result<Mask> {
    Ok(dlrn_cohort::load_mask_bytes(
        Path::new(name),
        bytes,
        size,
        &MaskOptions::default(),
    )?)
}

/// The mask of an outline drawn on the image (vertices in pixels), filled
/// with ImageJ's polygon rule, as an ImageJ `.roi` of the same vertices.
pub fn outline_mask(xs: &[f64], ys: &[f64], size: (usize, usize)) -> Result<Mask> {
    Ok(dlrn_cohort::mask_from_polygon(
        Path::new("the drawn outline"),
        xs,
        ys,
        size,
    )?)
}

/// Checks that a mask outlines a lesion on `image`: the same grid, some
/// lesion pixels, some background (the extraction's and `dlrn validate`'s rules).
fn check_outline(image: &GreyImage, mask: &Mask, what: &str) -> Result<()> {
    if (mask.width, mask.height) != (image.width, image.height) {
        return Err(WebError::Input(format!(
            "{what}: mask is {}×{} but the image is {}×{} (width×height)",
            mask.width, mask.height, image.width, image.height
        )));
    }
    let area = mask.area();
    if area == 0 {
        return Err(WebError::Input(format!(
            "{what}: the outline holds no pixel of the image (empty mask)"
        )));
    }
    if area == mask.width * mask.height {
        return Err(WebError::Input(format!(
            "{what}: mask covers the whole frame (no background pixel)"
        )));
    }
    Ok(())
}

/// The 544 handcrafted (BUSAT) features of the lesion, by column name in
/// the released tables' order (`dlrn extract handcrafted`'s computation).
pub fn handcrafted(image: &GreyImage, mask: &Mask, what: &str) -> Result<Vec<(String, f64)>> {
    check_outline(image, mask, what)?;
    let p = dlrn_radiomics::Prepared::new(image.width, image.height, &image.pixels, &mask.pixels)
        .map_err(|e| WebError::Input(format!("{what}: {e}")))?;
    let f = dlrn_radiomics::extract_prepared(&p);
    Ok(dlrn_radiomics::COLUMNS
        .iter()
        .map(|c| c.to_string())
        .zip(f.values)
        .collect())
}

/// A model bundle ready to score patients, with its CNN built on first use.
pub struct Model {
    bundle: Bundle,
    files: BTreeMap<String, Vec<u8>>,
    cnn: OnceCell<FusedResNet<Flex>>,
}

/// One clinical variable as the page's form shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariableInfo {
    /// Column of clinical.csv, the value's key in [`Model::predict`].
    pub name: String,
    /// As tables print it.
    pub label: String,
    /// "numeric" or "categorical".
    pub kind: &'static str,
    /// The levels of a categorical variable, each with its display label.
    pub levels: Vec<LevelInfo>,
    /// The training range of a numeric variable.
    pub range: Option<(f64, f64)>,
    /// The stored training value that stands in when the field is left empty.
    pub imputed_with: Option<String>,
}

/// One level of a categorical variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelInfo {
    /// The level as written in clinical.csv.
    pub value: String,
    /// Its display label (the schema's), or the level itself.
    pub label: String,
}

/// What the page needs to know about a bundle to build its form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Info {
    /// The training cohort and the date of the fit, for the page's heading.
    pub trained_on: String,
    /// The bundle's date.
    pub date: String,
    /// The clinical variables the models use, in the bundle's order.
    pub variables: Vec<VariableInfo>,
    /// The DLRN's probability cut-off (a probability `>=` it is positive).
    pub cutoff: f64,
    /// The CNN and its preprocessing, in words.
    pub cnn: String,
    /// Whether the bundle carries a ComBat harmonisation (see [`UNHARMONISED_WARNING`]).
    pub harmonized: bool,
    /// The signature's features.
    pub signature_features: Vec<String>,
    /// The DLRN nomogram (axes and ticks), which the page draws with the
    /// patient's points marked.
    pub nomogram: dlrn_nomogram::Nomogram,
}

impl Model {
    /// The bundle from its files (paths relative to the bundle folder, as
    /// `dlrn export-web` writes them), checked as `dlrn predict` checks one.
    pub fn from_files(files: BTreeMap<String, Vec<u8>>) -> Result<Model> {
        let bundle = Bundle::from_files(&files)?;
        Ok(Model {
            bundle,
            files,
            cnn: OnceCell::new(),
        })
    }

    /// The bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The form's contents: variables, levels, ranges, cut-off.
    pub fn info(&self) -> Info {
        let b = &self.bundle;
        let variables = b
            .clinical
            .variables
            .iter()
            .map(|v| VariableInfo {
                name: v.name.clone(),
                label: v.label.clone(),
                kind: match v.coding {
                    Coding::Numeric => "numeric",
                    _ => "categorical",
                },
                levels: v
                    .levels()
                    .iter()
                    .map(|l| LevelInfo {
                        value: l.clone(),
                        label: v.level_labels.get(l).cloned().unwrap_or_else(|| l.clone()),
                    })
                    .collect(),
                range: match b.ranges.get(&v.name) {
                    Some(InputRange::Numeric { min, max }) => Some((*min, *max)),
                    _ => None,
                },
                imputed_with: b
                    .missing
                    .as_ref()
                    .and_then(|m| m.clinical.get(&v.name))
                    .map(|c| c.to_string()),
            })
            .collect();
        Info {
            trained_on: b.provenance.training_cohort.clone(),
            date: b.provenance.date.clone(),
            variables,
            cutoff: b.cutoffs.dlrn,
            cnn: format!(
                "{} ({}), {}",
                b.cnn.architecture,
                match &b.cnn.weights {
                    CnnWeights::Random { seed } => format!("random initialisation, seed {seed}"),
                    CnnWeights::File { file, format } => format!("{format} weights {file}"),
                },
                b.cnn.preprocessing.description
            ),
            harmonized: b.harmonize.is_some(),
            signature_features: b.needed_features().iter().map(|s| s.to_string()).collect(),
            nomogram: b.nomogram.clone(),
        }
    }

    /// The CNN: the bundle's weights file, or its seeded initialisation,
    /// with each BatchNorm folded into its convolution as `dlrn extract deep` does.
    fn cnn(&self) -> Result<&FusedResNet<Flex>> {
        if let Some(n) = self.cnn.get() {
            return Ok(n);
        }
        let device = Default::default();
        let model = match &self.bundle.cnn.weights {
            CnnWeights::Random { seed } => resnet50_for(None).init::<Flex>(*seed, &device),
            CnnWeights::File { file, .. } => {
                let bytes = self.files.get(file).ok_or_else(|| {
                    WebError::Input(format!(
                        "the bundle names CNN weights {file} but they were not loaded with it"
                    ))
                })?;
                let name = Path::new(file);
                dlrn_deep::load_weights_bytes::<Flex>(
                    resnet50_for(Some(name)),
                    bytes.clone(),
                    name,
                    &device,
                )?
            }
        };
        Ok(self.cnn.get_or_init(|| FusedResNet::new(&model)))
    }

    /// Builds the CNN ahead of the first [`Model::deep`].
    pub fn prepare(&self) -> Result<()> {
        self.cnn().map(|_| ())
    }

    /// The 2048 deep features of the lesion (`f_1` … `f_2048`): the lesion's
    /// bounding box, resized and centre-cropped as the bundle records, through
    /// the CNN to its global-average pool (`dlrn extract deep`'s computation, in f32).
    pub fn deep(&self, image: &GreyImage, mask: &Mask, what: &str) -> Result<Vec<(String, f64)>> {
        check_outline(image, mask, what)?;
        let grey = Grey::new(image.width, image.height, image.pixels.clone())?;
        let crop = lesion_crop(&grey, &mask.pixels, what)?;
        let pre = &self.bundle.cnn.preprocessing;
        let input = normalise(&crop.resize_shorter(pre.resize).center_crop(pre.crop));
        let net = self.cnn()?;
        let rows = features(net, &[input], pre.crop, &Default::default());
        let row = rows.into_iter().next().unwrap_or_default();
        Ok(feature_names(row.len())
            .into_iter()
            .zip(row.into_iter().map(f64::from))
            .collect())
    }

    /// Scores one patient as `dlrn predict` does: a missing or undefined
    /// input is replaced by the bundle's stored training value with a
    /// warning, inputs outside the training range are warned about.
    pub fn predict(
        &self,
        id: &str,
        features: BTreeMap<String, f64>,
        clinical: BTreeMap<String, String>,
    ) -> Result<Prediction> {
        let patient = PatientInput {
            id: id.to_string(),
            features,
            clinical: clinical
                .into_iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .collect(),
        };
        let mut p = self.bundle.predict(&patient)?;
        if self.bundle.harmonize.is_some() {
            p.warnings.push(UNHARMONISED_WARNING.to_string());
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 40×30 image: background 40, a 12×10 lesion at (10, 8) with a
    /// left-to-right ramp, so every feature family has texture to measure.
    fn lesion() -> (GreyImage, Mask) {
        let (w, h) = (40, 30);
        let mut pixels = vec![40u8; w * h];
        let mut mask = vec![false; w * h];
        for y in 8..18 {
            for x in 10..22 {
                pixels[y * w + x] = 100 + ((x * 7 + y * 3) % 50) as u8;
                mask[y * w + x] = true;
            }
        }
        (
            GreyImage {
                width: w,
                height: h,
                pixels,
            },
            Mask {
                width: w,
                height: h,
                pixels: mask,
            },
        )
    }

    #[test]
    fn handcrafted_is_the_radiomics_crate_in_column_order() {
        let (img, m) = lesion();
        let got = handcrafted(&img, &m, "case").unwrap();
        let p =
            dlrn_radiomics::Prepared::new(img.width, img.height, &img.pixels, &m.pixels).unwrap();
        let want = dlrn_radiomics::extract_prepared(&p).values;
        assert_eq!(got.len(), 544);
        assert_eq!(got.len(), want.len());
        for ((name, v), (c, w)) in got.iter().zip(dlrn_radiomics::COLUMNS.iter().zip(&want)) {
            assert_eq!(name, c);
            assert!(v == w || (v.is_nan() && w.is_nan()), "{name}: {v} vs {w}");
        }
    }

    #[test]
    fn outlines_without_lesion_or_background_are_refused_by_name() {
        let (img, mut m) = lesion();
        m.pixels.iter_mut().for_each(|p| *p = false);
        let e = handcrafted(&img, &m, "P7 outline").unwrap_err().to_string();
        assert!(e.contains("P7 outline") && e.contains("empty"), "{e}");
        m.pixels.iter_mut().for_each(|p| *p = true);
        let e = handcrafted(&img, &m, "P7 outline").unwrap_err().to_string();
        assert!(e.contains("whole frame"), "{e}");
        let small = Mask {
            width: 4,
            height: 4,
            pixels: vec![true; 16],
        };
        let e = handcrafted(&img, &small, "P7 outline")
            .unwrap_err()
            .to_string();
        assert!(e.contains("4×4") && e.contains("40×30"), "{e}");
    }

    #[test]
    fn a_text_file_named_png_is_a_decode_error_naming_it() {
        let e = read_image("scan.png", b"not an image")
            .unwrap_err()
            .to_string();
        assert!(e.contains("scan.png"), "{e}");
    }

    #[test]
    fn image_bytes_read_as_the_command_line_reads_the_file() {
        // RGB → grey with the luma weights, rounded:
        // 0.2989·200 + 0.5870·100 + 0.1140·50 = 124.18 → 124.
        let mut png = Vec::new();
        image::RgbImage::from_pixel(3, 2, image::Rgb([200, 100, 50]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let l = read_image("c.png", &png).unwrap();
        assert_eq!((l.image.width, l.image.height), (3, 2));
        assert_eq!(l.image.pixels, vec![124; 6]);
    }
}
