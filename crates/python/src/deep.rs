//! ResNet50 deep features (dlrn-deep) on the default CPU backend (flex),
//! with `dlrn extract deep`'s crop and preprocessing.

use std::path::PathBuf;
use std::sync::Mutex;

use burn::backend::Flex;
use dlrn_deep::preprocess::{Grey, PreprocessConfig, lesion_crop, normalise};
use dlrn_deep::resnet::ResNetConfig;
use dlrn_deep::{FusedResNet, features, load_weights};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;

use crate::convert::{f32_bytes, json};
use crate::errors::{DlrnError, IntoPy, bad_input};

type B = Flex;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ResNet>()?;
    m.add_function(wrap_pyfunction!(preprocess, m)?)?;
    Ok(())
}

/// One grey image and its mask as the Python layer sends them.
type Pair<'a> = (&'a [u8], &'a [u8], usize, usize);

/// `dlrn extract deep`'s input for one case: the lesion's bounding-box crop,
/// shorter side resized to `resize`, centre crop `crop`, grey replicated to 3
/// channels and ImageNet-normalised: `[3, crop, crop]` f32.
fn prepare(p: Pair<'_>, cfg: PreprocessConfig, what: &str) -> Result<Vec<f32>, String> {
    let (image, mask, width, height) = p;
    let grey = Grey::new(width, height, image.to_vec()).map_err(|e| format!("{what}: {e}"))?;
    let m: Vec<bool> = mask.iter().map(|&v| v != 0).collect();
    let lesion = lesion_crop(&grey, &m, what).map_err(|e| e.to_string())?;
    Ok(normalise(
        &lesion.resize_shorter(cfg.resize).center_crop(cfg.crop),
    ))
}

/// The preprocessed network input of one image and mask (float32 bytes of
/// `[3, crop, crop]`), as torchvision's `Resize`/`CenterCrop`/`Normalize`.
#[pyfunction]
#[pyo3(signature = (image, mask, width, height, resize=256, crop=224))]
fn preprocess<'py>(
    py: Python<'py>,
    image: &[u8],
    mask: &[u8],
    width: usize,
    height: usize,
    resize: usize,
    crop: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let cfg = PreprocessConfig { resize, crop };
    let x = py
        .detach(|| prepare((image, mask, width, height), cfg, "mask"))
        .map_err(bad_input)?;
    Ok(f32_bytes(py, &x))
}

/// A ResNet (torchvision topology; ResNet50 by default) with its BatchNorm
/// folded for inference, weights from a file or a seeded initialisation.
#[pyclass(module = "dlrn._dlrn")]
struct ResNet {
    net: Mutex<FusedResNet<B>>,
    dim: usize,
    weights: String,
}

#[pymethods]
impl ResNet {
    #[new]
    #[pyo3(signature = (weights=None, seed=0, base_width=64, blocks=(3, 4, 6, 3)))]
    fn new(
        py: Python<'_>,
        weights: Option<PathBuf>,
        seed: u64,
        base_width: usize,
        blocks: (usize, usize, usize, usize),
    ) -> PyResult<Self> {
        let mpk = weights
            .as_ref()
            .is_some_and(|w| w.extension().is_some_and(|e| e.eq_ignore_ascii_case("mpk")));
        let config = ResNetConfig {
            base_width,
            blocks: [blocks.0, blocks.1, blocks.2, blocks.3],
            num_classes: mpk.then_some(2),
        };
        let (net, info) = py
            .detach(|| {
                let device = Default::default();
                let (model, info) = load_weights::<B>(config, weights.as_deref(), seed, &device)?;
                Ok::<_, dlrn_deep::DeepError>((FusedResNet::new(&model), info))
            })
            .py_err()?;
        Ok(Self {
            net: Mutex::new(net),
            dim: config.feature_dim(),
            weights: json(&info)?,
        })
    }

    /// Feature dimension (2048 for ResNet50).
    #[getter]
    fn dim(&self) -> usize {
        self.dim
    }

    /// The weights' provenance as JSON (path, SHA-256, format; or the seed).
    #[getter]
    fn weights(&self) -> String {
        self.weights.clone()
    }

    /// Pooled features of preprocessed inputs (float32 bytes of `[n, 3,
    /// side, side]`), in batches of `batch`, Ctrl-C checked between them.
    #[pyo3(signature = (x, n, side, batch=16))]
    fn features_from_inputs<'py>(
        &self,
        py: Python<'py>,
        x: &[u8],
        n: usize,
        side: usize,
        batch: usize,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let per = 3 * side * side;
        if x.len() != n * per * 4 {
            return Err(bad_input(format!(
                "inputs hold {} bytes, expected {n} × 3 × {side} × {side} float32 values",
                x.len()
            )));
        }
        let values: Vec<f32> = x
            .chunks_exact(4)
            .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let inputs: Vec<Vec<f32>> = values.chunks(per).map(<[f32]>::to_vec).collect();
        let out = self.run(py, &inputs, side, batch)?;
        Ok(f32_bytes(py, &out))
    }

    /// Features of grey images and masks with `dlrn extract deep`'s crop and
    /// preprocessing: `pairs` = (image bytes, mask bytes, width, height).
    #[pyo3(signature = (pairs, batch=16, resize=256, crop=224))]
    fn features<'py>(
        &self,
        py: Python<'py>,
        pairs: Vec<(Vec<u8>, Vec<u8>, usize, usize)>,
        batch: usize,
        resize: usize,
        crop: usize,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let cfg = PreprocessConfig { resize, crop };
        let inputs = py
            .detach(|| {
                pairs
                    .par_iter()
                    .enumerate()
                    .map(|(i, (img, mask, w, h))| {
                        prepare((img, mask, *w, *h), cfg, &format!("image {} (0-based)", i))
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
            .map_err(bad_input)?;
        let out = self.run(py, &inputs, crop, batch)?;
        Ok(f32_bytes(py, &out))
    }
}

impl ResNet {
    fn run(
        &self,
        py: Python<'_>,
        inputs: &[Vec<f32>],
        side: usize,
        batch: usize,
    ) -> PyResult<Vec<f32>> {
        if batch == 0 {
            return Err(bad_input("batch must be at least 1"));
        }
        let net = self
            .net
            .lock()
            .map_err(|_| DlrnError::new_err("the network's lock was poisoned by a failed call"))?;
        let net: &FusedResNet<B> = &net;
        let mut out = Vec::with_capacity(inputs.len() * self.dim);
        for chunk in inputs.chunks(batch) {
            let device = Default::default();
            let rows = py.detach(|| features(net, chunk, side, &device));
            for r in rows {
                out.extend(r);
            }
            py.check_signals()?;
        }
        Ok(out)
    }
}
