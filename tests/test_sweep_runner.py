"""Sweep runner: resume, no recompute, corruption detection, local processes, Dask LocalCluster."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from numerics.sweep import ResultStore, SchedulerUnreachableError, SweepError, run_key, run_sweep

CALLS_DIR_ENV = "CONDENSE_TEST_SWEEP_CALLS"


def square_task(x: float, tag: str = "") -> dict:
    """Records each call as a file (so counts survive worker processes) and returns x²."""
    calls = Path(os.environ[CALLS_DIR_ENV])
    fail_flag = calls / f"fail-{x}"
    (calls / f"call-{x}-{len(list(calls.glob(f'call-{x}-*')))}").touch()
    if fail_flag.exists():
        raise RuntimeError(f"asked to fail at x={x}")
    return {"x": x, "square": x * x}


@pytest.fixture()
def calls(tmp_path, monkeypatch):
    directory = tmp_path / "calls"
    directory.mkdir()
    monkeypatch.setenv(CALLS_DIR_ENV, str(directory))
    return directory


def n_calls(calls: Path) -> int:
    return len(list(calls.glob("call-*")))


PARAMS = [{"x": float(v)} for v in (1, 2, 3, 4)]


def test_rerun_recomputes_nothing(tmp_path, calls):
    first = run_sweep(square_task, PARAMS, store=tmp_path / "store", workers=1, progress=False)
    assert [r["square"] for r in first.results] == [1.0, 4.0, 9.0, 16.0]
    assert n_calls(calls) == 4 and first.computed == 4
    second = run_sweep(square_task, PARAMS, store=tmp_path / "store", workers=1, progress=False)
    assert n_calls(calls) == 4, "a rerun must not call the task again"
    assert second.cached == 4 and second.computed == 0
    assert second.results == first.results


def test_failure_keeps_completed_runs_and_resume_finishes(tmp_path, calls):
    (calls / "fail-3.0").touch()
    with pytest.raises(SweepError, match="1 of 4 runs failed"):
        run_sweep(square_task, PARAMS, store=tmp_path / "store", workers=1, progress=False)
    assert len(ResultStore(tmp_path / "store")) == 3
    (calls / "fail-3.0").unlink()
    before = n_calls(calls)
    report = run_sweep(square_task, PARAMS, store=tmp_path / "store", workers=1, progress=False)
    assert report.computed == 1 and n_calls(calls) == before + 1
    assert [r["square"] for r in report.results] == [1.0, 4.0, 9.0, 16.0]


@pytest.mark.parametrize("damage", ["truncate", "tamper", "garbage"])
def test_corrupted_result_is_detected_and_recomputed(tmp_path, calls, damage):
    store = ResultStore(tmp_path / "store")
    run_sweep(square_task, PARAMS, store=store, workers=1, progress=False)
    path = store.path(run_key(square_task, PARAMS[1]))
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "tamper":  # still valid JSON, wrong content: only the checksum can tell
        record = json.loads(text)
        record["result"]["square"] = 5.0
        path.write_text(json.dumps(record))
    else:
        path.write_bytes(b"\x00\xff not json")
    report = run_sweep(square_task, PARAMS, store=tmp_path / "store", workers=1, progress=False)
    assert report.recomputed_corrupt == 1 and report.computed == 1
    assert report.results[1]["square"] == 4.0
    assert path.with_suffix(".json.corrupt").exists()


def test_process_pool_matches_inline(tmp_path, calls):
    inline = run_sweep(square_task, PARAMS, store=tmp_path / "a", workers=1, progress=False)
    pooled = run_sweep(square_task, PARAMS, store=tmp_path / "b", workers=2, progress=False)
    assert pooled.backend == "processes:2"
    assert pooled.results == inline.results


def test_dask_local_cluster(tmp_path, calls):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        report = run_sweep(square_task, PARAMS, store=tmp_path / "store", scheduler=cluster.scheduler_address,
                           progress=False)
    assert report.backend.startswith("dask:")
    assert [r["square"] for r in report.results] == [1.0, 4.0, 9.0, 16.0]
    assert len(ResultStore(tmp_path / "store")) == 4


def test_unreachable_scheduler_is_a_clear_error_and_keeps_results(tmp_path, calls):
    pytest.importorskip("dask.distributed")
    run_sweep(square_task, PARAMS[:2], store=tmp_path / "store", workers=1, progress=False)
    with pytest.raises(SchedulerUnreachableError, match="scheduler: cannot reach"):
        run_sweep(square_task, PARAMS, store=tmp_path / "store", scheduler="tcp://127.0.0.1:9",
                  connect_timeout=1.0, progress=False)
    assert len(ResultStore(tmp_path / "store")) == 2


def test_key_ignores_dict_order_but_not_values():
    assert run_key(square_task, {"x": 1.0, "tag": "a"}) == run_key(square_task, {"tag": "a", "x": 1.0})
    assert run_key(square_task, {"x": 1.0}) != run_key(square_task, {"x": 1.5})


def test_bad_input(tmp_path):
    with pytest.raises(TypeError, match="func"):
        run_sweep(lambda x: {"x": x}, PARAMS, store=tmp_path, progress=False)
    with pytest.raises(ValueError, match="workers"):
        run_sweep(square_task, PARAMS, store=tmp_path, workers=0, progress=False)
    with pytest.raises(TypeError, match="params"):
        run_sweep(square_task, [1, 2], store=tmp_path, progress=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="store"):
        ResultStore(tmp_path / "file")


def slow_square_task(x: float, delay: float) -> dict:
    import time

    time.sleep(delay)
    return {"square": x * x}


def test_killed_sweep_loses_nothing_and_resumes(tmp_path):
    """SIGKILL a sweep process mid-way: every stored file is valid, the resumed sweep runs only the rest."""
    import signal
    import subprocess
    import sys
    import time

    store = tmp_path / "store"
    params = [{"x": float(i), "delay": 0.1} for i in range(20)]
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
        "from test_sweep_runner import slow_square_task;"
        "from numerics.sweep import run_sweep;"
        f"run_sweep(slow_square_task, {params!r}, store={str(store)!r}, workers=1, progress=False)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(store.glob("*.json"))) < 5:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    survivors = ResultStore(store)
    keys = [run_key(slow_square_task, p) for p in params]
    stored = [k for k in keys if survivors.path(k).exists()]
    assert 5 <= len(stored) < 20
    assert all(survivors.load(k) is not None for k in stored) and not survivors.corrupted
    resumed = run_sweep(slow_square_task, params, store=store, workers=1, progress=False)
    assert resumed.cached == len(stored) and resumed.computed == 20 - len(stored)
    assert [r["square"] for r in resumed.results] == [float(i * i) for i in range(20)]


def unstorable_task(x: float) -> dict:
    """Returns a set (not JSON-like) at x = 2, a plain dict otherwise."""
    return {"bad": {1, 2}} if x == 2.0 else {"x": x}


@pytest.mark.parametrize("workers", [1, 2])
def test_unstorable_result_fails_that_run_only(tmp_path, workers):
    # a result that cannot be stored must not abort the sweep (the other runs are stored)
    with pytest.raises(SweepError, match=r"1 of 4 runs failed.*not JSON-like"):
        run_sweep(unstorable_task, PARAMS, store=tmp_path / "store", workers=workers, progress=False)
    store = ResultStore(tmp_path / "store")
    assert len(store) == 3
    assert store.load(run_key(unstorable_task, PARAMS[0])) == {"x": 1.0}
    assert store.load(run_key(unstorable_task, PARAMS[3])) == {"x": 4.0}


def test_reused_store_counts_only_this_sweeps_corruptions(tmp_path, calls):
    store = ResultStore(tmp_path / "store")
    run_sweep(square_task, PARAMS, store=store, workers=1, progress=False)
    store.path(run_key(square_task, PARAMS[0])).write_text("{")
    first = run_sweep(square_task, PARAMS, store=store, workers=1, progress=False)
    assert first.recomputed_corrupt == 1
    second = run_sweep(square_task, PARAMS, store=store, workers=1, progress=False)
    assert second.recomputed_corrupt == 0 and second.computed == 0
