"""A large call's project pages are rendered on every core: the same bytes as on one (#13)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import invoke, write
from markupsafe import escape

from gen_cli import batch, cli, markdown, publish
from gen_cli.batch import forked_map
from gen_cli.errors import GenError

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "call"))


def published(call: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *, processes: int) -> str:
    """gen publish with its project pages shared among ``processes``; what it printed."""
    monkeypatch.setattr(publish, "PARALLEL_PAGES", 1 if processes > 1 else 10**9)
    monkeypatch.setattr(publish, "available_cores", lambda: processes)
    result = invoke("publish", "--call", call, "--out", out)
    assert result.code == 0, result.err
    return result.out.replace(str(out), "OUT")


def refused(call: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *, processes: int) -> str:
    """gen publish, its pages shared among ``processes``, refused: what it said."""
    monkeypatch.setattr(publish, "PARALLEL_PAGES", 1 if processes > 1 else 10**9)
    monkeypatch.setattr(publish, "available_cores", lambda: processes)
    result = invoke("publish", "--call", call, "--out", out)
    assert (result.code, result.out) == (2, "")
    assert not out.exists()
    return result.err


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_pages_rendered_on_three_processes_are_those_rendered_on_one(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = published(call, tmp_path / "one", monkeypatch, processes=1)
    three = published(call, tmp_path / "three", monkeypatch, processes=3)
    assert one == three
    assert "published 47 laureate(s) of 2 round(s)" in one
    serial, parallel = tree(tmp_path / "one"), tree(tmp_path / "three")
    assert len([name for name in serial if name.startswith("projects/")]) == 47
    assert serial == parallel


#: A laureate of the second round: its page is rendered in the last of three processes.
_FAILING = "alumni-mentors-perpignan"
#: Templates broken, and the error reported: the one made first one after another, the
#: rounds' pages before the projects' pages, wherever they are made.
_BROKEN = [
    (
        {
            "project.html": f'{{% if project.id == "{_FAILING}" %}}{{{{ 1 // 0 }}}}'
            "{% endif %}{{ project.id }}\n"
        },
        "project.html:1: ZeroDivisionError: integer division or modulo by zero",
    ),
    (
        {"round.html": "{{ nope_round.x }}\n", "project.html": "{{ nope_project.x }}\n"},
        "round.html:1: 'nope_round' is undefined",
    ),
]


@pytest.mark.parametrize("processes", [1, 3])
@pytest.mark.parametrize(("broken", "said"), _BROKEN)
def test_a_page_that_fails_in_another_process_is_reported_as_on_one(
    call: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    processes: int,
    broken: dict[str, str],
    said: str,
) -> None:
    for name, text in broken.items():
        write(call / "templates" / name, text)
    assert refused(call, tmp_path / "out", monkeypatch, processes=processes) == (
        f"gen: error: template {said}\n"
    )


@pytest.mark.parametrize("processes", [1, 3])
def test_a_failing_page_is_reported_before_failing_open_data(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    # the open data is made here while the pages are made in the other processes: when
    # both fail, the page's error is the one reported, as when everything runs here
    write(call / "templates" / "project.html", "{{ project.nothing.more }}\n")
    write(call / "templates" / "laureats.md", "{{ 1 // 0 }}\n")
    out = tmp_path / "out"
    said = refused(call, out, monkeypatch, processes=processes)
    assert said.startswith("gen: error: template project.html:1: ")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    # the pages right, the open data's error is reported
    write(call / "templates" / "project.html", "{{ project.id }}\n")
    assert refused(call, out, monkeypatch, processes=processes) == (
        "gen: error: template laureats.md:1: ZeroDivisionError: integer division or modulo by zero\n"
    )


def test_work_done_meanwhile_runs_once_beside_the_tasks() -> None:
    done: list[str] = []
    squares = forked_map(lambda i: i * i, 50, 3, meanwhile=lambda: done.append("here"))
    assert squares == [i * i for i in range(50)]
    assert done == ["here"]
    assert forked_map(lambda i: i + 1, 5, 1, meanwhile=lambda: done.append("after")) == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert done == ["here", "after"]


@pytest.mark.parametrize(("jobs", "runs"), [(1, 50), (3, 3 * batch.RUNS_EACH)])
def test_every_task_is_told_once_done_as_its_run_ends(jobs: int, runs: int) -> None:
    told: list[int] = []
    assert forked_map(lambda i: i * i, 50, jobs, told=told.append) == [i * i for i in range(50)]
    assert sum(told) == 50
    assert len(told) == runs and min(told) > 0


def test_tasks_of_a_failed_run_are_not_told() -> None:
    told: list[int] = []

    def task(index: int) -> int:
        if index == 49:
            raise GenError("the last task failed")
        return index

    with pytest.raises(GenError, match="the last task failed"):
        forked_map(task, 50, 3, told=told.append)
    assert sum(told) < 50


@pytest.mark.parametrize("processes", [1, 3])
def test_pages_written_are_told_to_the_progress_bar(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    steps: list[tuple[str, int, int]] = []

    @contextlib.contextmanager
    def recorded(batch: batch.Batch) -> Iterator[None]:
        batch.progress = lambda kind, done, total: steps.append((kind, done, total))
        yield

    monkeypatch.setattr(cli, "_progress_shown", recorded)
    monkeypatch.setattr(publish, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(publish, "available_cores", lambda: processes)
    result = invoke(
        "publish", "--call", call, "--out", tmp_path / "site", "--lang", "fr", "--lang", "en"
    )
    assert result.code == 0, result.err
    pages = [(done, total) for kind, done, total in steps if kind == "pages"]
    laureates = len(list((tmp_path / "site" / "fr" / "projects").glob("*.html")))
    rounds = len(list((tmp_path / "site" / "fr" / "rounds").glob("*.html")))
    assert (laureates, rounds) == (47, 2)  # the two closed rounds
    # in each of two languages: a page a laureate, a piece a closed round, two more of open data
    assert {total for _, total in pages} == {2 * (47 + 2 + 2)}
    assert sum(done for done, _ in pages) == 2 * (47 + 2 + 2)


@pytest.mark.parametrize("processes", [1, 3])
def test_the_list_of_laureates_does_not_depend_on_what_the_pages_show(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    # the pages hand the summaries' safe Markdown they made to the list: a page that shows
    # none, or shows a summary as Markdown, leaves the list as it is
    published(call, tmp_path / "html", monkeypatch, processes=processes)
    write(call / "templates" / "project.html", "{{ project.id }}\n")
    published(call, tmp_path / "bare", monkeypatch, processes=processes)
    write(call / "templates" / "project.html", "{{ project.summary|md_block }}\n")
    published(call, tmp_path / "md", monkeypatch, processes=processes)
    listed = (tmp_path / "html" / "laureats.md").read_text(encoding="utf-8")
    assert (tmp_path / "bare" / "laureats.md").read_text(encoding="utf-8") == listed
    assert (tmp_path / "md" / "laureats.md").read_text(encoding="utf-8") == listed
    dossier = yaml.safe_load(
        (call / "2021Q4" / "alumni-mentors-perpignan.yaml").read_text(encoding="utf-8")
    )
    summary = markdown.safe_markdown(dossier["summary"])
    assert f"\n{summary}\n" in listed
    page = (tmp_path / "md" / "projects" / "alumni-mentors-perpignan.html").read_text()
    assert page == escape(summary) + "\n"  # autoescaped in HTML


@pytest.mark.parametrize("beside", [True, False])
def test_the_list_of_laureates_made_beside_the_pages_or_after_them_is_the_same(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beside: bool
) -> None:
    # 3 of the 47 laureates' summaries hold Markdown: more than one in twenty, so the
    # list is made after the pages, from the safe Markdown they made; made beside them,
    # it re-writes every summary itself
    one = published(call, tmp_path / "one", monkeypatch, processes=1)
    asked: list[bool] = []
    mostly_prose = publish._mostly_prose

    def choose(summaries: list[str]) -> bool:
        asked.append(mostly_prose(summaries))
        return beside

    monkeypatch.setattr(publish, "_mostly_prose", choose)
    three = published(call, tmp_path / "three", monkeypatch, processes=3)
    assert asked == [False]
    assert one == three
    assert tree(tmp_path / "one") == tree(tmp_path / "three")


def test_at_most_one_summary_in_twenty_needs_the_parser_for_the_list_to_be_made_beside() -> None:
    marked = "Un **projet** marqué."
    assert publish._mostly_prose(["Un projet."] * 19 + [marked])
    assert not publish._mostly_prose(["Un projet."] * 18 + [marked] * 2)
    assert publish._mostly_prose(["Un projet."] * 40 + [marked] * 2)
    assert not publish._mostly_prose([marked])


def test_tasks_of_unequal_lengths_are_shared_and_given_back_in_order(tmp_path: Path) -> None:
    # the first task waits until every other is done: the process that takes its run
    # takes no other, the other process takes every other run as it comes free
    def task(index: int) -> tuple[int, int]:
        if index == 0:
            deadline = time.monotonic() + 60
            while len(list(tmp_path.iterdir())) < 63 and time.monotonic() < deadline:
                time.sleep(0.01)
        else:
            (tmp_path / str(index)).touch()
        return index, os.getpid()

    made = forked_map(task, 64, 2)
    assert [index for index, _ in made] == list(range(64))
    first = made[0][1]
    run = 64 // (2 * batch.RUNS_EACH)
    assert {pid for _, pid in made[:run]} == {first}
    assert {pid for _, pid in made[run:]} == {made[-1][1]} != {first}


def test_the_first_task_that_fails_is_the_one_raised_whichever_process_ran_it() -> None:
    def task(index: int) -> int:
        if index in (5, 40):
            time.sleep(0.2 if index == 5 else 0)
            raise GenError(f"task {index} failed")
        return index

    with pytest.raises(GenError, match=r"^task 5 failed$"):
        forked_map(task, 64, 2)
