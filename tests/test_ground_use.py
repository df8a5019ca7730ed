"""Every layer uses the ground floor: published files get the umask's mode, progress is log-friendly."""

import io
import os
import stat
import subprocess
import sys

import pytest


def test_condense_derive_files_follow_the_umask(tmp_path):
    """``condense derive`` used to publish its files 0600 (mkstemp's mode); under umask 022 they
    must read -rw-r--r--, like a file made by open()."""
    out = tmp_path / "derivation.md"
    code = (f"import os, sys; os.umask(0o022); from condense.cli import main; "
            f"sys.exit(main(['derive', '--depth', '3', '--widths', '1', '1', '--out', {str(out)!r}]))")
    env = dict(os.environ)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, timeout=300)
    for path in (out, out.with_suffix(".tex")):
        assert stat.filemode(os.stat(path).st_mode) == "-rw-r--r--", path
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporary file left behind


def test_saved_figures_follow_the_umask(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from condense.figures._base import save_figure

    plain = tmp_path / "plain"
    plain.write_text("x")
    paths = save_figure(Figure(), tmp_path, "empty")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    for path in paths:
        assert os.stat(path).st_mode & 0o777 == os.stat(plain).st_mode & 0o777
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_numerics_io_is_the_ground_floor_writer():
    import numerics._io
    import theory.ground.io

    assert numerics._io.write_text_atomic is theory.ground.io.write_text_atomic
    assert numerics._io.DEFAULT_FILE_MODE == theory.ground.io.DEFAULT_FILE_MODE


class _Log(io.StringIO):
    def isatty(self):
        return False


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream_type", [_Log, _Terminal])
def test_verify_progress_prints_whole_lines_on_any_stream(stream_type):
    from verify.progress import Progress, as_progress

    stream = stream_type()
    say = Progress(True, stream=stream)
    for k in range(50):
        say(f"state {k}")
    text = stream.getvalue()
    assert "\r" not in text and text.count("\n") == 50
    assert text.splitlines()[0].startswith("[verify +") and text.splitlines()[-1].endswith("state 49")
    quiet = _Log()
    Progress(False, stream=quiet)("nothing")
    assert quiet.getvalue() == ""
    assert as_progress(say) is say and not as_progress(False).enabled


def test_ground_floor_and_layout_import_without_sympy():
    """theory.ground and the state layout are importable by every layer at no cost: no SymPy."""
    code = ("import sys, theory.ground.io, theory.ground.display, theory.layout, numerics.state, numerics.history; "
            "assert 'sympy' not in sys.modules, 'sympy imported'; import theory; theory.reduced_model((2, 2)); "
            "assert 'sympy' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
