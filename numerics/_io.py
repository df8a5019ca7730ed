"""Atomic file writes: a reader never sees a partial file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)
#: Permissions of a file created normally (``open``) under this process's umask; ``mkstemp``
#: creates its files 0600, so atomic writers set this before the rename.
DEFAULT_FILE_MODE = 0o666 & ~_UMASK


def write_text_atomic(path: Path | str, text: str, *, fsync: bool = False) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same directory and
    ``os.replace``; with ``fsync`` the data reach the disk before the rename (crash-safe)."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, DEFAULT_FILE_MODE)
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
            if fsync:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path
