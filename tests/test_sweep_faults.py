"""Sweeps under faults (issue 9 items 7 and 11): a Dask scheduler without workers, a closed port,
corrupt stored results announced on a line of their own."""

from __future__ import annotations

import io
import json
import socket
import sys
import time

import pytest

from numerics.sweep import NoWorkersError, SchedulerUnreachableError, run_sweep


def double_task(x: float) -> dict:
    return {"x": x, "double": 2 * x}


PARAMS = [{"x": float(v)} for v in (1, 2, 3)]


def _closed_port() -> int:
    with socket.socket() as sock:  # bound then closed: nothing listens there any more
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_scheduler_without_workers_says_so_and_times_out(tmp_path, capfd):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        start = time.monotonic()
        with pytest.raises(NoWorkersError, match="no Dask worker attached .* for 2 s"):
            run_sweep(double_task, PARAMS, store=tmp_path / "store", scheduler=cluster.scheduler_address,
                      worker_timeout=2.0, progress=True)
        elapsed = time.monotonic() - start
    # it waited the documented time, not forever (and not much longer than asked)
    assert 2.0 <= elapsed < 30.0
    err = capfd.readouterr().err
    assert "waiting up to 2 s for a Dask worker" in err
    assert not list((tmp_path / "store").glob("*.json"))


def test_command_line_scheduler_without_workers_exits_2(tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    from condense.cli import main

    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        code = main(["phase-diagram", "--quick", "--activations", "relu", "--scheduler", cluster.scheduler_address,
                     "--worker-timeout", "1", "--no-progress", "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "waiting up to 1 s" in err and "condense: error: scheduler: no Dask worker" in err
    assert not (tmp_path / "out" / "phase_diagram.json").exists()


def test_closed_port_fails_fast(tmp_path):
    pytest.importorskip("dask.distributed")
    port = _closed_port()
    start = time.monotonic()
    with pytest.raises(SchedulerUnreachableError, match="connection refused"):
        run_sweep(double_task, PARAMS, store=tmp_path / "store", scheduler=f"tcp://127.0.0.1:{port}",
                  connect_timeout=20.0, progress=False)
    assert time.monotonic() - start < 10.0  # refused at once, not after the 20 s timeout


class _Terminal(io.StringIO):
    """A stream that says it is a terminal (the progress bar redraws its line with \\r)."""

    def isatty(self) -> bool:
        return True


def interrupted_task(x: float) -> dict:
    if x == 2.0:
        raise KeyboardInterrupt  # the sweep stops with its bar at 1/3
    return {"x": x}


def test_error_after_a_half_drawn_bar_starts_a_new_line(tmp_path, monkeypatch):
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(interrupted_task, PARAMS, store=tmp_path / "store", progress=True, workers=1)
    assert "1/3" in stream.getvalue()
    print("condense: error: ...", file=sys.stderr)  # what the command line prints next
    assert stream.getvalue().endswith("\ncondense: error: ...\n")


def test_bad_worker_timeout_is_refused(tmp_path):
    for value in (0, -1.0, float("nan"), True):
        with pytest.raises(ValueError, match="worker_timeout"):
            run_sweep(double_task, PARAMS, store=tmp_path / "s", worker_timeout=value)


def test_recomputed_corrupt_results_are_announced_on_their_own_line(tmp_path):
    store = tmp_path / "store"
    first = run_sweep(double_task, PARAMS, store=store, progress=False, workers=1)
    victim = store / f"{first.keys[1]}.json"
    victim.write_text(victim.read_text()[:40])  # truncated, as by a crash in an older version
    stream = _Terminal()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stderr", stream)
        again = run_sweep(double_task, PARAMS, store=store, progress=True, workers=1)
    assert again.recomputed_corrupt == 1 and again.computed == 1
    lines = stream.getvalue().split("\n")
    notice = [line for line in lines if "corrupt" in line]
    assert len(notice) == 1 and "recomputing" in notice[0] and "\r" not in notice[0]
    assert json.loads(victim.read_text())["result"] == {"x": 2.0, "double": 4.0}


def sleepy_task(x: float) -> dict:
    time.sleep(0.3)
    return {"x": x}


def test_workers_leaving_mid_sweep_time_out_and_keep_finished_runs(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    import threading

    params = [{"x": float(v)} for v in range(40)]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        def leave():
            time.sleep(2.0)
            cluster.scale(0)

        threading.Thread(target=leave, daemon=True).start()
        start = time.monotonic()
        with pytest.raises(NoWorkersError, match="no Dask worker attached"):
            run_sweep(sleepy_task, params, store=tmp_path / "store", scheduler=cluster.scheduler_address,
                      worker_timeout=2.0, progress=False)
        assert time.monotonic() - start < 30.0
    stored = len(list((tmp_path / "store").glob("*.json")))
    assert 0 < stored < len(params)  # the runs finished before the workers left are kept
