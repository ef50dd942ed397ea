"""forked_chain: tasks in processes of their own, each passing a value on to the next."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

import pytest

from gen_cli.batch import ChainBroken, forked_chain


def _running_total(index: int, earlier: Callable[[], list[int]]) -> tuple[int, tuple[int, int]]:
    """Passes on its own total: index + 1 added to what the task before it passed on."""
    mine = index + 1
    before = earlier()
    total = (before[-1] if before else 0) + mine
    return total, (total, os.getpid())


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_each_task_sees_what_the_ones_before_it_passed_on(jobs: int) -> None:
    results = list(forked_chain(_running_total, 6, jobs))
    assert [total for total, _ in results] == [1, 3, 6, 10, 15, 21]
    pids = {pid for _, pid in results}
    if jobs == 1:
        assert pids == {os.getpid()}
    else:
        assert os.getpid() not in pids
        assert 1 < len(pids) <= jobs


def test_tasks_overlap_up_to_the_point_they_wait(tmp_path) -> None:
    """The second task starts before the first ends: it waits only where it asks."""
    marks = tmp_path / "marks"
    marks.mkdir()

    def task(index: int, earlier: Callable[[], list[str]]) -> tuple[str, str]:
        (marks / f"started-{index}").touch()
        if index == 0:
            deadline = time.monotonic() + 20
            while not (marks / "started-1").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        before = earlier()
        return f"done-{index}", ",".join(before)

    results = list(forked_chain(task, 2, 2))
    assert results == ["", "done-0"]
    assert (marks / "started-1").exists()


def _failing_second(index: int, earlier: Callable[[], list[int]]) -> tuple[int, int]:
    if index == 1:
        raise ValueError("the second task fails")
    before = earlier()
    return index, len(before)


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_first_failure_is_raised_and_the_tasks_waiting_end(jobs: int) -> None:
    given: list[int] = []
    with pytest.raises(ValueError, match="the second task fails"):
        for result in forked_chain(_failing_second, 5, jobs):
            given.append(result)
    assert given == [0]


def test_a_consumer_that_stops_early_leaves_no_task_waiting() -> None:
    """Leaving the loop closes the pipes: a task waiting for the one before ends."""
    started = time.monotonic()
    chain = forked_chain(_running_total, 4, 2)
    assert next(chain)[0] == 1
    chain.close()
    assert time.monotonic() - started < 20


def test_a_task_waiting_after_a_failure_is_told(tmp_path) -> None:
    """The task after a failed one gets ChainBroken from earlier(), not a hang."""
    seen = tmp_path / "seen"

    def task(index: int, earlier: Callable[[], list[int]]) -> tuple[int, int]:
        if index == 0:
            time.sleep(0.3)  # the second task is waiting by now
            raise RuntimeError("the first task fails")
        try:
            earlier()
        except ChainBroken as broken:
            seen.write_text(str(broken))
            raise
        return index, index

    with pytest.raises(RuntimeError, match="the first task fails"):
        list(forked_chain(task, 2, 2))
    assert seen.read_text() == "an earlier task of the chain failed"


def test_a_process_killed_from_outside_is_said() -> None:
    def task(index: int, earlier: Callable[[], list[int]]) -> tuple[int, int]:
        if index == 1:
            os.kill(os.getpid(), 9)
        return index, len(earlier())

    with pytest.raises(BrokenProcessPool):
        list(forked_chain(task, 3, 2))
