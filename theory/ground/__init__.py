"""The ground floor: small helpers every layer may import (theory ← numerics ← verify ← condense).

It lives in :mod:`theory`, the lowest layer, so that ``numerics``, ``verify`` and ``condense`` can
all use it without an upward import. It uses the standard library only (no SymPy, no NumPy), so
importing it costs nothing:

* :mod:`theory.ground.io` — atomic file writes with the umask's permissions, output-path checks
  done *before* any work;
* :mod:`theory.ground.progress` — progress output that redraws on a terminal and prints
  occasional whole lines in a log file;
* :mod:`theory.ground.checks` — argument checks whose errors name the argument and the allowed
  range.
"""
