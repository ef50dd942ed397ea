"""A check made in a process of its own (batch.apart): what comes back, and what does not."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gen_cli.batch import Batch, apart
from gen_cli.errors import GenError, InvalidCall
from gen_cli.memo import checked_report
from gen_cli.resultcache import CACHE_FILE, ResultCache
from gen_cli.rules import Report

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"

forks = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="runs here without fork")


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
        return os.getpid(), ["made", "apart"]

    pid, made = apart(task, progress)
    assert pid != os.getpid()
    assert made == ["made", "apart"]
    assert told == {("dossier", 1000): 1000, ("review", 3): 0}


@forks
def test_an_error_raised_apart_is_raised_here() -> None:
    def task(tell: object) -> None:
        raise GenError("2022Q1/lovelace.yaml changed while gen read the call folder", 2)

    with pytest.raises(GenError) as raised:
        apart(task)
    assert raised.value.message == "2022Q1/lovelace.yaml changed while gen read the call folder"
    assert raised.value.exit_code == 2


@forks
def test_an_error_that_cannot_be_rebuilt_here_is_said_in_words() -> None:
    def task(tell: object) -> None:
        raise InvalidCall(Report([], {}), "call.yaml has errors")

    with pytest.raises(RuntimeError, match="InvalidCall"):
        apart(task)


@forks
def test_a_process_that_stops_without_its_result_is_an_error() -> None:
    def task(tell: object) -> None:
        os._exit(3)

    with pytest.raises(GenError, match="stopped while checking the call folder"):
        apart(task)


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
