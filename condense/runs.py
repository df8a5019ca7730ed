r"""Training runs made elsewhere (PyTorch, JAX/Flax, NumPy): weight snapshots to condense's convention.

A *run* is a folder (or a list) of snapshot files, one per recorded training step, each an
``.npz`` (NumPy) or ``.safetensors`` file (read with the ``safetensors`` package's NumPy API, so
no PyTorch or JAX is needed), plus optionally a ``run.json`` in the folder.

**Step numbers** come from the last run of digits in each file's name (``step_000100.safetensors``
→ 100, ``ckpt-7.npz`` → 7), from ``run.json``'s ``"steps"``, or, when no name has a number, from
the files' order (0, 1, 2, …).

**run.json** (all keys optional): ``"steps"`` (a list, one per file in name order, or an object
``{file name: step}``), ``"lr"`` (the learning rate η of plain gradient descent), ``"activation"``,
``"data"`` (a data set name, an object of :func:`numerics.make_dataset` arguments such as
``{"name": "digits", "target": "binary", "classes": [0, 1]}``, or an ``.npz`` path relative to the
folder), ``"loss"`` (the training loss at every iteration 0, 1, 2, …), ``"layers"`` (an explicit
layer order, see below). Any other key is an error.

**Tensor names** of a snapshot are mapped to condense's ``weights = [W1, ..., a]`` (input to
output, :math:`W^k` of shape :math:`(m_k, m_{k-1})`, the last layer ``a`` of shape
:math:`(m_{L-1},)` for one output or ``A`` of shape :math:`(k, m_{L-1})` for :math:`k` outputs):

* PyTorch ``state_dict`` (``nn.Sequential``: ``0.weight``, ``0.bias``, ``2.weight``, …; named
  modules: ``fc1.weight``, ``layers.0.weight``, …): ``weight`` is stored ``(out, in)`` = condense's
  orientation;
* Flax/JAX (``Dense_0/kernel``, ``Dense_0/bias``, also flattened with a ``params/`` prefix, and
  ``.`` instead of ``/``): ``kernel`` is stored ``(in, out)`` and is transposed;
* condense's own names in an ``.npz``: ``W1``, ``W2``, …, ``a`` (or ``A``), as they are.

Layers are ordered by the number in their name (natural order: ``fc2`` < ``fc10``); names that
do not share one pattern with distinct numbers (``encoder``, ``head``) need an explicit order,
``layers=["encoder", "head"]`` (module names without ``.weight``/``/kernel``). Zero-dimensional
entries named ``step`` or ``loss`` are read as the snapshot's step and loss.  Biases are kept in
:attr:`Run.biases` (the loss is recomputed with them; the layer measures use the weights).

Everything that does not fit raises ``ValueError`` naming the file and the tensor: an unreadable
or corrupt file, an unrecognised tensor name, names of two conventions in one file, two tensors for
one layer, a bias without a weight, layers that cannot be ordered, shapes that do not chain
(:math:`W^k` must have as many columns as :math:`W^{k-1}` has rows), a missing layer (a gap in
Flax's consecutive ``Dense_k`` numbering, or a layer absent from one snapshot), snapshots whose
shapes differ, NaN or infinite entries, and duplicate step numbers.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

__all__ = ["Run", "load_run", "snapshot_files", "read_snapshot", "snapshot_to_weights", "load_data", "SNAPSHOT_SUFFIXES", "RUN_JSON_KEYS"]

SNAPSHOT_SUFFIXES: tuple[str, ...] = (".npz", ".safetensors")
RUN_JSON_KEYS: tuple[str, ...] = ("steps", "lr", "activation", "data", "loss", "layers")
_METADATA = ("step", "loss")
_NATIVE = re.compile(r"^W(\d+)$")
_DIGITS = re.compile(r"\d+")


@dataclass
class Run:
    r"""A loaded training run.

    ``steps`` (int array, increasing), ``snapshots`` (one ``[W1, ..., a]`` list per step, float64),
    ``biases`` (one list per snapshot of the layers' biases, ``None`` for a layer without one),
    ``files`` (the snapshot files, in step order), ``layer_names`` (the module names, input to
    output), ``naming`` (``"pytorch"``, ``"flax"`` or ``"condense"``), and from ``run.json`` when
    given: ``lr``, ``activation``, ``data``, ``loss`` (per iteration from 0, or ``None``);
    ``snapshot_loss`` the per-snapshot losses stored in the files (``None`` when absent);
    ``steps_from`` (``"names"``, ``"run.json"``, ``"files"`` or ``"order"``).
    """

    steps: np.ndarray
    snapshots: list[list[np.ndarray]]
    biases: list[list[np.ndarray | None]]
    files: list[Path]
    layer_names: list[str]
    naming: str
    steps_from: str
    lr: float | None = None
    activation: str | None = None
    data: object | None = None
    loss: np.ndarray | None = None
    snapshot_loss: np.ndarray | None = None
    source: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def depth(self) -> int:
        """Number of weight layers ``L`` (``len(weights)``)."""
        return len(self.snapshots[0])

    @property
    def widths(self) -> tuple[int, ...]:
        """``(d, m_1, ..., m_{L-1}, k)``: input dimension, hidden widths, number of outputs."""
        first = self.snapshots[0]
        outputs = 1 if first[-1].ndim == 1 else first[-1].shape[0]
        return (first[0].shape[1], *[w.shape[0] for w in first[:-1]], outputs)

    @property
    def has_bias(self) -> bool:
        """Whether any snapshot has a non-zero bias."""
        return any(b is not None and np.any(b != 0) for snap in self.biases for b in snap)


# ---------------------------------------------------------------------------------------------
# reading files
# ---------------------------------------------------------------------------------------------


def read_snapshot(path: Path | str) -> dict[str, np.ndarray]:
    """The tensors of one ``.npz`` or ``.safetensors`` file, ``name -> array`` (``ValueError``
    naming the file when it is missing, not one of those formats, or unreadable)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SNAPSHOT_SUFFIXES:
        raise ValueError(f"{path}: not a snapshot file: expected a name ending in {' or '.join(SNAPSHOT_SUFFIXES)}")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                return {name: np.asarray(archive[name]) for name in archive.files}
        try:
            from safetensors.numpy import load_file
        except ImportError:
            raise ValueError(f"{path}: reading .safetensors files needs the safetensors package (pip install safetensors)") from None
        return dict(load_file(str(path)))
    except ValueError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: cannot read it as a {'NumPy .npz' if suffix == '.npz' else 'safetensors'} file "
                         f"(corrupt or unreadable): {_first_line(exc)}") from None
    except Exception as exc:  # any failure to parse is a corrupt or unreadable file
        kind = "NumPy .npz" if suffix == ".npz" else "safetensors"
        raise ValueError(f"{path}: cannot read it as a {kind} file (corrupt or unreadable): {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _natural_key(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _classify(name: str, where: str) -> tuple[str, str, str]:
    """``(convention, layer, kind)`` of one tensor name, ``kind`` in ``weight``/``bias``."""
    parts = re.split(r"[/.]", name)
    if parts and parts[0] == "params" and len(parts) > 1:
        parts = parts[1:]  # flattened Flax variables: params/Dense_0/kernel
    leaf, module = parts[-1], ".".join(parts[:-1])
    if len(parts) >= 2 and leaf in ("weight", "kernel", "bias"):
        if leaf == "weight":
            return "pytorch", module, "weight"
        if leaf == "kernel":
            return "flax", module, "weight"
        # a bias: its convention is decided by the weight of the same module (see below)
        return "", module, "bias"
    if len(parts) == 1 and (_NATIVE.match(name) or name in ("a", "A")):
        return "condense", name, "weight"
    raise ValueError(
        f"{where}: tensor {name!r} is not a layer weight: expected PyTorch names ('0.weight', 'fc1.bias'), "
        "Flax names ('Dense_0/kernel', 'params/Dense_0/bias') or condense's ('W1', ..., 'a'); "
        "scalars 'step' and 'loss' are read as metadata"
    )


def _order_layers(modules: list[str], convention: str, where: str, explicit: Sequence[str] | None) -> list[str]:
    """Modules input to output: ``explicit`` when given, else by the number in their names."""
    if explicit is not None:
        explicit = [str(m) for m in explicit]
        missing = [m for m in explicit if m not in modules]
        extra = [m for m in modules if m not in explicit]
        if missing:
            raise ValueError(f"{where}: missing layer(s) {missing} of the given layer order {explicit}; the file has {sorted(modules)}")
        if extra:
            raise ValueError(f"{where}: layer(s) {extra} are not in the given layer order {explicit}")
        if len(set(explicit)) != len(explicit):
            raise ValueError(f"layers: the layer order {explicit} names a layer twice")
        return explicit
    if convention == "condense":
        hidden = sorted((m for m in modules if m not in ("a", "A")), key=_natural_key)
        outputs = [m for m in modules if m in ("a", "A")]
        if len(outputs) != 1:
            raise ValueError(f"{where}: condense naming needs exactly one output layer 'a' (or 'A'), found {outputs or 'none'}")
        numbers = [int(_NATIVE.match(m).group(1)) for m in hidden]
        if numbers != list(range(1, len(hidden) + 1)):
            raise ValueError(f"{where}: missing layer: condense naming needs W1, W2, ... without gaps, found {hidden}")
        return hidden + outputs
    skeletons = {_DIGITS.sub("#", m) for m in modules}
    numbers = [tuple(int(x) for x in _DIGITS.findall(m)) for m in modules]
    if len(modules) > 1 and (len(skeletons) != 1 or not numbers[0] or len(set(numbers)) != len(numbers)):
        raise ValueError(
            f"{where}: cannot order the layers {sorted(modules)} by the numbers in their names (ambiguous); "
            "give the order explicitly (input to output), e.g. --layers " + ",".join(sorted(modules))
        )
    ordered = sorted(modules, key=_natural_key)
    if convention == "flax" and len(modules) > 1:
        last = [n[-1] for n in sorted(numbers)]
        if last != list(range(last[0], last[0] + len(last))):
            raise ValueError(f"{where}: missing layer: Flax numbers its Dense layers consecutively, found {ordered}")
    return ordered


def snapshot_to_weights(
    tensors: dict[str, np.ndarray], *, where: str = "snapshot", layers: Sequence[str] | None = None
) -> tuple[list[np.ndarray], list[np.ndarray | None], list[str], str, dict[str, float]]:
    """Map one snapshot's tensors to ``(weights [W1, ..., a], biases, layer names, naming, metadata)``
    (module docstring); ``where`` names the file in error messages."""
    metadata: dict[str, float] = {}
    entries: dict[str, dict[str, tuple[str, np.ndarray]]] = {}
    conventions: dict[str, str] = {}
    for name, tensor in tensors.items():
        if name in _METADATA and np.ndim(tensor) == 0:
            metadata[name] = float(tensor)
            continue
        convention, module, kind = _classify(name, where)
        slot = entries.setdefault(module, {})
        if kind in slot:
            raise ValueError(f"{where}: tensors {slot[kind][0]!r} and {name!r} are both the {kind} of layer {module!r} (ambiguous)")
        slot[kind] = (name, tensor)
        if convention:
            conventions[name] = convention
    if not entries:
        raise ValueError(f"{where}: no layer weights in the file (tensors: {sorted(tensors) or 'none'})")
    kinds = sorted(set(conventions.values()))
    if len(kinds) > 1:
        examples = {k: next(n for n, c in conventions.items() if c == k) for k in kinds}
        raise ValueError(f"{where}: tensor names mix conventions {examples} (ambiguous); save one model's state only")
    for module, slot in entries.items():
        if "weight" not in slot:
            raise ValueError(f"{where}: tensor {slot['bias'][0]!r}: missing layer: a bias without a weight for layer {module!r}")
    convention = kinds[0]
    order = _order_layers(list(entries), convention, where, layers)
    weights, biases = [], []
    for position, module in enumerate(order):
        name, tensor = entries[module]["weight"]
        matrix = _as_real(tensor, name, where)
        if matrix.ndim != 2 or 0 in matrix.shape:
            if convention == "condense" and module in ("a", "A") and matrix.ndim == 1 and matrix.size:
                matrix = matrix[None, :]
            else:
                raise ValueError(f"{where}: tensor {name!r} must be a non-empty matrix, got shape {matrix.shape}")
        if convention == "flax":
            matrix = matrix.T  # kernels are stored (in, out)
        if position > 0 and matrix.shape[1] != weights[-1].shape[0]:
            raise ValueError(
                f"{where}: tensor {name!r} of shape {tuple(tensor.shape)} does not chain: layer {module!r} needs "
                f"{weights[-1].shape[0]} inputs (the outputs of layer {order[position - 1]!r}), "
                f"got {matrix.shape[1]}"
            )
        weights.append(matrix)
        bias = entries[module].get("bias")
        if bias is not None:
            vector = _as_real(bias[1], bias[0], where).ravel()
            if vector.size != matrix.shape[0]:
                raise ValueError(f"{where}: tensor {bias[0]!r} has {vector.size} entries, layer {module!r} has {matrix.shape[0]} outputs")
            biases.append(vector)
        else:
            biases.append(None)
    if len(weights) < 2:
        raise ValueError(f"{where}: a network needs at least 2 weight layers (depth L >= 2), found {order}")
    if weights[-1].shape[0] == 1:
        weights[-1] = weights[-1][0].copy()  # one output: a of shape (m_{L-1},)
    return weights, biases, order, convention, metadata


def _as_real(tensor, name: str, where: str) -> np.ndarray:
    array = np.asarray(tensor)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{where}: tensor {name!r} has dtype {array.dtype}, expected real numbers")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{where}: tensor {name!r} contains {bad} NaN or infinite value(s)")
    return array


# ---------------------------------------------------------------------------------------------
# runs
# ---------------------------------------------------------------------------------------------


def _step_from_name(path: Path) -> int | None:
    numbers = _DIGITS.findall(path.name[: -len(path.suffix)] if path.suffix else path.name)
    return int(numbers[-1]) if numbers else None


def _read_run_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable JSON file: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must hold a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - set(RUN_JSON_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {unknown}; allowed: {', '.join(RUN_JSON_KEYS)}")
    if "lr" in data:
        lr = data["lr"]
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"{path}: 'lr' must be a finite number > 0, got {lr!r}")
    if "activation" in data and not isinstance(data["activation"], str):
        raise ValueError(f"{path}: 'activation' must be a string, got {data['activation']!r}")
    if "loss" in data:
        loss = data["loss"]
        if not isinstance(loss, list) or not loss or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in loss):
            raise ValueError(f"{path}: 'loss' must be a non-empty list of numbers (one per iteration from 0)")
    if "layers" in data and (not isinstance(data["layers"], list) or not all(isinstance(m, str) for m in data["layers"])):
        raise ValueError(f"{path}: 'layers' must be a list of layer names, input to output")
    return data


def snapshot_files(source) -> tuple[list[Path], Path | None, Path | None]:
    """``(files, folder, run.json or None)`` of a folder, a single file, or a list of files."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            files = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SNAPSHOT_SUFFIXES),
                           key=lambda p: _natural_key(p.name))
            if not files:
                raise ValueError(f"run: the folder {path} holds no snapshot files ({', '.join('*' + s for s in SNAPSHOT_SUFFIXES)})")
            meta = path / "run.json"
            return files, path, meta if meta.is_file() else None
        if not path.exists():
            raise ValueError(f"run: no such file or folder {path}")
        files = [path]
    elif isinstance(source, Sequence) and source and all(isinstance(p, (str, os.PathLike)) for p in source):
        files = [Path(p) for p in source]
    else:
        raise TypeError(f"run: expected a folder, a snapshot file or a list of snapshot files, got {source!r}")
    folder = files[0].parent
    meta = folder / "run.json"
    return files, folder, meta if meta.is_file() and all(f.parent == folder for f in files) else None


def load_run(source, *, layers: Sequence[str] | None = None, progress=None) -> Run:
    """Load a training run (module docstring) from a folder, one snapshot file or a list of them.

    ``layers`` is an explicit layer order (module names, input to output) overriding ``run.json``'s
    ``"layers"`` and the order by name. ``progress`` (a :class:`theory.ground.progress.Progress`)
    is advanced once per file read.
    """
    files, folder, meta_path = snapshot_files(source)
    meta = _read_run_json(meta_path) if meta_path is not None else {}
    if layers is None:
        layers = meta.get("layers")
    raw = []
    for path in files:
        tensors = read_snapshot(path)
        raw.append((path, *snapshot_to_weights(tensors, where=str(path), layers=layers)))
        if progress is not None:
            progress.advance()
    first_path, first, _, names, naming, _ = raw[0]
    for path, weights, _, order, _, _ in raw[1:]:
        if order != names:
            raise ValueError(f"{path}: missing layer(s): layers {order} differ from {names} in {first_path}")
        for module, w, w0 in zip(names, weights, first):
            if w.shape != w0.shape:
                raise ValueError(f"{path}: layer {module!r} has shape {w.shape}, but {w0.shape} in {first_path}")
    steps, steps_from = _steps(files, meta, meta_path, [r[5] for r in raw])
    order = np.argsort(steps, kind="stable")
    stored = [r[5].get("loss") for r in raw]
    run = Run(
        steps=np.asarray(steps, dtype=np.int64)[order],
        snapshots=[raw[k][1] for k in order],
        biases=[raw[k][2] for k in order],
        files=[files[k] for k in order],
        layer_names=list(names),
        naming=naming,
        steps_from=steps_from,
        lr=float(meta["lr"]) if "lr" in meta else None,
        activation=meta.get("activation"),
        data=_resolve_data(meta.get("data"), folder),
        loss=np.asarray(meta["loss"], dtype=float) if "loss" in meta else None,
        snapshot_loss=np.asarray([stored[k] for k in order], dtype=float) if all(s is not None for s in stored) else None,
        source=Path(source) if isinstance(source, (str, os.PathLike)) else folder,
    )
    if run.loss is not None and not np.all(np.isfinite(run.loss)):
        raise ValueError(f"{meta_path}: 'loss' contains NaN or infinite values")
    return run


def _steps(files: list[Path], meta: dict, meta_path: Path | None, metadata: list[dict]) -> tuple[list[int], str]:
    if "steps" in meta:
        given = meta["steps"]
        if isinstance(given, dict):
            missing = [f.name for f in files if f.name not in given]
            if missing:
                raise ValueError(f"{meta_path}: 'steps' has no step for {missing}")
            steps = [given[f.name] for f in files]
        elif isinstance(given, list):
            if len(given) != len(files):
                raise ValueError(f"{meta_path}: 'steps' lists {len(given)} steps for {len(files)} snapshot files")
            steps = list(given)
        else:
            raise ValueError(f"{meta_path}: 'steps' must be a list or an object {{file: step}}, got {given!r}")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in steps):
            raise ValueError(f"{meta_path}: 'steps' must be integers >= 0, got {steps!r}")
        source = "run.json"
    elif all("step" in m for m in metadata):
        steps, source = [int(m["step"]) for m in metadata], "files"
    else:
        from_names = [_step_from_name(f) for f in files]
        if all(s is None for s in from_names):
            steps, source = list(range(len(files))), "order"
        elif any(s is None for s in from_names):
            missing = [f.name for f, s in zip(files, from_names) if s is None]
            raise ValueError(f"{missing[0]}: no step number in the file name (others have one); rename it or give run.json 'steps'")
        else:
            steps, source = from_names, "names"
    seen: dict[int, Path] = {}
    for f, s in zip(files, steps):
        if s in seen:
            raise ValueError(f"{f}: step {s} is also the step of {seen[s]} (duplicate step numbers)")
        seen[s] = f
    return [int(s) for s in steps], source


def _resolve_data(data, folder: Path | None):
    """``run.json``'s ``"data"``: an ``.npz`` path is taken relative to the run's folder."""
    if isinstance(data, str) and data.lower().endswith(".npz") and folder is not None and not Path(data).is_absolute():
        return str(folder / data)
    return data


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------


def load_data(spec, *, argument: str = "--data") -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, y, description)`` from a built-in data set name (:data:`numerics.data.DATASET_NAMES`,
    with :func:`numerics.make_dataset`'s defaults), a dict of ``make_dataset`` arguments
    (``{"name": ..., "target": ..., "classes": [...], "n": ..., "seed": ...}``) or an ``.npz`` file
    with arrays ``X`` of shape ``(n, d)`` and ``y`` of shape ``(n,)`` or ``(n, k)``."""
    from numerics.data import DATASET_NAMES, make_dataset

    if isinstance(spec, dict):
        options = dict(spec)
        name = options.pop("name", None)
        if name not in DATASET_NAMES:
            raise ValueError(f"{argument}: 'name' must be one of {', '.join(DATASET_NAMES)}, got {name!r}")
        allowed = {"n", "d", "seed", "target", "classes", "standardize"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise ValueError(f"{argument}: unknown data option(s) {unknown}; allowed: {', '.join(sorted(allowed))}")
        X, y = make_dataset(name, **options)
        return X, y, name + "".join(f", {k}={v}" for k, v in sorted(options.items()))
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"{argument}: expected a data set name or an .npz file, got {spec!r}")
    text = str(spec)
    if text in DATASET_NAMES:
        X, y = make_dataset(text)
        return X, y, text
    path = Path(text)
    if path.suffix.lower() != ".npz":
        raise ValueError(f"{argument}: {text!r} is neither a data set ({', '.join(DATASET_NAMES)}) nor an .npz file")
    if not path.is_file():
        raise ValueError(f"{argument}: no such file {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: np.asarray(archive[name]) for name in archive.files}
    except Exception as exc:
        raise ValueError(f"{argument}: {path}: cannot read it as a NumPy .npz file: {exc}") from None
    missing = [k for k in ("X", "y") if k not in arrays]
    if missing:
        raise ValueError(f"{argument}: {path}: missing array(s) {missing}; need X (n, d) and y (n,) or (n, k)")
    X = _as_real(arrays["X"], "X", f"{argument}: {path}")
    y = _as_real(arrays["y"], "y", f"{argument}: {path}")
    if X.ndim != 2 or 0 in X.shape:
        raise ValueError(f"{argument}: {path}: X must have shape (n, d), got {X.shape}")
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"{argument}: {path}: y must have shape ({X.shape[0]},) or ({X.shape[0]}, k), got {y.shape}")
    return X, y, str(path)
