"""dlrn from Python: BUSAT handcrafted features, ResNet50 deep features and
R-exact statistics (pROC, glmnet, rms, Hmisc, psych) on numpy arrays.

The computations are the Rust libraries of the dlrn workspace (the same code
as the ``dlrn`` command line); this module converts numpy arrays and pandas
objects in and out. Every error is a :class:`DlrnError`; bad input raises
:class:`BadInputError` with the file, row and column where they apply.
"""

from __future__ import annotations

import json as _json
import os as _os
import sys as _sys
import time as _time
import warnings as _warnings
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as _np

from . import _dlrn
from ._dlrn import BadInputError, BundleError, DlrnError, ModelError

__version__: str = _dlrn.__version__

__all__ = [
    "DlrnError",
    "BadInputError",
    "BundleError",
    "ModelError",
    "InputWarning",
    "Image",
    "Result",
    "read_image",
    "read_mask",
    "handcrafted_names",
    "handcrafted",
    "handcrafted_files",
    "extract_handcrafted",
    "preprocess",
    "ResNet50",
    "roc_auc",
    "roc_curve",
    "delong_test",
    "youden",
    "diagnostic_metrics",
    "icc",
    "improve_prob",
    "decision_curve",
    "calibration",
    "logistic",
    "lasso_cv",
    "LassoCV",
    "Bundle",
    "fit_study",
]

try:  # pandas is optional: Series/DataFrames when it is installed
    import pandas as _pd  # type: ignore
except ImportError:  # pragma: no cover - exercised only without pandas
    _pd = None


class InputWarning(UserWarning):
    """An input outside what the models saw in training (a ``dlrn predict``
    warning: a value outside the training range, an unseen category, an
    imputed value), a loader warning, or cases left out of a table."""


class Result(dict):
    """A statistics result: a dict whose keys are also attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self.items() if not isinstance(v, (list, dict)))
        return f"Result({items})"


def _result(text: str) -> Any:
    def hook(d: Dict[str, Any]) -> Result:
        return Result(d)

    return _json.loads(text, object_hook=hook)


# ---------------------------------------------------------------- conversion


def _numeric(name: str, x: Any, ndim: int) -> _np.ndarray:
    """``x`` as a C-contiguous float64 array of ``ndim`` dimensions."""
    if _pd is not None and isinstance(x, (_pd.Series, _pd.DataFrame)):
        x = x.to_numpy()
    try:
        a = _np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise BadInputError(f"`{name}`: cannot be read as an array ({e})") from None
    if a.dtype.kind not in "biuf":
        raise BadInputError(f"`{name}`: dtype {a.dtype} is not numeric (expected numbers)")
    if a.ndim != ndim:
        raise BadInputError(f"`{name}`: expected a {ndim}-D array, got shape {a.shape}")
    return _np.ascontiguousarray(a, dtype=_np.float64)


def _vec(name: str, x: Any) -> bytes:
    return _numeric(name, x, 1).tobytes()


def _image(name: str, image: Any) -> _np.ndarray:
    a = _np.asarray(image)
    if a.ndim != 2:
        raise BadInputError(
            f"`{name}`: expected a 2-D grey image (height, width), got shape {a.shape}"
        )
    if a.dtype == _np.uint8:
        return _np.ascontiguousarray(a)
    if a.dtype.kind in "iu" and a.size and (a.min() < 0 or a.max() > 255):
        raise BadInputError(
            f"`{name}`: values {a.min()}..{a.max()} do not fit 8-bit grey levels 0..255"
        )
    if a.dtype.kind not in "iu":
        raise BadInputError(
            f"`{name}`: dtype {a.dtype}; expected 8-bit grey levels (uint8), as read_image returns"
        )
    return _np.ascontiguousarray(a, dtype=_np.uint8)


def _mask(name: str, mask: Any, shape: Tuple[int, ...]) -> _np.ndarray:
    a = _np.asarray(mask)
    if a.dtype.kind not in "biu":
        raise BadInputError(f"`{name}`: dtype {a.dtype}; expected a boolean or 0/1 mask")
    if a.shape != shape:
        raise BadInputError(
            f"`{name}`: mask is {a.shape[1] if a.ndim == 2 else '?'}×{a.shape[0] if a.ndim else '?'} "
            f"but the image is {shape[1]}×{shape[0]} (width×height)"
        )
    return _np.ascontiguousarray(a != 0, dtype=_np.uint8)


def _path(p: Any) -> str:
    return _os.fspath(p)


# ------------------------------------------------------------ images, masks


class Image(NamedTuple):
    """An image as the features see it: 8-bit grey pixels (height, width),
    how they were obtained (format, DICOM transfer syntax, rescale, VOI window
    or min–max, frame) and the loader's warnings."""

    pixels: _np.ndarray
    mapping: Dict[str, Any]
    warnings: List[str]


def read_image(
    path: "str | os.PathLike[str]",
    frame: Optional[int] = None,
    window: Optional[Tuple[float, float]] = None,
) -> Image:
    """Read an ultrasound image as 8-bit grey, as ``dlrn extract`` does.

    PNG/JPEG/TIFF/BMP (8/16-bit grey or RGB; colour by MATLAB ``rgb2gray``'s
    luma 0.2989/0.5870/0.1140, as BUSAT) and DICOM (grey, RGB, YBR, palette;
    uncompressed, RLE, JPEG, JPEG 2000; >8 bits by the VOI window, else
    min–max). ``frame`` is 1-based for multi-frame DICOM; ``window`` =
    (center, width) overrides the file's window.
    """
    data, width, height, mapping, warnings = _dlrn.read_image(_path(path), frame, window)
    pixels = _np.frombuffer(data, dtype=_np.uint8).reshape(height, width).copy()
    return Image(pixels, _result(mapping), list(warnings))


def read_mask(
    path: "str | os.PathLike[str]",
    shape: Optional[Tuple[int, int]] = None,
    label: Optional[int] = None,
    roi: Optional[str] = None,
    slice: Optional[int] = None,
) -> _np.ndarray:
    """Read a lesion mask as a boolean array (height, width).

    A raster (PNG/JPEG/TIFF/BMP) with one non-zero value, or ``label``; an
    ImageJ ``.roi`` or RoiSet ``.zip`` (``roi`` picks one; ImageJ's fill
    rule), or NIfTI ``.nii``/``.nii.gz`` (2-D, or the ``slice`` of a 3-D
    map). Outlines and NIfTI need the image's ``shape`` = (height, width).
    """
    if shape is not None:
        shape = (int(shape[0]), int(shape[1]))
    data, width, height = _dlrn.read_mask(_path(path), shape, label, roi, slice)
    return _np.frombuffer(data, dtype=_np.uint8).reshape(height, width) != 0


# ------------------------------------------------------------ handcrafted


def handcrafted_names() -> List[str]:
    """The 544 handcrafted feature names, in the released tables' order."""
    return list(_dlrn.handcrafted_names())


def handcrafted(image: Any, mask: Any) -> Any:
    """The 544 BUSAT handcrafted features of one 8-bit grey image and its
    lesion mask (the whole image: several features look beside and below the
    lesion), as BUSAT's ``BUS_features`` computes them and ``dlrn extract
    handcrafted`` writes them.

    Returns a pandas Series indexed by feature name when pandas is installed,
    else a dict name → value. NaN where BUSAT's formulas give NaN.
    """
    img = _image("image", image)
    m = _mask("mask", mask, img.shape)
    data = _dlrn.handcrafted(img.tobytes(), m.tobytes(), img.shape[1], img.shape[0])
    values = _np.frombuffer(data, dtype=_np.float64).copy()
    names = handcrafted_names()
    if _pd is not None:
        return _pd.Series(values, index=names, name="handcrafted")
    return dict(zip(names, values.tolist()))


def handcrafted_files(
    images: Sequence["str | os.PathLike[str]"],
    masks: Sequence["str | os.PathLike[str]"],
    ids: Optional[Sequence[str]] = None,
    frame: Optional[int] = None,
    label: Optional[int] = None,
    roi: Optional[str] = None,
) -> Any:
    """The 544 features of each (image file, mask file) pair, read and
    computed as ``dlrn extract handcrafted`` does, in parallel with the GIL
    released (Ctrl-C stops between batches). A DataFrame (index ``ids``) when
    pandas is installed, else a (cases, 544) float64 array."""
    images = [_path(p) for p in images]
    masks = [_path(p) for p in masks]
    data, _mappings = _dlrn.handcrafted_files(images, masks, frame, label, roi)
    values = _np.frombuffer(data, dtype=_np.float64).reshape(len(images), -1).copy()
    if _pd is not None:
        return _pd.DataFrame(values, columns=handcrafted_names(), index=list(ids) if ids else None)
    return values


def extract_handcrafted(
    cohort: "str | os.PathLike[str]",
    out: "str | os.PathLike[str] | None" = None,
    masks: str = "masks",
    frame: Optional[int] = None,
    label: Optional[int] = None,
    roi: Optional[str] = None,
    keep_going: bool = False,
    progress: Any = None,
) -> Any:
    """The 544 features of every case of a cohort folder (``images/<id>.*``
    with ``<masks>/<id>.*``), rows sorted by id: ``dlrn extract handcrafted
    --cohort COHORT --out OUT``, the same loop over the same feature store
    (dlrn-study ``extraction::extract_handcrafted``), in parallel with the
    GIL released.

    With ``out`` (.csv or .parquet) the table is written there byte for byte
    as the command line writes it, with its sidecars, and the run is
    resumable: every 64 cases are saved to ``<stem>.partial.<ext>``; a rerun
    after an interruption (Ctrl-C, which stops between batches, or a killed
    process) reuses the saved rows and the rows of unchanged images and masks.
    Without ``out`` the store lives in a temporary folder.

    A case that cannot be read (unreadable file, size mismatch, empty mask)
    raises :class:`BadInputError` listing every failed case, the good rows
    kept for a rerun (the command line's exit status 3); ``keep_going=True``
    accepts the table without them (``--keep-going``) and warns.

    ``progress``: a tqdm-style bar on stderr (tqdm's own when tqdm is
    installed) when ``True``, or by default when stderr is a terminal; off
    with ``False``; or a callable ``(done, todo)`` called between batches.
    Returns a DataFrame indexed by id (with ``ALN_status`` first when
    clinical.csv has it, as in the table) when pandas is installed, else
    ``(ids, values)``.
    """
    import tempfile

    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="dlrn-handcrafted-")
        out = _os.path.join(tmp.name, "handcrafted.parquet")
    bar = _progress_bar(progress, "handcrafted")
    try:
        ids, data, failures, outcome, warned, _resumed = _dlrn.extract_handcrafted(
            _path(cohort), _path(out), masks, frame, label, roi, keep_going, bar
        )
    finally:
        if bar is not None:
            bar.close()
        if tmp is not None:
            tmp.cleanup()
    for w in warned:
        _warnings.warn(w, InputWarning, stacklevel=2)
    if failures:
        listed = "\n".join(f"  {i}: {why}" for i, _file, why in failures)
        if outcome == "partial":
            where = _path(out)
            raise BadInputError(
                f"{len(failures)} case(s) failed, listed in {where}.failures.csv; the other "
                f"rows are kept in the partial table and a rerun resumes from them "
                f"(keep_going=True accepts the table without the failed cases):\n{listed}"
            )
        _warnings.warn(
            f"{len(failures)} case(s) left out of the table:\n{listed}", InputWarning, stacklevel=2
        )
    values = _np.frombuffer(data, dtype=_np.float64).reshape(len(ids), -1).copy()
    if _pd is None:
        return ids, values
    table = _pd.DataFrame(values, columns=handcrafted_names(), index=_pd.Index(ids, name="id"))
    labels = _dlrn.read_labels(_path(cohort))
    if labels is not None:
        table.insert(0, "ALN_status", _pd.array([labels.get(i) for i in ids], dtype="Int64"))
    return table


class _Bar:
    """A tqdm-style progress bar on stderr (used when tqdm is not installed)."""

    def __init__(self, desc: str) -> None:
        self.desc, self.start, self.last = desc, _time.monotonic(), -1.0

    def __call__(self, done: int, todo: int) -> None:
        now = _time.monotonic()
        if done < todo and now - self.last < 0.1:
            return
        self.last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (todo - done) / rate if rate > 0 else 0.0
        width = 30
        filled = int(width * done / max(todo, 1))
        clock = lambda t: f"{int(t // 60):02d}:{int(t % 60):02d}"  # noqa: E731
        _sys.stderr.write(
            f"\r{self.desc}: {100 * done / max(todo, 1):3.0f}%|{'█' * filled}{' ' * (width - filled)}| "
            f"{done}/{todo} [{clock(elapsed)}<{clock(left)}, {rate:.2f}it/s]"
        )
        _sys.stderr.flush()

    def close(self) -> None:
        if self.last >= 0:
            _sys.stderr.write("\n")
            _sys.stderr.flush()


class _Tqdm:
    """tqdm's bar (``tqdm.auto``: a widget in notebooks) fed ``(done, todo)``."""

    def __init__(self, tqdm: Any, desc: str) -> None:
        self.tqdm, self.desc, self.bar = tqdm, desc, None

    def __call__(self, done: int, todo: int) -> None:
        if self.bar is None:
            self.bar = self.tqdm(total=todo, desc=self.desc, unit="case")
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Callback:
    """A user's ``(done, todo)`` callable."""

    def __init__(self, f: Any) -> None:
        self.f = f

    def __call__(self, done: int, todo: int) -> None:
        self.f(done, todo)

    def close(self) -> None:
        pass


def _progress_bar(progress: Any, desc: str) -> Any:
    """The ``progress`` argument as a callable with ``close()``, or None:
    ``None`` shows a bar when stderr is a terminal (as the command line),
    ``True`` always, ``False`` never; a callable is called as is."""
    if callable(progress) and not isinstance(progress, bool):
        return _Callback(progress)
    if progress is None:
        try:
            progress = _sys.stderr.isatty()
        except (AttributeError, ValueError):
            progress = False
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore
    except ImportError:
        return _Bar(desc)
    return _Tqdm(tqdm, desc)


# ------------------------------------------------------------ deep features


def preprocess(image: Any, mask: Any, resize: int = 256, crop: int = 224) -> _np.ndarray:
    """The CNN input of one case as ``dlrn extract deep`` makes it: the
    lesion's bounding-box crop, torchvision ``Resize(resize)`` (bilinear,
    antialiased as PIL), ``CenterCrop(crop)``, grey replicated to 3 channels,
    ``ToTensor`` + ``Normalize`` (ImageNet mean/std). (3, crop, crop) float32."""
    img = _image("image", image)
    m = _mask("mask", mask, img.shape)
    data = _dlrn.preprocess(img.tobytes(), m.tobytes(), img.shape[1], img.shape[0], resize, crop)
    return _np.frombuffer(data, dtype=_np.float32).reshape(3, crop, crop).copy()


class ResNet50:
    """torchvision's ``resnet50`` topology on the CPU (Burn, BatchNorm folded
    into each convolution), weights from a torchvision state dict
    (``.pth``/``.pt``/``.safetensors``), a ``dlrn finetune`` record
    (``.mpk``), or a seeded random initialisation (``seed``)."""

    def __init__(
        self,
        weights: "Optional[str | os.PathLike[str]]" = None,
        seed: int = 0,
        *,
        base_width: int = 64,
        blocks: Tuple[int, int, int, int] = (3, 4, 6, 3),
    ) -> None:
        w = None if weights is None else _path(weights)
        self._net = _dlrn.ResNet(w, seed, base_width, tuple(blocks))

    @property
    def dim(self) -> int:
        """Feature dimension (2048 for ResNet50)."""
        return self._net.dim

    @property
    def weights(self) -> Dict[str, Any]:
        """Provenance of the weights (file path, SHA-256 and format, or the seed)."""
        return _result(self._net.weights)

    def features(
        self, images: Sequence[Any], masks: Sequence[Any], batch: int = 16
    ) -> _np.ndarray:
        """Pooled features (n, dim) float32 of grey images and their masks,
        with :func:`preprocess`'s crop as ``dlrn extract deep``; the
        torchvision ``model.fc = Identity()`` output."""
        if len(images) != len(masks):
            raise BadInputError(f"{len(images)} images but {len(masks)} masks; they must pair up")
        pairs = []
        for i, (im, mk) in enumerate(zip(images, masks)):
            img = _image(f"images[{i}]", im)
            m = _mask(f"masks[{i}]", mk, img.shape)
            pairs.append((img.tobytes(), m.tobytes(), img.shape[1], img.shape[0]))
        data = self._net.features(pairs, batch)
        return _np.frombuffer(data, dtype=_np.float32).reshape(len(pairs), self.dim).copy()

    def features_from_inputs(self, x: Any, batch: int = 16) -> _np.ndarray:
        """Pooled features of already preprocessed inputs (n, 3, side, side)."""
        a = _np.asarray(x)
        if a.ndim != 4 or a.shape[1] != 3 or a.shape[2] != a.shape[3]:
            raise BadInputError(f"`x`: expected shape (n, 3, side, side), got {a.shape}")
        if a.dtype.kind != "f":
            raise BadInputError(f"`x`: dtype {a.dtype}; expected float32 inputs")
        a = _np.ascontiguousarray(a, dtype=_np.float32)
        data = self._net.features_from_inputs(a.tobytes(), a.shape[0], a.shape[2], batch)
        return _np.frombuffer(data, dtype=_np.float32).reshape(a.shape[0], self.dim).copy()


# ------------------------------------------------------------ statistics


def roc_auc(y: Any, score: Any, level: float = 0.95) -> Result:
    """AUC with its DeLong CI: ``pROC::roc(y, score, direction = "<")`` then
    ``pROC::ci.auc(method = "delong")``. Keys: auc, variance, se, ci_low,
    ci_high, level, cases, controls."""
    return _result(_dlrn.roc_auc(_vec("y", y), _vec("score", score), level))


def roc_curve(y: Any, score: Any) -> Result:
    """The empirical ROC curve as ``pROC::roc(direction = "<")``: thresholds
    (None for ±inf), sensitivities, specificities, auc."""
    return _result(_dlrn.roc_curve(_vec("y", y), _vec("score", score)))


def delong_test(y: Any, a: Any, b: Any, level: float = 0.95) -> Result:
    """Paired DeLong test of two scores' AUCs on the same patients:
    ``pROC::roc.test(roc(y, a), roc(y, b), method = "delong", paired = TRUE)``."""
    return _result(_dlrn.delong_test(_vec("y", y), _vec("a", a), _vec("b", b), level))


def youden(y: Any, score: Any) -> Result:
    """The Youden-optimal cut-off: ``pROC::coords(roc, "best", best.method =
    "youden")`` (the lowest threshold on ties)."""
    return _result(_dlrn.youden(_vec("y", y), _vec("score", score)))


def diagnostic_metrics(y: Any, score: Any, cutoff: float, level: float = 0.95) -> Result:
    """Accuracy, sensitivity, specificity, PPV and NPV at ``score >= cutoff``,
    each with its exact Clopper–Pearson CI (R's ``binom.test``)."""
    return _result(_dlrn.diagnostic_metrics(_vec("y", y), _vec("score", score), cutoff, level))


def icc(x: Any, level: float = 0.95) -> Result:
    """Shrout–Fleiss ICCs of a (subjects, raters) matrix, as
    ``psych::ICC(x, lmer = FALSE)``: one row per form (ICC1, ICC2, ICC3,
    ICC1k, ICC2k, ICC3k) with F test and CI."""
    a = _numeric("x", x, 2)
    return _result(_dlrn.icc(a.tobytes(), a.shape[0], a.shape[1], level))


def improve_prob(y: Any, old: Any, new: Any) -> Result:
    """IDI and continuous NRI of ``new`` over ``old`` probabilities, as
    ``Hmisc::improveProb(old, new, y)``."""
    return _result(_dlrn.improve_prob(_vec("y", y), _vec("old", old), _vec("new", new)))


def decision_curve(y: Any, p: Any, thresholds: Any = None) -> Result:
    """Decision curve analysis (Vickers & Elkin): net benefit of the model,
    of treating all and of treating none at each threshold probability."""
    t = None if thresholds is None else _vec("thresholds", thresholds)
    return _result(_dlrn.decision_curve(_vec("y", y), _vec("p", p), t))


def calibration(y: Any, p: Any) -> Result:
    """Calibration of predicted probabilities: intercept and slope
    (``rms::val.prob``), Hosmer–Lemeshow test, binned and lowess curves."""
    return _result(_dlrn.calibration(_vec("y", y), _vec("p", p)))


def _design(X: Any, names: Optional[Sequence[str]]) -> Tuple[_np.ndarray, List[str]]:
    if _pd is not None and isinstance(X, _pd.DataFrame):
        cols = [str(c) for c in X.columns]
        if names is None:
            names = cols
        X = X.to_numpy()
    a = _numeric("X", X, 2)
    if names is None:
        names = [f"x{j + 1}" for j in range(a.shape[1])]
    names = [str(n) for n in names]
    if len(names) != a.shape[1]:
        raise BadInputError(f"{len(names)} names for {a.shape[1]} columns of `X`")
    return a, names


def logistic(X: Any, y: Any, names: Optional[Sequence[str]] = None) -> Result:
    """Binary logistic regression, = ``glm(y ~ ., family = binomial)`` (rows
    with a NaN predictor dropped as ``na.omit``) with ``rms::lrm``'s LR χ²,
    Nagelkerke R² and C-index. Keys: coefficients (intercept first; estimate,
    std_error, z, p_value, odds_ratio and its Wald CI), deviance, aic, …,
    plus ``fitted`` and ``covariance`` arrays."""
    a, names = _design(X, names)
    fit, fitted, cov = _dlrn.logistic(
        _np.asfortranarray(a).tobytes(order="F"), a.shape[0], names, _vec("y", y)
    )
    r = _result(fit)
    k = len(names) + 1
    r["fitted"] = _np.asarray(fitted)
    r["covariance"] = _np.asarray(cov).reshape(k, k) if len(cov) == k * k else _np.asarray(cov)
    return r


class LassoCV:
    """A cross-validated LASSO-logistic fit, the fields of R's ``cv.glmnet``
    object: ``lambda_`` (the path), ``cvm``, ``cvsd``, ``nzero``,
    ``lambda_min``, ``lambda_1se``, ``index_min``/``index_1se`` (0-based),
    ``foldid``, ``intercept`` and ``coef`` per lambda, and ``model_min`` /
    ``model_1se``: the signature at each (intercept and non-zero
    coefficients by feature name, the ``model.json`` of ``dlrn lasso``)."""

    def __init__(self, cv: Dict[str, Any], model_min: Dict[str, Any], model_1se: Dict[str, Any], names: List[str]):
        self.names = names
        self.measure: str = cv["measure"]
        self.lambda_ = _np.asarray(cv["lambda"], dtype=float)
        self.cvm = _np.asarray(cv["cvm"], dtype=float)
        self.cvsd = _np.asarray(cv["cvsd"], dtype=float)
        self.nzero = _np.asarray(cv["nzero"], dtype=int)
        self.index_min: int = cv["index_min"]
        self.index_1se: int = cv["index_1se"]
        self.lambda_min: float = cv["lambda_min"]
        self.lambda_1se: float = cv["lambda_1se"]
        self.foldid = _np.asarray(cv["foldid"], dtype=int)
        fit = cv["fit"]
        self.intercept = _np.asarray(fit["intercept"], dtype=float)
        coef = _np.zeros((len(self.lambda_), len(names)))
        for k, beta in enumerate(fit["beta"]):
            for j, v in beta:
                coef[k, j] = v
        self.coef = coef
        self.dev_ratio = _np.asarray(fit["dev_ratio"], dtype=float)
        self.model_min = model_min
        self.model_1se = model_1se

    def coefficients(self, s: str = "lambda.min") -> Any:
        """Non-zero coefficients at ``s`` ("lambda.min" or "lambda.1se") by
        feature name, intercept first (``coef(cv, s = ...)``): a pandas Series
        when pandas is installed, else a dict."""
        model = {"lambda.min": self.model_min, "lambda.1se": self.model_1se}.get(s)
        if model is None:
            raise BadInputError(f"s = {s!r}: expected 'lambda.min' or 'lambda.1se'")
        d = {"(Intercept)": model["intercept"]}
        d.update({f["feature"]: f["coefficient"] for f in model["features"]})
        if _pd is not None:
            return _pd.Series(d, name=s)
        return d

    def score(self, X: Any, s: str = "lambda.min") -> _np.ndarray:
        """The signature score (linear predictor) of each row of ``X`` (same
        columns as the fit) at ``s``."""
        a, _ = _design(X, self.names)
        k = {"lambda.min": self.index_min, "lambda.1se": self.index_1se}[s]
        return self.intercept[k] + a @ self.coef[k]

    def __repr__(self) -> str:
        return (
            f"LassoCV(measure={self.measure!r}, lambda_min={self.lambda_min:.6g}, "
            f"lambda_1se={self.lambda_1se:.6g}, nonzero_min={int(self.nzero[self.index_min])}, "
            f"features={len(self.names)})"
        )


def lasso_cv(
    X: Any,
    y: Any,
    folds: int = 10,
    seed: Optional[int] = None,
    r_seed: Optional[int] = None,
    foldid: Any = None,
    measure: str = "deviance",
    names: Optional[Sequence[str]] = None,
    thresh: float = 1e-7,
) -> LassoCV:
    """LASSO-logistic with cross-validation, = ``cv.glmnet(X, y, family =
    "binomial", type.measure = measure, nfolds = folds)`` as ``dlrn lasso``
    runs it: ``r_seed`` gives R's own folds after ``set.seed(r_seed)``;
    ``foldid`` (1-based per row) fixes them; else dlrn's folds from ``seed``
    (default 1). Feature names come from a DataFrame's columns or ``names``."""
    a, names = _design(X, names)
    ids = None
    if foldid is not None:
        f = _numeric("foldid", foldid, 1)
        if (f < 1).any() or (f != _np.round(f)).any():
            raise BadInputError("`foldid`: fold ids are integers >= 1")
        ids = [int(v) for v in f]
    cv, mmin, m1se = _dlrn.lasso_cv(
        _np.asfortranarray(a).tobytes(order="F"),
        a.shape[0],
        names,
        _vec("y", y),
        folds,
        seed,
        r_seed,
        ids,
        measure,
        thresh,
    )
    return LassoCV(_json.loads(cv), _json.loads(mmin), _json.loads(m1se), names)


# ------------------------------------------------------------ model bundle


def _warn_lines(lines: Sequence[str], stacklevel: int) -> None:
    """The command line's ``warning: …`` lines, each an :class:`InputWarning`
    attributed to the caller ``stacklevel`` frames up."""
    for line in lines:
        if line.startswith("warning: "):
            _warnings.warn(line[len("warning: "):], InputWarning, stacklevel=stacklevel + 1)


def _read_csv(path: str) -> Any:
    """A CSV table as a DataFrame (pandas), else a list of dicts."""
    if _pd is not None:
        # pandas < 3 parses floats exactly only when asked (3 does by default).
        if int(_pd.__version__.split(".")[0]) < 3:
            return _pd.read_csv(path, float_precision="round_trip")
        return _pd.read_csv(path)
    import csv

    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


class Bundle:
    """A study's frozen model bundle (``<study>/model/``), as ``dlrn predict
    --model`` reads it: the manifest's format version and every file's SHA-256
    are checked on loading (:class:`BundleError` names the file)."""

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self._b = _dlrn.Bundle(_path(path))
        cutoffs, cnn, signature, features = self._b.describe()
        self.cutoffs: Dict[str, Any] = _result(cutoffs)
        self.cnn: Dict[str, Any] = _result(cnn)
        self.signature: Dict[str, Any] = _result(signature)
        self.kept_features: Dict[str, Any] = _result(features)

    @property
    def path(self) -> str:
        return str(self._b.path)

    def needed_features(self) -> List[str]:
        """The feature columns the signature needs."""
        return list(self._b.needed_features())

    def clinical_variables(self) -> List[str]:
        """The clinical variables the clinical model and the DLRN need."""
        return list(self._b.clinical_variables())

    def predict_features(
        self, features: Any, clinical: Dict[str, Any], id: str = "patient"
    ) -> Result:
        """One patient's prediction from feature values (name → value: a dict
        or Series holding at least :meth:`needed_features`) and clinical cells
        as clinical.csv writes them: signature score, clinical, signature and
        DLRN probabilities, DLRN class at its cut-off, nomogram points and
        warnings for inputs outside the training range (``dlrn predict``'s row)."""
        if _pd is not None and isinstance(features, _pd.Series):
            features = features.to_dict()
        feats = {str(k): float(v) for k, v in dict(features).items()}
        cells = {str(k): "" if v is None else str(v) for k, v in dict(clinical).items()}
        return _result(self._b.predict_features(str(id), feats, cells))

    def _rows(self, scored: Sequence[Dict[str, Any]]) -> Any:
        factors = [f"points_{p['name']}" for p in self.nomogram_factors()]
        columns = ["id", "signature_score", "p_clinical", "p_signature", "p_dlrn", "dlrn_class"]
        columns += factors + ["total_points", "warnings"]
        rows = []
        for s in scored:
            p = s["prediction"]
            if p is None:
                nan = float("nan")
                rows.append([s["id"]] + [nan] * (5 + len(factors) + 1) + [f"not scored: {s['error'] or ''}"])
                continue
            rows.append(
                [s["id"], p["signature_score"], p["p_clinical"], p["p_signature"], p["p_dlrn"], p["dlrn_class"]]
                + [pts for _, pts in p["points"]]
                + [p["total_points"], "; ".join(p["warnings"])]
            )
        if _pd is not None:
            return _pd.DataFrame(rows, columns=columns)
        return [dict(zip(columns, r)) for r in rows]

    def nomogram_factors(self) -> List[Dict[str, Any]]:
        """The nomogram's factors in order (the ``points_*`` columns)."""
        return [{"name": n} for n in self._b.nomogram_factors()]

    def predict(
        self,
        cohort: "str | os.PathLike[str]",
        out: "str | os.PathLike[str] | None" = None,
        work: "str | os.PathLike[str] | None" = None,
        strict: bool = False,
        warn: bool = True,
        progress: Any = None,
        harmonize: str = "apply",
    ) -> Any:
        """``dlrn predict --model DIR --cohort COHORT``: the same function of
        dlrn-study (``apply::score_cohort``: the clinical table and the
        image/mask pairing checked first, the features the signature needs
        extracted, missing values imputed with the bundle's training values
        unless ``strict``, every patient with an image scored). Per patient:
        the signature score, clinical, signature and DLRN probabilities, the
        DLRN class at its cut-off, nomogram points per factor and in total,
        and ``warnings`` (inputs outside the training range, imputed values,
        or why the patient was not scored: numbers NaN, ``not scored: …``).

        Each warned patient also raises an :class:`InputWarning` with the
        text ``dlrn predict`` prints (``patient "P1": …``) unless
        ``warn=False``. ``out``: the predictions CSV written byte for byte as
        the command line writes it. ``work``: where the feature tables go
        (resumable; default a temporary folder). ``progress`` as in
        :func:`extract_handcrafted`. The deep features run on the CPU (flex,
        the command line's default backend). ``harmonize``: for a bundle
        with a ComBat harmonisation, ``"apply"`` harmonises the cohort as one
        new hospital (refused below the bundle's minimum batch), ``"none"``
        scores unharmonised features with a warning (``--harmonize``). A
        DataFrame when pandas is installed, else a list of dicts."""
        scored, _lines = self._score(cohort, out, work, strict, warn, progress, harmonize)
        return self._rows(scored)

    def _score(
        self, cohort: Any, out: Any, work: Any, strict: bool, warn: bool, progress: Any, harmonize: str
    ) -> Any:
        import tempfile

        tmp = None
        if work is None:
            tmp = tempfile.TemporaryDirectory(prefix="dlrn-predict-")
            work = tmp.name
        bar = _progress_bar(progress, "features")
        try:
            text, lines = self._b.predict_cohort(
                _path(cohort), _path(work), None if out is None else _path(out), strict, bar, harmonize
            )
        finally:
            if bar is not None:
                bar.close()
            if tmp is not None:
                tmp.cleanup()
        if warn:
            _warn_lines(lines, 3)  # _score ← predict ← the caller
        return _json.loads(text), lines

    def assess(
        self,
        cohort: Any,
        out: "str | os.PathLike[str]",
        name: Optional[str] = None,
        level: float = 0.95,
        hl_groups: int = 10,
        thresholds: Tuple[float, float, float] = (0.01, 0.99, 0.01),
        strict: bool = False,
        warn: bool = True,
        progress: Any = None,
        harmonize: str = "apply",
    ) -> Result:
        """``dlrn assess --model DIR --cohort COHORT --out OUT``: the frozen
        models validated on a labelled cohort without refitting (dlrn-study
        ``apply::assess``, the study's own evaluation stage at the bundle's
        cut-offs): Table 2 rows (AUC with DeLong CI; accuracy, sensitivity,
        specificity, PPV, NPV with exact binomial CIs; DeLong P against the
        DLRN), IDI/NRI, calibration statistics, ROC, calibration and decision
        curves, per-patient predictions and an index.html, written into
        ``out`` byte for byte as the command line writes them.

        ``cohort``: a cohort folder (images/, masks/, clinical.csv with
        ``ALN_status``), scored as :meth:`predict` does (features into
        ``out/work``, predictions in ``out/patients.csv``); or a DataFrame as
        :meth:`predict` returns it with an ``ALN_status`` column (0/1, NaN
        for none), assessed as it is (``name`` then defaults to "cohort").
        A patient who cannot be scored raises :class:`BadInputError` (after
        patients.csv is written), as ``dlrn assess`` exits with status 2.
        ``harmonize`` as in :meth:`predict`.

        Returns a :class:`Result`: ``tables`` (name → DataFrame, from the
        CSV tables written, e.g. ``tables["table2"]``), ``predictions``,
        ``files`` (written, relative to ``out``), ``out`` and ``messages``
        (what the command line prints)."""
        out = _path(out)
        thresholds = tuple(float(t) for t in thresholds)
        if _pd is not None and isinstance(cohort, _pd.DataFrame):
            if "ALN_status" not in cohort.columns:
                raise BadInputError("the DataFrame has no ALN_status column (the outcomes to assess against)")
            cols = ["signature_score", "p_clinical", "p_signature", "p_dlrn"]
            missing = [c for c in ["id"] + cols if c not in cohort.columns]
            if missing:
                raise BadInputError(
                    f"the DataFrame lacks the column(s) {', '.join(missing)} (a Bundle.predict table)"
                )
            scores = [_vec(c, _pd.to_numeric(cohort[c], errors="coerce")) for c in cols]
            labels = _vec("ALN_status", _pd.to_numeric(cohort["ALN_status"], errors="coerce"))
            lines, files = self._b.assess_predictions(
                [str(i) for i in cohort["id"]], scores, labels, out, name or "cohort",
                level, hl_groups, thresholds,
            )
            predictions = cohort
        else:
            bar = _progress_bar(progress, "features")
            try:
                text, lines, files = self._b.assess_cohort(
                    _path(cohort), out, name, level, hl_groups, thresholds, strict, bar, harmonize
                )
            finally:
                if bar is not None:
                    bar.close()
            predictions = self._rows(_json.loads(text))
        if warn:
            _warn_lines(lines, 2)
        tables = {}
        for f in sorted(files):
            if f.endswith(".csv") and "/" not in f:
                tables[f[: -len(".csv")]] = _read_csv(_os.path.join(out, f))
        return Result(tables=tables, predictions=predictions, files=list(files), out=out, messages=list(lines))

    def predict_one(
        self,
        image: "str | os.PathLike[str]",
        mask: "str | os.PathLike[str]",
        clinical: Dict[str, Any],
        id: str = "patient",
    ) -> Result:
        """One patient from an image file, its mask file and clinical values
        (``dlrn predict --image F --mask F --clinical age=52,birads=4C``)."""
        (id_, values, err), = self._b.features_of_files([(str(id), _path(image), _path(mask))])
        if values is None:
            raise BadInputError(err)
        return self.predict_features(values, clinical, id=id_)

    def __repr__(self) -> str:
        return f"Bundle({self.path!r})"


# ------------------------------------------------------------ the study


def fit_study(
    config: "str | os.PathLike[str]",
    features: "str | os.PathLike[str]",
    out: "str | os.PathLike[str]",
    cohorts: "str | os.PathLike[str] | None" = None,
    root: "str | os.PathLike[str]" = ".",
    weights: "str | os.PathLike[str] | None" = None,
) -> Result:
    """The modelling half of the study on feature tables already extracted:
    stages 5–9 of ``cargo xtask paper`` (the ICC filter on the re-outlines,
    the LASSO signature, the clinical model, the DLRN, the evaluation with
    Table 2 and Table 3, calibration, cut-offs, the nomogram and the model
    bundle), through the same library call (dlrn-study ``fit::fit_study``)
    with the settings of the study config ``config`` (configs/*.toml).

    ``features``: the folder of feature tables as ``cargo xtask paper``
    writes them (``<cohort>_handcrafted.parquet``, ``<cohort>_deep.parquet``,
    and ``<training>_<reader>_*`` for the re-outlines), or a study's output
    folder (its ``work/features/`` is used). ``cohorts``: the cohort folders
    with clinical.csv (default: the config's ``cohorts.dir`` under ``root``,
    the workspace root as ``cargo xtask paper`` resolves it). ``weights``:
    the CNN weights file the deep features were computed with, copied into
    the bundle (``None``: the config's random initialisation).

    Writes the study's report into ``out`` (table2.csv, table3.csv,
    calibration.csv, cutoffs.csv, figures, index.html) and the model bundle
    into ``out/model``. Not covered (they stay with ``cargo xtask paper``,
    a binary): simulating the cohorts, the image stages (fine-tuning, the
    handcrafted and deep extractions: :func:`extract_handcrafted` and
    :class:`ResNet50` do those one cohort at a time), the stage cache and
    the supplement (Table 1 tests, readers, agreement, checklists).

    Returns a :class:`Result`: ``tables`` (name → DataFrame, e.g.
    ``tables["table2"]``), ``bundle`` (the fitted :class:`Bundle`),
    ``files``, ``out`` and ``notes`` (the run's log lines)."""
    feats = _path(features)
    inner = _os.path.join(feats, "work", "features")
    if _os.path.isdir(inner):
        feats = inner
    out = _path(out)
    files, notes = _dlrn.fit_study_tables(
        _path(config),
        feats,
        None if cohorts is None else _path(cohorts),
        _path(root),
        out,
        None if weights is None else _path(weights),
    )
    tables = {}
    for f in sorted(files):
        if f.endswith(".csv") and "/" not in f:
            tables[f[: -len(".csv")]] = _read_csv(_os.path.join(out, f))
    return Result(
        tables=tables,
        bundle=Bundle(_os.path.join(out, "model")),
        files=list(files),
        out=out,
        notes=list(notes),
    )
