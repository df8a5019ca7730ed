"""Generated Python modules on disk, so that Numba's ``cache=True`` works across processes.

Code generated from SymPy expressions (:mod:`numerics.codegen`, :mod:`numerics.activations`,
:mod:`numerics.two_layer`) is written as a real module file named by the SHA-256 of its source
under ``$CONDENSE_CACHE_DIR/<kind>`` (default ``~/.cache/condense/<kind>``, falling back to the
system temporary directory when that is not writable), written atomically, imported once per
process and memoized.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from numerics._io import write_text_atomic

_MODULES: dict[str, ModuleType] = {}


def cache_dir(kind: str) -> Path:
    """Writable directory ``<cache root>/<kind>`` for generated modules of one ``kind``."""
    candidates = []
    if os.environ.get("CONDENSE_CACHE_DIR"):
        candidates.append(Path(os.environ["CONDENSE_CACHE_DIR"]))
    candidates.append(Path.home() / ".cache" / "condense")
    uid = os.getuid() if hasattr(os, "getuid") else 0
    candidates.append(Path(tempfile.gettempdir()) / f"condense-cache-{uid}")
    for base in candidates:
        directory = base / kind
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if os.access(directory, os.W_OK):
                return directory
        except OSError:
            continue
    raise OSError("no writable directory for generated Numba modules (set CONDENSE_CACHE_DIR)")


def load_generated_module(source: str, prefix: str, kind: str) -> ModuleType:
    """Import ``source`` as module ``<prefix>_<digest>`` from ``cache_dir(kind)``.

    The file is rewritten only when its content differs, so Numba's cache next to it stays valid.
    The module's ``__file__`` is the path of the generated file.
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    name = f"{prefix}_{digest}"
    if name in _MODULES:
        return _MODULES[name]
    path = cache_dir(kind) / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        write_text_atomic(path, source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _MODULES[name] = module
    return module
