"""Atomic file writes: re-exported from the ground floor, :mod:`theory.ground.io` (the one
implementation; files get the umask's permissions)."""

from theory.ground.io import DEFAULT_FILE_MODE, write_bytes_atomic, write_text_atomic  # noqa: F401

__all__ = ["DEFAULT_FILE_MODE", "write_bytes_atomic", "write_text_atomic"]
