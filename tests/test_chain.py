"""forked_chain: tasks in processes of their own, each passing a value on to the next."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gen_cli.batch import ChainBroken, forked_chain, taken_part
from gen_cli.errors import EXIT_PROBLEMS, GenError


def _running_total(
    index: int, earlier: Callable[[], list[int]], _pass_on: Callable[[int], None]
) -> tuple[int, tuple[int, int]]:
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
    else:  # fast tasks may all be taken by one process
        assert os.getpid() not in pids
        assert len(pids) <= jobs


def test_tasks_overlap_up_to_the_point_they_wait(tmp_path) -> None:
    """The second task starts before the first ends: it waits only where it asks."""
    marks = tmp_path / "marks"
    marks.mkdir()

    def task(
        index: int, earlier: Callable[[], list[str]], _pass_on: Callable[[str], None]
    ) -> tuple[str, str]:
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


def test_a_value_told_early_reaches_the_next_task_before_the_task_ends(tmp_path) -> None:
    """A task passes its value on as soon as it knows it; the next one goes on meanwhile."""
    reached = tmp_path / "reached"

    def task(
        index: int, earlier: Callable[[], list[int]], pass_on: Callable[[int], None]
    ) -> tuple[int, bool]:
        if index == 1:
            reached.write_text(repr(earlier()))
            return 7, True
        pass_on(41)
        deadline = time.monotonic() + 20  # the first task still runs while the next reads
        while not reached.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return 41, reached.exists()

    assert list(forked_chain(task, 2, 2)) == [True, True]
    assert reached.read_text() == "[41]"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_task_that_fails_after_telling_its_value_is_the_failure_raised(jobs: int) -> None:
    def task(
        index: int, earlier: Callable[[], list[int]], pass_on: Callable[[int], None]
    ) -> tuple[int, int]:
        before = earlier()
        pass_on(index)
        if index == 1:
            raise ValueError("the second task fails after telling")
        return index, len(before)

    given: list[int] = []
    with pytest.raises(ValueError, match="after telling"):
        for result in forked_chain(task, 4, jobs):
            given.append(result)
    assert given == [0]


def test_a_value_too_large_to_tell_at_once_is_passed_on_when_the_task_ends() -> None:
    def task(
        index: int, earlier: Callable[[], list[str]], pass_on: Callable[[str], None]
    ) -> tuple[str, list[int]]:
        value = str(index) * 100_000
        pass_on(value)
        return value, [len(v) for v in earlier()]

    assert list(forked_chain(task, 3, 2)) == [[], [100_000], [100_000, 100_000]]


def _failing_second(
    index: int, earlier: Callable[[], list[int]], _pass_on: Callable[[int], None]
) -> tuple[int, int]:
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

    def task(
        index: int, earlier: Callable[[], list[int]], _pass_on: Callable[[int], None]
    ) -> tuple[int, int]:
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
    def task(
        index: int, earlier: Callable[[], list[int]], _pass_on: Callable[[int], None]
    ) -> tuple[int, int]:
        if index == 1:
            os.kill(os.getpid(), 9)
        return index, len(earlier())

    with pytest.raises(BrokenProcessPool):
        list(forked_chain(task, 3, 2))


class _Refused(GenError):
    """A GenError whose constructor takes other arguments (as JuryRefused's)."""

    def __init__(self, why: str, where: str) -> None:
        super().__init__(f"{where}: {why}", EXIT_PROBLEMS)


def test_a_gen_error_that_cannot_be_rebuilt_crosses_with_its_words_and_status() -> None:
    def task(
        index: int, earlier: Callable[[], list[int]], _pass_on: Callable[[int], None]
    ) -> tuple[int, int]:
        if index == 1:
            raise _Refused("the jury overruns the envelope", "2021Q4/jury.yaml")
        return index, len(earlier())

    with pytest.raises(GenError) as raised:
        list(forked_chain(task, 3, 2))
    assert (raised.value.message, raised.value.exit_code) == (
        "2021Q4/jury.yaml: the jury overruns the envelope",
        EXIT_PROBLEMS,
    )


def test_values_larger_than_a_pipe_holds_are_passed_on() -> None:
    def task(
        index: int, earlier: Callable[[], list[str]], _pass_on: Callable[[str], None]
    ) -> tuple[str, int]:
        return str(index) * 200_000, sum(len(v) for v in earlier())

    assert list(forked_chain(task, 3, 2)) == [0, 200_000, 400_000]


@pytest.mark.parametrize("reads", [False, True])
def test_a_large_value_a_task_never_reads_does_not_stop_the_chain(reads: bool) -> None:
    """The task after it fails first, or never asks: its error is raised, nothing hangs."""

    def task(
        index: int, earlier: Callable[[], list[str]], _pass_on: Callable[[str], None]
    ) -> tuple[str, int]:
        if index == 1 and not reads:
            raise ValueError("the second task fails before it asks")
        if index == 1:
            return "", 0  # done without asking
        return "x" * 200_000, sum(len(v) for v in earlier())

    started = time.monotonic()
    if reads:
        assert list(forked_chain(task, 3, 2)) == [0, 0, 200_000]  # two values, one empty
    else:
        with pytest.raises(ValueError, match="before it asks"):
            list(forked_chain(task, 3, 2))
    assert time.monotonic() - started < 20


@given(st.lists(st.integers(0, 300), min_size=1, max_size=60), st.integers(1, 500))
def test_files_are_handed_out_in_parts_of_about_the_same_bytes(
    sizes: list[int], share: int
) -> None:
    """Each part holds one file, then as many more as fit in the share, in their order."""
    tasks = deque((len, b"x" * size, f"f{n}") for n, size in enumerate(sizes))
    parts = []
    while tasks:
        parts.append(taken_part(tasks, share))
    assert [display for part in parts for _, _, display in part] == [
        f"f{n}" for n in range(len(sizes))
    ]
    for part in parts:
        bytes_held = sum(len(raw) for _, raw, _ in part)
        assert len(part) == 1 or bytes_held <= share
    for part, after in itertools.pairwise(parts):  # none could have held more
        assert sum(len(raw) for _, raw, _ in part) + len(after[0][1]) > share


def test_the_largest_files_are_spread_over_several_parts() -> None:
    """400 review files of 100 kB then 100,000 dossiers of 1 kB: 32 parts a process."""
    sizes = [100_000] * 400 + [1_000] * 100_000
    tasks = deque((len, b"x" * size, "") for size in sizes)
    share = sum(sizes) // (2 * 32)
    counts = []
    while tasks:
        counts.append(len(taken_part(tasks, share)))
    assert counts[:3] == [21, 21, 21]  # not the 400 review files in one part
    assert len(counts) == 65


def test_a_chain_longer_than_a_pool_runs_passes_every_value_on() -> None:
    """300 tasks: several pools, each first task given the values of the ones before."""
    results = list(forked_chain(_running_total, 300, 2))
    assert [total for total, _ in results] == [n * (n + 1) // 2 for n in range(1, 301)]


def test_a_chain_opens_no_more_descriptors_than_one_pool_needs() -> None:
    """Under a limit a chain of 300 tasks' pipes would pass, it runs; nothing is left open."""
    import resource

    opened = len(os.listdir("/proc/self/fd"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (opened + 4 * 64 + 64, hard))
    try:
        assert len(list(forked_chain(_running_total, 300, 2))) == 300
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(os.listdir("/proc/self/fd")) == opened


def test_pipes_that_cannot_all_be_opened_are_all_closed() -> None:
    """Out of descriptors while making a pool's pipes: an error, and no descriptor kept."""
    import resource

    opened = len(os.listdir("/proc/self/fd"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (opened + 40, hard))
    try:
        with pytest.raises(OSError, match="Too many open files"):
            list(forked_chain(_running_total, 64, 2))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(os.listdir("/proc/self/fd")) == opened


def test_a_chain_runs_in_a_process_that_has_many_files_open() -> None:
    """Its pipes numbered above 1024 (where select() stops) are watched all the same."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("this machine lets a process open fewer than 1,200 files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert [total for total, _ in forked_chain(_running_total, 3, 2)] == [1, 3, 6]
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_failure_while_the_tasks_are_handed_out_leaves_none_waiting(monkeypatch) -> None:
    """Stopped (Ctrl-C) as the third task is handed out: the second, waiting, is told."""
    from concurrent.futures import ProcessPoolExecutor

    handed: list[int] = []
    submit = ProcessPoolExecutor.submit

    def stopped_at_the_third(self: ProcessPoolExecutor, *args: object, **kwargs: object) -> object:
        handed.append(1)
        if len(handed) == 3:
            raise KeyboardInterrupt
        return submit(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ProcessPoolExecutor, "submit", stopped_at_the_third)

    def too_long(_signal: int, _frame: object) -> None:
        raise TimeoutError("gen waits for a task that nobody tells anything")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(20)
    try:
        with pytest.raises(KeyboardInterrupt):
            list(forked_chain(_running_total, 5, 2))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
