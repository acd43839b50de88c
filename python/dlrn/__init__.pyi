"""Type stubs of the dlrn package (see __init__.py for the documentation)."""

import os
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

_Path = Union[str, "os.PathLike[str]"]
_Array = npt.ArrayLike

__version__: str

class DlrnError(Exception): ...
class BadInputError(DlrnError): ...
class ModelError(DlrnError): ...
class BundleError(DlrnError): ...
class InputWarning(UserWarning): ...

class Result(Dict[str, Any]):
    def __getattr__(self, name: str) -> Any: ...

class Image(NamedTuple):
    pixels: npt.NDArray[np.uint8]
    mapping: Dict[str, Any]
    warnings: List[str]

def read_image(
    path: _Path, frame: Optional[int] = ..., window: Optional[Tuple[float, float]] = ...
) -> Image: ...
def read_mask(
    path: _Path,
    shape: Optional[Tuple[int, int]] = ...,
    label: Optional[int] = ...,
    roi: Optional[str] = ...,
    slice: Optional[int] = ...,
) -> npt.NDArray[np.bool_]: ...
def handcrafted_names() -> List[str]: ...
def handcrafted(image: _Array, mask: _Array) -> Any: ...
def handcrafted_files(
    images: Sequence[_Path],
    masks: Sequence[_Path],
    ids: Optional[Sequence[str]] = ...,
    frame: Optional[int] = ...,
    label: Optional[int] = ...,
    roi: Optional[str] = ...,
) -> Any: ...
_Progress = Union[None, bool, Callable[[int, int], Any]]

def extract_handcrafted(
    cohort: _Path,
    out: Optional[_Path] = ...,
    masks: str = ...,
    frame: Optional[int] = ...,
    label: Optional[int] = ...,
    roi: Optional[str] = ...,
    keep_going: bool = ...,
    progress: _Progress = ...,
) -> Any: ...
def preprocess(
    image: _Array, mask: _Array, resize: int = ..., crop: int = ...
) -> npt.NDArray[np.float32]: ...

class ResNet50:
    def __init__(
        self,
        weights: Optional[_Path] = ...,
        seed: int = ...,
        *,
        base_width: int = ...,
        blocks: Tuple[int, int, int, int] = ...,
    ) -> None: ...
    @property
    def dim(self) -> int: ...
    @property
    def weights(self) -> Dict[str, Any]: ...
    def features(
        self, images: Sequence[_Array], masks: Sequence[_Array], batch: int = ...
    ) -> npt.NDArray[np.float32]: ...
    def features_from_inputs(self, x: _Array, batch: int = ...) -> npt.NDArray[np.float32]: ...

def roc_auc(y: _Array, score: _Array, level: float = ...) -> Result: ...
def roc_curve(y: _Array, score: _Array) -> Result: ...
def delong_test(y: _Array, a: _Array, b: _Array, level: float = ...) -> Result: ...
def youden(y: _Array, score: _Array) -> Result: ...
def diagnostic_metrics(y: _Array, score: _Array, cutoff: float, level: float = ...) -> Result: ...
def icc(x: _Array, level: float = ...) -> Result: ...
def improve_prob(y: _Array, old: _Array, new: _Array) -> Result: ...
def decision_curve(y: _Array, p: _Array, thresholds: Optional[_Array] = ...) -> Result: ...
def calibration(y: _Array, p: _Array) -> Result: ...
def logistic(X: _Array, y: _Array, names: Optional[Sequence[str]] = ...) -> Result: ...

class LassoCV:
    names: List[str]
    measure: str
    lambda_: npt.NDArray[np.float64]
    cvm: npt.NDArray[np.float64]
    cvsd: npt.NDArray[np.float64]
    nzero: npt.NDArray[np.int_]
    index_min: int
    index_1se: int
    lambda_min: float
    lambda_1se: float
    foldid: npt.NDArray[np.int_]
    intercept: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]
    dev_ratio: npt.NDArray[np.float64]
    model_min: Dict[str, Any]
    model_1se: Dict[str, Any]
    def coefficients(self, s: str = ...) -> Any: ...
    def score(self, X: _Array, s: str = ...) -> npt.NDArray[np.float64]: ...

def lasso_cv(
    X: _Array,
    y: _Array,
    folds: int = ...,
    seed: Optional[int] = ...,
    r_seed: Optional[int] = ...,
    foldid: Optional[_Array] = ...,
    measure: str = ...,
    names: Optional[Sequence[str]] = ...,
    thresh: float = ...,
) -> LassoCV: ...

class Bundle:
    cutoffs: Dict[str, Any]
    cnn: Dict[str, Any]
    signature: Dict[str, Any]
    kept_features: Dict[str, Any]
    def __init__(self, path: _Path) -> None: ...
    @property
    def path(self) -> str: ...
    def needed_features(self) -> List[str]: ...
    def clinical_variables(self) -> List[str]: ...
    def predict_features(
        self, features: Any, clinical: Dict[str, Any], id: str = ...
    ) -> Result: ...
    def nomogram_factors(self) -> List[Dict[str, Any]]: ...
    def predict(
        self,
        cohort: _Path,
        out: Optional[_Path] = ...,
        work: Optional[_Path] = ...,
        strict: bool = ...,
        warn: bool = ...,
        progress: _Progress = ...,
        harmonize: str = ...,
    ) -> Any: ...
    def assess(
        self,
        cohort: Any,
        out: _Path,
        name: Optional[str] = ...,
        level: float = ...,
        hl_groups: int = ...,
        thresholds: Tuple[float, float, float] = ...,
        strict: bool = ...,
        warn: bool = ...,
        progress: _Progress = ...,
        harmonize: str = ...,
    ) -> Result: ...
    def predict_one(
        self, image: _Path, mask: _Path, clinical: Dict[str, Any], id: str = ...
    ) -> Result: ...

def fit_study(
    config: _Path,
    features: _Path,
    out: _Path,
    cohorts: Optional[_Path] = ...,
    root: _Path = ...,
    weights: Optional[_Path] = ...,
) -> Result: ...
