r"""Built-in data sets, and the target direction :math:`v' = \frac1n\sum_i y_i x_i` (docs/mathematics.md#model).

* ``"default"`` — the report's example (the setting of docs/mathematics.md#blow-up: ``n = 40``, ``d = 3``):
  inputs :math:`x_i \sim \mathcal N(0, I_d)` (seeded), target
  :math:`y_i = \sin(\beta^\top x_i)` with :math:`\beta = (1, \dots, 1)/\sqrt d`.  For Gaussian inputs
  :math:`\mathbb E[y x] = e^{-1/2}\beta \ne 0`, so :math:`v'` points close to :math:`\beta`.
* ``"linear"`` — same inputs, :math:`y_i = \beta^\top x_i` (a teacher the network can fit exactly
  to first order; handy for convergence tests).
* ``"1d"`` — one-dimensional inputs for two-layer feature maps (docs/mathematics.md#one-dimensional-features): ``n`` points
  evenly spaced on :math:`[-1, 1]` plus a seeded jitter of at most a quarter spacing,
  :math:`y = \sin(\pi x)`; :math:`v' = \frac1n\sum_i y_i x_i > 0`.

Real data sets (shipped inside scikit-learn's package and read with ``sklearn.datasets.load_*``:
nothing is downloaded), see :func:`make_dataset` for the targets:

* ``"digits"`` — 1797 images of 8×8 pixels, :math:`d = 64`, 10 classes (the digits 0–9);
* ``"diabetes"`` — 442 patients, :math:`d = 10`, a continuous target (disease progression);
* ``"iris"`` — 150 flowers, :math:`d = 4`, 3 classes;
* ``"breast_cancer"`` — 569 tumours, :math:`d = 30`, 2 classes (0 malignant, 1 benign);
* ``"wine"`` — 178 wines, :math:`d = 13`, 3 classes.
"""

from __future__ import annotations

import functools
from numbers import Integral

import numpy as np

__all__ = ["DATASET_NAMES", "SYNTHETIC_DATASET_NAMES", "REAL_DATASET_NAMES", "TARGET_KINDS", "make_dataset", "data_direction"]

SYNTHETIC_DATASET_NAMES: tuple[str, ...] = ("default", "linear", "1d")
#: Real data sets bundled with scikit-learn (``sklearn.datasets.load_<name>``).
REAL_DATASET_NAMES: tuple[str, ...] = ("digits", "diabetes", "iris", "breast_cancer", "wine")
DATASET_NAMES: tuple[str, ...] = SYNTHETIC_DATASET_NAMES + REAL_DATASET_NAMES
#: Targets of the real data sets (:func:`make_dataset`).
TARGET_KINDS: tuple[str, ...] = ("regression", "binary", "onehot")


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name}: expected an int >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: must be an int >= {minimum}, got {value}")
    return int(value)


def make_dataset(
    name: str = "default",
    n: int | None = None,
    d: int | None = None,
    seed: int = 0,
    *,
    target: str | None = None,
    classes=None,
    standardize: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Return ``(X, y)`` with ``X`` of shape ``(n, d)`` and ``y`` of shape ``(n,)`` (see module doc).

    Synthetic data sets (``"default"``, ``"linear"``, ``"1d"``): ``n`` defaults to 40, ``d`` to 3
    (``"default"``, ``"linear"``) and must be 1 (or ``None``) for ``"1d"``; ``target``,
    ``classes`` and ``standardize`` do not apply (must be left ``None``).

    Real data sets (``"digits"``, ``"diabetes"``, ``"iris"``, ``"breast_cancer"``, ``"wine"``):

    * ``classes`` (classification sets only) keeps the samples of the listed classes (labels as
      ints, or class names such as ``"setosa"``); ``None`` keeps them all.
    * ``n`` (default: all selected samples) draws a seeded random subset of ``n`` of them without
      replacement, kept in the data set's order; ``d`` must be ``None`` or the data set's dimension.
    * ``standardize`` (default ``True``): each input column is centred and divided by its standard
      deviation over the samples returned, :math:`x_{ij} \leftarrow (x_{ij} - \bar x_j)/s_j`
      (a constant column, e.g. a border pixel of ``"digits"``, becomes 0).
    * ``target`` (default ``"regression"`` for ``"diabetes"``, ``"binary"`` otherwise):

      - ``"regression"``: the target value (for a classification set the class label as a number,
        e.g. the digit), standardized: :math:`y_i = (t_i - \bar t)/s_t` (centred, unit variance);
      - ``"binary"``: :math:`y_i = +1` for the first class of the pair ``classes = (c_+, c_-)``
        and :math:`-1` for the second (only those samples kept); ``classes=None`` gives even
        labels :math:`+1` against odd labels :math:`-1` (all samples);
      - ``"onehot"``: ``y`` of shape ``(n, k)``, :math:`y_{ic} = 1` when sample :math:`i` has the
        :math:`c`-th class of ``classes`` (default: all classes, in label order), else 0.  Training
        on it needs a network with :math:`k` outputs (the scalar-output functions of ``numerics``
        take ``y`` of shape ``(n,)``).

    Same ``seed`` → same data. Raises ``ValueError``/``TypeError`` naming the argument.
    """
    if name not in DATASET_NAMES:
        raise ValueError(f"name: unknown data set {name!r}; allowed: {', '.join(DATASET_NAMES)}")
    if name in REAL_DATASET_NAMES:
        return _real_dataset(name, n, d, seed, target, classes, standardize)
    for argument, value in (("target", target), ("classes", classes), ("standardize", standardize)):
        if value is not None:
            raise ValueError(f"{argument}: applies to the real data sets ({', '.join(REAL_DATASET_NAMES)}) only, "
                             f"not to the synthetic {name!r}; leave it None")
    from numerics.init import check_array_size

    n = 40 if n is None else _check_int(n, "n", 1)
    seed = _check_int(seed, "seed", 0)
    columns = 1 if name == "1d" else (3 if d is None else _check_int(d, "d", 1))
    check_array_size(n * (columns + 2), "n" if d is None or name == "1d" else "n, d")  # X, y, X @ beta
    rng = np.random.default_rng(seed)
    if name == "1d":
        if d not in (None, 1):
            raise ValueError(f"d: the '1d' data set has d = 1, got d = {d}")
        grid = np.linspace(-1.0, 1.0, n) if n > 1 else np.array([0.5])
        spacing = 2.0 / max(n - 1, 1)
        x = grid + rng.uniform(-0.25 * spacing, 0.25 * spacing, size=n)
        return x[:, None], np.sin(np.pi * x)
    d = 3 if d is None else _check_int(d, "d", 1)
    X = rng.standard_normal((n, d))
    projection = X @ (np.ones(d) / np.sqrt(d))
    y = np.sin(projection) if name == "default" else projection
    return X, y


@functools.lru_cache(maxsize=None)
def _load_real(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...] | None]:
    """``(inputs, raw targets, class names or None)`` of a bundled scikit-learn data set (read-only)."""
    import sklearn.datasets

    if name == "diabetes":
        bunch = sklearn.datasets.load_diabetes(scaled=False)
        names = None
    else:
        bunch = getattr(sklearn.datasets, f"load_{name}")()
        names = tuple(str(t) for t in bunch.target_names)
    inputs = np.array(bunch.data, dtype=float)
    targets = np.array(bunch.target, dtype=float if names is None else np.int64)
    inputs.setflags(write=False)
    targets.setflags(write=False)
    return inputs, targets, names


def _class_labels(classes, names: tuple[str, ...]) -> list[int]:
    """``classes`` (ints or class names) as distinct labels in ``range(len(names))``."""
    allowed = f"labels 0..{len(names) - 1} or names {', '.join(names)}"
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes: expected a list of class labels ({allowed}), got {classes!r}")
    labels = []
    for item in classes:
        if isinstance(item, str):
            if item not in names:
                raise ValueError(f"classes: unknown class name {item!r}; allowed: {allowed}")
            labels.append(names.index(item))
        elif isinstance(item, Integral) and not isinstance(item, bool):
            if not 0 <= item < len(names):
                raise ValueError(f"classes: label {item} out of range; allowed: {allowed}")
            labels.append(int(item))
        else:
            raise TypeError(f"classes: expected class labels ({allowed}), got {item!r}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"classes: labels must be distinct, got {list(classes)!r}")
    return labels


def _real_dataset(name, n, d, seed, target, classes, standardize) -> tuple[np.ndarray, np.ndarray]:
    """:func:`make_dataset` for the scikit-learn data sets (docstring there)."""
    seed = _check_int(seed, "seed", 0)
    inputs, raw, names = _load_real(name)
    if d is not None and d != inputs.shape[1]:
        raise ValueError(f"d: the {name!r} data set has d = {inputs.shape[1]}, got d = {d}")
    if standardize is None:
        standardize = True
    if not isinstance(standardize, bool):
        raise TypeError(f"standardize: expected True or False, got {standardize!r}")
    if target is None:
        target = "regression" if names is None else "binary"
    if target not in TARGET_KINDS:
        raise ValueError(f"target: unknown target {target!r}; allowed: {', '.join(TARGET_KINDS)}")
    if names is None and (target != "regression" or classes is not None):
        what = "classes" if classes is not None else "target"
        raise ValueError(f"{what}: {name!r} has a continuous target: only target='regression' and classes=None apply")
    labels = None if classes is None else _class_labels(classes, names)
    if target == "binary" and labels is not None and len(labels) != 2:
        raise ValueError(f"classes: target='binary' needs a pair (c_plus, c_minus), got {len(labels)} classes")
    if target == "onehot" and labels is not None and len(labels) < 2:
        raise ValueError(f"classes: target='onehot' needs at least 2 classes, got {len(labels)}")
    keep = np.arange(raw.size) if labels is None else np.flatnonzero(np.isin(raw, labels))
    if n is not None:
        n = _check_int(n, "n", 1)
        if n > keep.size:
            raise ValueError(f"n: the selection of {name!r} has {keep.size} samples, got n = {n} (allowed 1..{keep.size})")
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(keep, size=n, replace=False))
    X = inputs[keep].copy()
    t = raw[keep]
    if standardize:
        X -= X.mean(axis=0)
        scale = X.std(axis=0)
        X /= np.where(scale > 0, scale, 1.0)
    if target == "regression":
        t = t.astype(float)
        spread = float(t.std())
        if not spread > 0:
            raise ValueError(f"target: the {keep.size} selected targets of {name!r} are all equal: cannot standardize")
        y = (t - t.mean()) / spread
    elif target == "binary":
        y = np.where(t % 2 == 0, 1.0, -1.0) if labels is None else np.where(t == labels[0], 1.0, -1.0)
    else:
        columns = list(range(len(names))) if labels is None else labels
        y = (t[:, None] == np.asarray(columns)[None, :]).astype(float)
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def data_direction(X, y, *, rtol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    r"""Return :math:`(v', v)` with :math:`v' = \frac1n\sum_i y_i x_i` and :math:`v = v'/\|v'\|`
    (docs/mathematics.md#model).

    Raises ``ValueError`` when :math:`\|v'\| \le` ``rtol`` :math:`\cdot\,\mathrm{rms}(y)\,\mathrm{rms}(X)`:
    there is then no target direction and the leading-order effective model
    :math:`E = a^\top W^{L-1}\cdots W^1 v` is degenerate.
    """
    from numerics.training import check_data

    X, y = check_data(X, y)
    v_prime = X.T @ y / X.shape[0]
    norm = float(np.linalg.norm(v_prime))
    size = float(np.sqrt(np.mean(y**2)) * np.sqrt(np.mean(X**2)))
    if not norm > rtol * size or norm == 0.0:
        raise ValueError(
            f"X, y: v' = (1/n) sum_i y_i x_i is zero (|v'| = {norm:.3g}): no target direction: "
            "the effective model is degenerate (the leading-order dynamics does not move)"
        )
    return v_prime, v_prime / norm
