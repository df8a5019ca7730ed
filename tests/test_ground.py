"""The ground floor: atomic writes keep the umask's mode, output checks refuse unwritable paths
before any work, progress writes whole lines to a log, argument checks name the argument."""

import io
import os
import stat
import subprocess
import sys

import pytest

from theory.ground import checks, io as gio
from theory.ground.progress import Progress


def test_atomic_write_uses_the_umask_mode(tmp_path):
    # a fresh process, so the module reads the umask set before its import
    script = (
        "import os, sys; os.umask(0o022); from theory.ground.io import write_text_atomic; "
        "write_text_atomic(sys.argv[1], 'x')"
    )
    target = tmp_path / "a.txt"
    subprocess.run([sys.executable, "-c", script, str(target)], check=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary left behind


def test_output_checks(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(ValueError, match="--out: .* is an existing file"):
        gio.check_output_dir(a_file)
    with pytest.raises(ValueError, match="which is a file"):
        gio.check_output_dir(a_file / "sub")
    with pytest.raises(ValueError, match="is an existing folder"):
        gio.check_output_file(tmp_path)
    assert gio.check_output_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # nothing created
    if os.geteuid() != 0:  # root can write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(ValueError, match="not writable"):
            gio.check_output_dir(ro / "x")
    # /proc refuses new files even to root: the check tries a real file, not only os.access
    with pytest.raises(ValueError, match="not writable"):
        gio.check_output_dir("/proc/condense-test-out")


def test_progress_in_a_log_prints_whole_lines():
    stream = io.StringIO()
    with Progress(1000, "sweep", stream=stream) as progress:
        for k in range(1000):
            progress.advance()
        progress.message("warning: something")
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[-2].startswith("sweep: 1000/1000") or lines[-1].startswith("sweep: 1000/1000")
    assert len(lines) <= 4


def test_checks_name_the_argument():
    assert checks.check_int(3, "n", 1) == 3
    with pytest.raises(ValueError, match=r"n: must be an integer in \[1, 5\], got 7"):
        checks.check_int(7, "n", 1, 5)
    with pytest.raises(TypeError, match="n: expected an integer"):
        checks.check_int(True, "n")
    with pytest.raises(ValueError, match=r"lr: must be in \(0.0, inf\]"):
        checks.check_real(0.0, "lr", 0.0, low_open=True)
    with pytest.raises(ValueError, match="finite"):
        checks.check_real(float("nan"), "lr")
    with pytest.raises(ValueError, match="method: must be one of"):
        checks.check_choice("x", "method", ("RK45", "DOP853"))
    with pytest.raises(ValueError, match="seed"):
        checks.check_seed(-1)
