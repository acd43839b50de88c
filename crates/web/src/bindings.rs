//! The page's interface (wasm-bindgen): byte arrays in, JSON text out, an
//! error as a JavaScript `Error` carrying the message of [`WebError`].
//!
//! ```js
//! const files = new wasm_bindgen.Files();
//! files.add("manifest.json", bytes);            // every file of the bundle
//! const model = wasm_bindgen.Model.load(files);
//! const image = wasm_bindgen.Image.read("P1.png", imageBytes);
//! const outline = image.mask_file("P1.roi", maskBytes);   // or image.outline(xs, ys)
//! const hc = JSON.parse(model.handcrafted(image, outline));
//! const deep = JSON.parse(model.deep(image, outline));
//! const result = JSON.parse(model.predict("P1", JSON.stringify({...hc, ...deep}),
//!                                         JSON.stringify({age: "52", birads: "4B"})));
//! ```

use std::collections::BTreeMap;

use dlrn_cohort::{LoadedImage, Mask};
use wasm_bindgen::prelude::*;

use crate::{Model, WebError};

fn js(e: WebError) -> JsError {
    JsError::new(&e.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(|e| JsError::new(&format!("encoding the result: {e}")))
}

/// JSON of a feature list as an object; non-finite values as `null`.
fn features_json(features: &[(String, f64)]) -> Result<String, JsError> {
    let map: serde_json::Map<String, serde_json::Value> = features
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, Into::into),
            )
        })
        .collect();
    to_json(&map)
}

/// The files of a model bundle, collected before [`WebModel::load`].
#[wasm_bindgen(js_name = Files)]
#[derive(Default)]
pub struct WebFiles(BTreeMap<String, Vec<u8>>);

#[wasm_bindgen(js_class = Files)]
impl WebFiles {
    /// An empty set.
    #[wasm_bindgen(constructor)]
    pub fn new() -> WebFiles {
        WebFiles::default()
    }

    /// Adds one file by its path inside the bundle (`signature.json`, `cnn/weights.mpk`).
    pub fn add(&mut self, path: &str, bytes: &[u8]) {
        self.0
            .insert(path.trim_start_matches("./").to_string(), bytes.to_vec());
    }
}

/// A loaded model bundle.
#[wasm_bindgen(js_name = Model)]
pub struct WebModel(Model);

#[wasm_bindgen(js_class = Model)]
impl WebModel {
    /// Checks and loads a bundle from its files.
    pub fn load(files: WebFiles) -> Result<WebModel, JsError> {
        Model::from_files(files.0).map(WebModel).map_err(js)
    }

    /// The form's contents ([`crate::Info`]) as JSON.
    pub fn info(&self) -> Result<String, JsError> {
        to_json(&self.0.info())
    }

    /// Builds the CNN now (weights decoded, BatchNorm folded), so that the
    /// first prediction's time is the prediction's alone.
    pub fn prepare(&self) -> Result<(), JsError> {
        self.0.prepare().map_err(js)
    }

    /// The 544 handcrafted features as a JSON object.
    pub fn handcrafted(&self, image: &WebImage, outline: &WebOutline) -> Result<String, JsError> {
        let f = crate::handcrafted(&image.image.image, &outline.mask, &outline.what).map_err(js)?;
        features_json(&f)
    }

    /// The 2048 deep features as a JSON object (the first call builds the CNN).
    pub fn deep(&self, image: &WebImage, outline: &WebOutline) -> Result<String, JsError> {
        let f = self
            .0
            .deep(&image.image.image, &outline.mask, &outline.what)
            .map_err(js)?;
        features_json(&f)
    }

    /// Scores a patient from features (JSON object of numbers; `null` =
    /// undefined) and clinical values (JSON object of texts as in
    /// clinical.csv; empty = missing): the bundle's `Prediction` as JSON.
    pub fn predict(&self, id: &str, features: &str, clinical: &str) -> Result<String, JsError> {
        let raw: BTreeMap<String, Option<f64>> = serde_json::from_str(features)
            .map_err(|e| JsError::new(&format!("features: not a JSON object of numbers: {e}")))?;
        let features = raw
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or(f64::NAN)))
            .collect();
        let clinical: BTreeMap<String, String> = serde_json::from_str(clinical).map_err(|e| {
            JsError::new(&format!("clinical values: not a JSON object of texts: {e}"))
        })?;
        let p = self.0.predict(id, features, clinical).map_err(js)?;
        to_json(&p)
    }
}

/// An ultrasound image read as 8-bit grey.
#[wasm_bindgen(js_name = Image)]
pub struct WebImage {
    name: String,
    image: LoadedImage,
}

#[wasm_bindgen(js_class = Image)]
impl WebImage {
    /// Reads an image file's bytes (PNG, JPEG, TIFF, BMP, DICOM).
    pub fn read(name: &str, bytes: &[u8]) -> Result<WebImage, JsError> {
        let image = crate::read_image(name, bytes).map_err(js)?;
        Ok(WebImage {
            name: name.to_string(),
            image,
        })
    }

    /// Columns.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> usize {
        self.image.image.width
    }

    /// Rows.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> usize {
        self.image.image.height
    }

    /// The grey image as RGBA bytes, for a canvas.
    pub fn rgba(&self) -> Vec<u8> {
        self.image
            .image
            .pixels
            .iter()
            .flat_map(|&g| [g, g, g, 255])
            .collect()
    }

    /// How the grey levels were obtained and the reader's warnings, as JSON.
    pub fn provenance(&self) -> Result<String, JsError> {
        to_json(&serde_json::json!({
            "mapping": self.image.mapping,
            "warnings": self.image.warnings,
        }))
    }

    /// The lesion mask in a mask file's bytes, on this image's grid.
    pub fn mask_file(&self, name: &str, bytes: &[u8]) -> Result<WebOutline, JsError> {
        let size = (self.image.image.width, self.image.image.height);
        let mask = crate::read_mask(name, bytes, size).map_err(js)?;
        Ok(WebOutline {
            what: name.to_string(),
            mask,
        })
    }

    /// The lesion mask of an outline drawn on this image (vertices in pixels).
    pub fn outline(&self, xs: Vec<f64>, ys: Vec<f64>) -> Result<WebOutline, JsError> {
        let size = (self.image.image.width, self.image.image.height);
        let mask = crate::outline_mask(&xs, &ys, size).map_err(js)?;
        Ok(WebOutline {
            what: format!("the outline drawn on {}", self.name),
            mask,
        })
    }
}

/// A lesion mask on an image's grid.
#[wasm_bindgen(js_name = Outline)]
pub struct WebOutline {
    what: String,
    mask: Mask,
}

#[wasm_bindgen(js_class = Outline)]
impl WebOutline {
    /// Lesion pixels.
    #[wasm_bindgen(getter)]
    pub fn area(&self) -> usize {
        self.mask.area()
    }

    /// The mask as RGBA bytes: lesion pixels in the given colour, the rest transparent.
    pub fn rgba(&self, r: u8, g: u8, b: u8, a: u8) -> Vec<u8> {
        self.mask
            .pixels
            .iter()
            .flat_map(|&m| if m { [r, g, b, a] } else { [0, 0, 0, 0] })
            .collect()
    }
}
