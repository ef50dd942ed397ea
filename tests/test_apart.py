"""A check made in a process of its own (gen_cli/apart.py): what comes back, and what does not.

Processes are real: forked, killed, signalled. Nothing is left running and nothing waits
for ever.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import child_env

from gen_cli.apart import STOPPED, CrashedApart, _told, apart, can_run_apart
from gen_cli.batch import Batch
from gen_cli.errors import GenError, InvalidCall
from gen_cli.memo import checked_report
from gen_cli.resultcache import CACHE_FILE, ResultCache
from gen_cli.rules import Report

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"

forks = pytest.mark.skipif(not can_run_apart(), reason="runs in this process without fork")


def gone(pid: int) -> bool:
    """Whether the process ``pid`` no longer runs (gone, or a zombie not reaped yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@forks
def test_a_task_apart_gives_back_its_result_and_tells_its_progress() -> None:
    told: dict[tuple[str, int], int] = {}

    def progress(kind: str, done: int, total: int) -> None:
        told[kind, total] = told.get((kind, total), 0) + done

    def task(tell: object) -> tuple[int, list[str]]:
        assert callable(tell)
        for _ in range(1000):
            tell("dossier", 1, 1000)
        tell("review", 0, 3)
        return os.getpid(), ["made", "apart"] * 100_000  # larger than a pipe holds

    pid, made = apart(task, progress)
    assert pid != os.getpid()
    assert made == ["made", "apart"] * 100_000
    assert told == {("dossier", 1000): 1000, ("review", 3): 0}
    assert gone(pid)


@forks
def test_an_error_raised_apart_is_raised_here() -> None:
    def task(tell: object) -> None:
        raise GenError("2022Q1/lovelace.yaml changed while gen read the call folder", 2)

    with pytest.raises(GenError) as raised:
        apart(task)
    assert raised.value.message == "2022Q1/lovelace.yaml changed while gen read the call folder"
    assert raised.value.exit_code == 2


@forks
def test_an_error_of_a_kind_that_cannot_cross_keeps_its_words_and_status() -> None:
    def task(tell: object) -> None:
        raise InvalidCall(Report([], {}), "call.yaml has errors: fix them first")

    with pytest.raises(GenError) as raised:
        apart(task)
    assert type(raised.value) is GenError
    assert (raised.value.message, raised.value.exit_code) == (
        "call.yaml has errors: fix them first",
        1,
    )


@forks
def test_a_bug_apart_is_raised_here_with_the_traceback_it_had_there() -> None:
    def read_the_folder(tell: object) -> None:
        {}["2022Q1"]  # the bug

    with pytest.raises(CrashedApart) as raised:
        apart(read_the_folder)
    said = str(raised.value)
    assert said.startswith("in the process that checked the call folder:\nTraceback")
    assert "in read_the_folder" in said and said.rstrip().endswith("KeyError: '2022Q1'")


@forks
def test_a_process_that_stops_without_its_result_is_an_error() -> None:
    def task(tell: object) -> None:
        os._exit(3)

    with pytest.raises(GenError, match="stopped before the end, most likely for want of memory"):
        apart(task)


@forks
def test_a_reading_process_stopped_from_outside_is_said_as_such() -> None:
    """As gen says it when a process it started to read files is killed: not a bug."""

    def task(tell: object) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            pool.submit(os._exit, 9).result()

    with pytest.raises(GenError) as raised:
        apart(task)
    assert raised.value.message == STOPPED and raised.value.exit_code == 2


@forks
def test_a_process_killed_while_those_it_started_hold_the_pipe_neither_hangs_nor_leaves_them(
    tmp_path: Path,
) -> None:
    """As when the system kills the check for want of memory while its readers run."""
    started = tmp_path / "started"

    def task(tell: object) -> None:
        reader = os.fork()  # as the processes that read files: it holds the pipe too
        if reader == 0:
            time.sleep(60)
            os._exit(0)
        started.write_text(str(reader))
        os.kill(os.getpid(), signal.SIGKILL)

    began = time.monotonic()
    with pytest.raises(GenError, match="stopped before the end"):
        apart(task)
    assert time.monotonic() - began < 10
    assert wait_gone(int(started.read_text()))


@forks
@pytest.mark.parametrize("failing", ["fork", "pidfd_open"])
def test_without_a_process_to_wait_on_the_task_runs_here(
    monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A limit of processes reached, or a kernel without pidfd: checked here, as without fork."""

    def refused(*args: object) -> int:
        raise OSError(11, "Resource temporarily unavailable")

    started: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(os, failing, refused)
    if failing != "fork":
        monkeypatch.setattr(os, "fork", fork)
    told: list[tuple[str, int, int]] = []

    def task(tell: object) -> int:
        assert callable(tell)
        tell("dossier", 1, 1)
        return os.getpid()

    assert apart(task, lambda *said: told.append(said)) == os.getpid()
    assert told == [("dossier", 1, 1)]
    assert len(started) == (1 if failing == "pidfd_open" else 0)
    assert all(gone(pid) for pid in started)  # the process forked before: stopped, reaped


def test_a_message_cut_short_is_no_outcome() -> None:
    """The outcome is acted on only once all its bytes came: cut short, gen says so."""
    import pickle

    blob = pickle.dumps(("result", ["whole"]))
    framed = bytearray(len(blob).to_bytes(8, "big") + blob)
    assert _told(bytearray(framed[:-1]), None) is None
    assert _told(framed, None) == ("result", ["whole"]) and not framed


def paused_score(tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """gen score on a copy of the example, stopped inside its check made apart."""
    call = Path(
        shutil.copytree(EXAMPLE, tmp_path / "call", ignore=shutil.ignore_patterns("public"))
    )
    ready = tmp_path / "paused"
    gen = subprocess.Popen(
        [sys.executable, "-m", "gen_cli", "score", "--all", "--dry-run", "--call", str(call)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(
            GEN_CACHE_DIR=str(tmp_path / "cache"),
            GEN_PAUSE_AT="check apart",
            GEN_PAUSE_FILE=str(ready),
        ),
    )
    deadline = time.monotonic() + 60
    while not ready.exists() or not ready.read_text():
        assert gen.poll() is None, gen.communicate()
        assert time.monotonic() < deadline, "gen never reached its check"
        time.sleep(0.05)
    checker = int(ready.read_text())
    assert checker != gen.pid
    return gen, checker


@forks
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_gen_told_to_stop_stops_its_check_too(tmp_path: Path, stop: signal.Signals) -> None:
    gen, checker = paused_score(tmp_path)
    gen.send_signal(stop)  # to gen alone, as kill does, not to its process group
    _, err = gen.communicate(timeout=20)
    assert wait_gone(checker)
    if stop == signal.SIGTERM:
        assert gen.returncode == -signal.SIGTERM
    else:  # as Ctrl-C anywhere else in gen
        assert gen.returncode == 130 or "Aborted" in err, (gen.returncode, err)


@forks
def test_gen_killed_stops_its_check_too(tmp_path: Path) -> None:
    """SIGKILL cannot be handled: the check's process ends when gen does, by itself."""
    gen, checker = paused_score(tmp_path)
    gen.kill()
    gen.communicate(timeout=20)
    assert wait_gone(checker)  # else it would wait out its pause and check on for nothing


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@forks
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_gen_stopped_leaves_no_process_reading_for_it(tmp_path: Path, stop: signal.Signals) -> None:
    """gen validate reads a large call on two processes; stopped, it takes them with it."""
    from test_large_round import generate

    call = generate(tmp_path / "call")  # 5,000 dossiers: read on two processes
    ready = tmp_path / "paused"
    gen = subprocess.Popen(
        ["gen", "validate", "--no-cache", "--jobs", "2", "--call", str(call)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=child_env(GEN_PAUSE_AT="reading", GEN_PAUSE_FILE=str(ready)),
    )
    deadline = time.monotonic() + 60
    while not ready.exists() or not ready.read_text():
        assert gen.poll() is None, "gen ended before it read the files"
        assert time.monotonic() < deadline, "gen never read on another process"
        time.sleep(0.05)
    readers = children(gen.pid)
    assert int(ready.read_text()) in readers
    gen.send_signal(stop)  # to gen alone, as kill does
    gen.wait(timeout=20)
    assert gen.returncode == -stop
    assert [pid for pid in readers if not wait_gone(pid)] == []


@forks
def test_a_check_killed_stops_gen_with_a_message(tmp_path: Path) -> None:
    gen, checker = paused_score(tmp_path)
    os.kill(checker, signal.SIGKILL)
    _, err = gen.communicate(timeout=20)
    assert gen.returncode == 2
    assert err == f"gen: error: {STOPPED}\n"
    assert STOPPED.startswith("the process gen started to check the call folder stopped before")


def test_a_check_made_apart_is_the_check_made_here_and_is_kept(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    here = checked_report(call, str(call), (), False, None, Batch(), each_file=True)
    batch = Batch(cache=ResultCache(tmp_path / "cache"))
    made = checked_report(call, str(call), (), False, None, batch, each_file=True, apart=True)
    assert replace(made, contents={}) == here  # here, without a cache, no digest is kept
    assert batch.misses >= 140  # each dossier and review file, read in the other process
    # every entry it stored is among the keys this process keeps when it prunes the cache
    assert batch.cache is not None
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        stored = {bytes(key) for (key,) in db.execute("SELECT key FROM results")}
    assert len(stored) > batch.misses and stored <= batch.cache.used
    batch.cache.close()
    again = Batch(cache=ResultCache(tmp_path / "cache"))
    kept = checked_report(call, str(call), (), False, None, again, each_file=True, apart=True)
    assert replace(kept, paths={}) == replace(made, paths={})  # a kept one names fewer paths
    assert (again.hits, again.misses) == (0, 0)  # the report itself was kept
