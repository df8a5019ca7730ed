"""Atomic file writes and output-path checks.

A reader never sees a partial file: text is written to a temporary file in the target's folder
and moved into place with ``os.replace``. Files get the permissions a plain ``open`` would give
under the process's umask (:data:`DEFAULT_FILE_MODE`), not ``mkstemp``'s 0600.

:func:`check_output_dir` and :func:`check_output_file` are called *before* any computation, so
that a bad ``--out`` costs nothing: they raise ``ValueError`` naming the argument when the path
cannot be written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = [
    "DEFAULT_FILE_MODE",
    "write_text_atomic",
    "write_bytes_atomic",
    "check_output_dir",
    "check_output_file",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Permissions of a file created normally (``open``) under this process's umask.
DEFAULT_FILE_MODE = 0o666 & ~_umask()


def write_bytes_atomic(path: Path | str, data: bytes, *, fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``;
    with ``fsync`` the data reach the disk before the rename (crash-safe)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, DEFAULT_FILE_MODE)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if fsync:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def write_text_atomic(path: Path | str, text: str, *, fsync: bool = False, encoding: str = "utf-8") -> Path:
    """Write ``text`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode(encoding), fsync=fsync)


def _first_existing_ancestor(path: Path) -> Path:
    current = path
    while not current.exists():
        if current.parent == current:
            break
        current = current.parent
    return current


def check_output_dir(path: Path | str, argument: str = "--out") -> Path:
    """Check that ``path`` is, or can be created as, a writable folder; returns it as a ``Path``.

    Raises ``ValueError`` (naming ``argument``) when ``path`` is an existing file, lies under a
    file, or when the folder (or its nearest existing ancestor) is not writable. Creates nothing.
    """
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise ValueError(f"{argument}: expected a folder path, got {path!r}")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{argument}: {path} is an existing file, expected a folder")
    ancestor = _first_existing_ancestor(path)
    if not ancestor.is_dir():
        raise ValueError(f"{argument}: {path} lies under {ancestor}, which is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK) or not _can_create_in(ancestor):
        raise ValueError(f"{argument}: {ancestor} is not writable, so {path} cannot be written")
    return path


def _can_create_in(folder: Path) -> bool:
    """Whether a file can really be created in ``folder`` (``os.access`` says yes to root even on
    read-only file systems and ``/proc``); the probe file is removed at once."""
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".condense-write-probe-")
    except OSError:
        return False
    os.close(handle)
    os.unlink(probe)
    return True


def check_output_file(path: Path | str, argument: str = "--out") -> Path:
    """Check that ``path`` can be written as a file; returns it as a ``Path``.

    Raises ``ValueError`` (naming ``argument``) when ``path`` is an existing folder, lies under a
    file, or its folder is not writable (or the existing file is read-only). Creates nothing.
    """
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise ValueError(f"{argument}: expected a file path, got {path!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{argument}: {path} is an existing folder, expected a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{argument}: {path} exists and is not writable")
    check_output_dir(path.parent if str(path.parent) else Path("."), argument)
    return path
