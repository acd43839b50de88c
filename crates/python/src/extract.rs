//! A cohort's handcrafted table through the feature store: dlrn-study's
//! `extract_handcrafted`, the loop `dlrn extract handcrafted` runs, with
//! Python's progress callback and Ctrl-C between batches.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use dlrn_cohort::Outcome;
use dlrn_cohort::store::StoreError;
use dlrn_study::error::StudyError;
use dlrn_study::extraction::{HandcraftedJob, Reading, Watch, extract_handcrafted as extract};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::f64_bytes;
use crate::errors::{BadInputError, DlrnError, ModelError, ToPyErr, bad_input};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(extract_handcrafted, m)?)?;
    m.add_function(wrap_pyfunction!(read_labels, m)?)?;
    Ok(())
}

/// A cohort's outcomes by id (clinical.csv's ALN_status, as the feature
/// tables carry it); `None` without clinical.csv or that column.
#[pyfunction]
fn read_labels(cohort: PathBuf) -> PyResult<Option<BTreeMap<String, Option<u8>>>> {
    dlrn_cohort::read_labels(&cohort).map_err(ToPyErr::to_py)
}

/// An error and its causes, `: `-separated (a `During` error shows only
/// its context on its own).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

impl ToPyErr for StoreError {
    fn to_py(self) -> PyErr {
        bad_input(chain(&self))
    }
}

impl ToPyErr for StudyError {
    fn to_py(self) -> PyErr {
        match self {
            // A Python exception raised inside an extraction (Ctrl-C, a
            // progress callback's error), passed through the study as it is.
            StudyError::Other(e) => match e.downcast::<PyErr>() {
                Ok(e) => *e,
                Err(e) => DlrnError::new_err(chain(e.as_ref())),
            },
            StudyError::Fit { .. } | StudyError::NoPrediction { .. } => {
                ModelError::new_err(chain(&self))
            }
            StudyError::Lasso(_)
            | StudyError::Nomogram(_)
            | StudyError::Report(_)
            | StudyError::Io { .. } => DlrnError::new_err(chain(&self)),
            other => BadInputError::new_err(chain(&other)),
        }
    }
}

/// The Python side of a run: a progress callback `(done, todo)` called on
/// the calling thread before the first batch and after each, Ctrl-C checked
/// there, and the loader's warnings collected.
pub struct PyWatch {
    progress: Option<Py<PyAny>>,
    warnings: Mutex<Vec<String>>,
    error: Mutex<Option<PyErr>>,
}

impl PyWatch {
    /// A watch calling `progress` (when given).
    pub fn new(progress: Option<Py<PyAny>>) -> Self {
        Self {
            progress,
            warnings: Mutex::new(Vec::new()),
            error: Mutex::new(None),
        }
    }

    /// The exception that stopped the run (KeyboardInterrupt, the callback's).
    pub fn take_error(&self) -> Option<PyErr> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// The loader's warnings, in the order they came.
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// Reports progress and checks for Ctrl-C, holding the GIL briefly:
    /// false (with the exception kept) to stop.
    pub fn tick(&self, done: usize, todo: usize) -> bool {
        Python::attach(|py| {
            let r = py.check_signals().and_then(|()| match &self.progress {
                Some(cb) => cb.call1(py, (done, todo)).map(drop),
                None => Ok(()),
            });
            match r {
                Ok(()) => true,
                Err(e) => {
                    if let Ok(mut slot) = self.error.lock() {
                        *slot = Some(e);
                    }
                    false
                }
            }
        })
    }
}

impl Watch for PyWatch {
    fn start(&self, todo: usize) {
        self.tick(0, todo);
    }

    fn warning(&self, text: &str) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(text.to_string());
        }
    }

    fn saved(&self, done: usize, todo: usize) -> bool {
        self.tick(done, todo)
    }
}

/// What `extract_handcrafted` returns to the Python layer: ids, the rows as
/// float64 bytes (ids × 544), the failures (id, file, reason), how the run
/// ended, the loader's warnings, and the rows resumed.
type Extracted<'py> = (
    Vec<String>,
    Bound<'py, PyBytes>,
    Vec<(String, PathBuf, String)>,
    &'static str,
    Vec<String>,
    usize,
);

/// The 544 features of every case of `cohort` into the table `out`, as
/// `dlrn extract handcrafted --cohort … --out …` writes it (resumable: rows
/// of unchanged inputs are reused, every 64 cases are saved to the partial
/// table). Returns the rows held; the run's end: "complete", "accepted"
/// (failures, `keep_going`) or "partial" (failures: the good rows are kept
/// in the partial table, no table at `out`).
#[pyfunction]
#[pyo3(signature = (cohort, out, masks, frame, label, roi, keep_going, progress))]
#[allow(clippy::too_many_arguments)]
fn extract_handcrafted<'py>(
    py: Python<'py>,
    cohort: PathBuf,
    out: PathBuf,
    masks: String,
    frame: Option<u32>,
    label: Option<u64>,
    roi: Option<String>,
    keep_going: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Extracted<'py>> {
    let watch = PyWatch::new(progress);
    let job = HandcraftedJob {
        cohort: &cohort,
        masks: &masks,
        out: &out,
        shard: None,
        reading: Reading {
            frame,
            mask_label: label,
            roi: roi.clone(),
        },
        accept_partial: keep_going,
    };
    let run = py.detach(|| extract(&job, &watch));
    if let Some(e) = watch.take_error() {
        return Err(e);
    }
    let run = run.map_err(ToPyErr::to_py)?;
    let outcome = match run.outcome {
        Some(Outcome::Complete) => "complete",
        Some(Outcome::Accepted) => "accepted",
        Some(Outcome::Partial) => "partial",
        None => "stopped",
    };
    let rows = run.store.rows();
    let ids: Vec<String> = rows.keys().cloned().collect();
    let values: Vec<f64> = rows.values().flatten().copied().collect();
    let failures = run
        .failures
        .into_iter()
        .map(|f| (f.id, f.file, f.reason))
        .collect();
    Ok((
        ids,
        f64_bytes(py, &values),
        failures,
        outcome,
        watch.take_warnings(),
        run.store.resumed(),
    ))
}
