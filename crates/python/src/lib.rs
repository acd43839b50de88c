//! The `dlrn` Python package's native module (`dlrn._dlrn`): thin PyO3
//! bindings over the library crates. Arrays cross as `bytes` in native byte
//! order (the pure-Python layer, `python/dlrn/__init__.py`, turns numpy arrays
//! into bytes and back); structured results cross as JSON text of the
//! libraries' own serde structs. Every library error becomes a `dlrn`
//! exception (base `DlrnError`); heavy calls release the GIL.

use pyo3::prelude::*;

mod bundle;
mod convert;
mod deep;
mod errors;
mod extract;
mod images;
mod lasso;
mod stats;
mod study;

pub use errors::{BadInputError, BundleError, DlrnError, ModelError};

/// The native module; the public API is the `dlrn` package that wraps it.
#[pymodule]
fn _dlrn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("DlrnError", py.get_type::<DlrnError>())?;
    m.add("BadInputError", py.get_type::<BadInputError>())?;
    m.add("BundleError", py.get_type::<BundleError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    images::register(m)?;
    stats::register(m)?;
    lasso::register(m)?;
    deep::register(m)?;
    bundle::register(m)?;
    extract::register(m)?;
    study::register(m)?;
    Ok(())
}
