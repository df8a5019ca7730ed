"""``kill -9`` of ``condense phase-diagram`` leaves no worker process running (issue 9 item 6).

Local sweep workers set the parent-death signal and watch their parent
(:func:`numerics.sweep._die_with_parent`); the test kills the command with SIGKILL (no handler
can run) while its workers compute and requires every one of them to be gone within 10 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead child that init has not reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_kill_9_of_phase_diagram_leaves_no_worker(tmp_path):
    env = dict(os.environ)
    # long runs (wide tanh networks) so that the workers are busy when the command is killed
    argv = [sys.executable, "-m", "condense", "phase-diagram", "--activations", "tanh",
            "--gammas", "0.25,0.5,0.75", "--gamma-primes", "0", "--widths", "4000,8000",
            "--workers", "2", "--no-progress", "--out", str(tmp_path / "out")]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            workers = [pid for pid in _children(proc.pid) if _running(pid)]
            if len(workers) >= 2:
                break
            time.sleep(0.2)
        assert proc.poll() is None, f"the command ended before its workers started: {proc.stderr.read()!r}"
        assert len(workers) >= 2, "no worker processes appeared"
        time.sleep(1.0)  # let them start computing
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        end = time.monotonic() + 10
        while time.monotonic() < end and any(_running(pid) for pid in workers):
            time.sleep(0.1)
        survivors = [pid for pid in workers if _running(pid)]
        assert not survivors, f"workers {survivors} survived the kill -9 of their parent by 10 s"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in set(workers) | set(_children(proc.pid)):  # never leave a process behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
