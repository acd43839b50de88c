//! Weights: import of torchvision state dicts (`.pth`/`.pt` through Burn's
//! `PytorchStore`, `.safetensors` through `SafetensorsStore`, both with
//! PyTorch→Burn adaptation and the `downsample.0/.1` → `downsample.conv/.bn`
//! key remap), dlrn's own Burn records (`.mpk`, `NamedMpkFileRecorder` at full
//! precision), and the provenance ([`WeightsInfo`]) every output records.

use std::fmt;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, NamedMpkFileRecorder, Recorder};
#[cfg(feature = "pytorch")]
use burn::store::PytorchStore;
use burn::store::{ApplyResult, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DeepError, Result};
use crate::resnet::{ResNet, ResNetConfig};

/// Which weights produced a set of features: a file (path + SHA-256) or a
/// seeded random initialisation. Written beside every output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum WeightsInfo {
    /// torchvision-style initialisation from a ChaCha8 stream (no pretrained weights).
    Random {
        /// The seed of the stream.
        seed: u64,
    },
    /// Weights read from a file.
    File {
        /// The file as given.
        path: PathBuf,
        /// SHA-256 of its bytes, lowercase hex.
        sha256: String,
        /// Its format: "pytorch", "safetensors" or "burn-mpk".
        format: String,
    },
}

impl fmt::Display for WeightsInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsInfo::Random { seed } => write!(f, "random, seed {seed}"),
            WeightsInfo::File {
                path,
                sha256,
                format,
            } => write!(f, "{} ({format}, sha256 {sha256})", path.display()),
        }
    }
}

/// The on-disk weight formats dlrn reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFormat {
    /// A pickled torch state dict (`torch.save(model.state_dict())`).
    Pytorch,
    /// A safetensors file with torchvision key names.
    Safetensors,
    /// A Burn record written by dlrn (`NamedMpkFileRecorder`, full precision).
    BurnMpk,
}

impl WeightsFormat {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "pth" | "pt" => Ok(Self::Pytorch),
            "safetensors" => Ok(Self::Safetensors),
            "mpk" => Ok(Self::BurnMpk),
            _ => Err(DeepError::UnknownWeightsFormat {
                path: path.to_path_buf(),
                found: ext,
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Pytorch => "pytorch",
            Self::Safetensors => "safetensors",
            Self::BurnMpk => "burn-mpk",
        }
    }
}

/// SHA-256 of a file's bytes, lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| DeepError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Regex remaps from torchvision keys to this crate's field names.
const TORCHVISION_REMAP: [(&str, &str); 2] = [
    (r"\.downsample\.0\.", ".downsample.conv."),
    (r"\.downsample\.1\.", ".downsample.bn."),
];

/// Loads a torchvision state dict (`.pth`/`.pt`/`.safetensors`) into `model`.
///
/// Every parameter and running statistic of the trunk must be present with
/// its shape (a missing one is an error naming it); `num_batches_tracked`
/// is ignored. The `fc` head is loaded only when the model has one of the
/// same shape; torchvision's 1000-class head is otherwise skipped, since the
/// study replaces it.
pub fn import_torchvision<B: Backend>(model: ResNet<B>, path: &Path) -> Result<ResNet<B>> {
    import_torchvision_from(model, path, None)
}

/// [`import_torchvision`] of a state dict given as `bytes` (a page has no
/// files; safetensors only, Burn's `PytorchStore` reads files), or read from
/// `path` when `bytes` is `None`; `path` names it in errors either way.
fn import_torchvision_from<B: Backend>(
    mut model: ResNet<B>,
    path: &Path,
    bytes: Option<Vec<u8>>,
) -> Result<ResNet<B>> {
    let format = WeightsFormat::from_path(path)?;
    let import_err = |message: String| DeepError::Import {
        path: path.to_path_buf(),
        message,
    };
    let result: ApplyResult = match (format, bytes) {
        #[cfg(feature = "pytorch")]
        (WeightsFormat::Pytorch, None) => {
            let mut store = PytorchStore::from_file(path).allow_partial(true);
            for (from, to) in TORCHVISION_REMAP {
                store = store.with_key_remapping(from, to);
            }
            model
                .load_from(&mut store)
                .map_err(|e| import_err(e.to_string()))?
        }
        #[cfg(not(feature = "pytorch"))]
        (WeightsFormat::Pytorch, None) => {
            return Err(import_err(
                "this build of dlrn-deep reads no pickled state dict (its `pytorch` feature \
                 is off); convert it to .safetensors"
                    .into(),
            ));
        }
        (WeightsFormat::Pytorch, Some(_)) => {
            return Err(import_err(
                "a pickled state dict is read from a file only; convert it to .safetensors".into(),
            ));
        }
        (WeightsFormat::Safetensors, bytes) => {
            let store = match bytes {
                Some(b) => SafetensorsStore::from_bytes(Some(b)),
                None => SafetensorsStore::from_file(path),
            };
            let mut store = store
                .with_from_adapter(PyTorchToBurnAdapter)
                .allow_partial(true);
            for (from, to) in TORCHVISION_REMAP {
                store = store.with_key_remapping(from, to);
            }
            model
                .load_from(&mut store)
                .map_err(|e| import_err(e.to_string()))?
        }
        (WeightsFormat::BurnMpk, _) => {
            return Err(import_err(
                "a Burn record is not a torchvision state dict; use load_weights".into(),
            ));
        }
    };
    let has_fc = model.fc.is_some();
    let missing: Vec<String> = result
        .missing
        .iter()
        .map(|(p, _)| p.clone())
        .filter(|p| !(has_fc && p.starts_with("fc.")))
        .collect();
    let errors: Vec<String> = result
        .errors
        .iter()
        .map(|e| e.to_string())
        .filter(|e| !(e.contains("'fc.")))
        .collect();
    if !missing.is_empty() || !errors.is_empty() {
        return Err(DeepError::WeightsMismatch {
            path: path.to_path_buf(),
            missing: first_few(&missing),
            errors: first_few(&errors),
        });
    }
    Ok(model)
}

fn first_few(v: &[String]) -> String {
    let mut s = v.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if v.len() > 5 {
        s.push_str(&format!(", … ({} in all)", v.len()));
    }
    s
}

/// Saves a network as a Burn record (`.mpk`, full precision).
pub fn save_record<B: Backend>(model: &ResNet<B>, path: &Path) -> Result<()> {
    let recorder = NamedMpkFileRecorder::<FullPrecisionSettings>::new();
    model
        .clone()
        .save_file(path.to_path_buf(), &recorder)
        .map_err(|e| DeepError::Record {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Loads a Burn record written by [`save_record`] into a network of the
/// same architecture.
pub fn load_record<B: Backend>(
    model: ResNet<B>,
    path: &Path,
    device: &B::Device,
) -> Result<ResNet<B>> {
    let bytes = std::fs::read(path).map_err(|source| DeepError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_record_bytes(model, bytes, path, device)
}

/// [`load_record`] of a record's bytes (what [`save_record`] wrote); `path`
/// names it in errors.
fn load_record_bytes<B: Backend>(
    model: ResNet<B>,
    bytes: Vec<u8>,
    path: &Path,
    device: &B::Device,
) -> Result<ResNet<B>> {
    let recorder = NamedMpkBytesRecorder::<FullPrecisionSettings>::default();
    // burn-core 0.21 panics on some corrupt records instead of returning an
    // error (`ParamId::deserialize` expects "Invalid id." on an altered
    // parameter id, module/param/id.rs:55): turn that panic into the typed
    // error a user can act on. The model is consumed either way, so no
    // broken state outlives the unwind.
    // (The `dlrn` binary's panic hook keeps burn-core's message off stderr;
    // a library must not swap the process-wide hook, other threads may be running.)
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Recorder::<B>::load(&recorder, bytes, device).map(|record| model.load_record(record))
    }));
    match loaded {
        Ok(Ok(model)) => Ok(model),
        Ok(Err(e)) => Err(DeepError::Record {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
        Err(panic) => Err(DeepError::Record {
            path: path.to_path_buf(),
            message: format!(
                "corrupt record ({}); rewrite it with `dlrn finetune`",
                panic_message(panic.as_ref())
            ),
        }),
    }
}

/// The text of a caught panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the decoder panicked".into())
}

/// The ResNet50 architecture that reads `weights`: a `.mpk` written by
/// `dlrn finetune` carries the 2-class head, torchvision state dicts and
/// random initialisation have none.
pub fn resnet50_for(weights: Option<&Path>) -> ResNetConfig {
    let is_mpk =
        weights.is_some_and(|w| w.extension().is_some_and(|e| e.eq_ignore_ascii_case("mpk")));
    ResNetConfig::resnet50().with_classes(is_mpk.then_some(2))
}

/// The network of architecture `config` with the weights of `weights`
/// (any format), or seeded random initialisation when `weights` is `None`;
/// returns it with its provenance.
///
/// A `.mpk` written by `dlrn finetune` carries a 2-class head; pass a config
/// with `num_classes: Some(2)` to read it (the head is ignored by
/// [`ResNet::features`]).
pub fn load_weights<B: Backend>(
    config: ResNetConfig,
    weights: Option<&Path>,
    seed: u64,
    device: &B::Device,
) -> Result<(ResNet<B>, WeightsInfo)> {
    let model = config.init::<B>(seed, device);
    let Some(path) = weights else {
        return Ok((model, WeightsInfo::Random { seed }));
    };
    let format = WeightsFormat::from_path(path)?;
    let sha256 = sha256_file(path)?;
    let model = match format {
        WeightsFormat::BurnMpk => load_record(model, path, device)?,
        _ => import_torchvision(model, path)?,
    };
    Ok((
        model,
        WeightsInfo::File {
            path: path.to_path_buf(),
            sha256,
            format: format.name().into(),
        },
    ))
}

/// [`load_weights`] for weights given as bytes (a page in a browser has no
/// files): a Burn record (`.mpk`) or a torchvision `.safetensors` state dict,
/// the format taken from `name`'s extension, which also names them in errors.
pub fn load_weights_bytes<B: Backend>(
    config: ResNetConfig,
    bytes: Vec<u8>,
    name: &Path,
    device: &B::Device,
) -> Result<ResNet<B>> {
    // The initial values are all overwritten by the record or state dict.
    let model = config.init::<B>(0, device);
    match WeightsFormat::from_path(name)? {
        WeightsFormat::BurnMpk => load_record_bytes(model, bytes, name, device),
        _ => import_torchvision_from(model, name, Some(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dlrn_records_carry_the_two_class_head() {
        assert_eq!(resnet50_for(Some(Path::new("w.MPK"))).num_classes, Some(2));
        assert_eq!(resnet50_for(Some(Path::new("w.pth"))).num_classes, None);
        assert_eq!(resnet50_for(None).num_classes, None);
    }

    /// A small ResNet (width 4, one block per stage, a 2-class head).
    fn tiny() -> ResNetConfig {
        ResNetConfig {
            base_width: 4,
            blocks: [1, 1, 1, 1],
            num_classes: Some(2),
        }
    }

    #[test]
    fn a_record_reads_the_same_from_bytes_as_from_its_file() {
        type B = burn::backend::Flex;
        let device = Default::default();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.mpk");
        let saved = tiny().init::<B>(7, &device);
        save_record(&saved, &path).unwrap();
        let (from_file, _) = load_weights::<B>(tiny(), Some(&path), 0, &device).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let from_bytes = load_weights_bytes::<B>(tiny(), bytes, &path, &device).unwrap();
        // Both carry the saved network's values, not the seed-0 initialisation.
        let v = |m: &ResNet<B>| m.conv1.weight.val().into_data().to_vec::<f32>().unwrap();
        assert_eq!(v(&from_bytes), v(&saved));
        assert_eq!(v(&from_file), v(&saved));
        assert_ne!(v(&tiny().init::<B>(0, &device)), v(&saved));
        // Corrupt bytes are a typed error naming the file.
        let e = load_weights_bytes::<B>(tiny(), vec![1, 2, 3], &path, &device)
            .unwrap_err()
            .to_string();
        assert!(e.contains("w.mpk"), "{e}");
    }
}
