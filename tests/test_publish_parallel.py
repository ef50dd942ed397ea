"""A large call's project pages are rendered on every core: the same bytes as on one (#13)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import invoke, write

from gen_cli import publish

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


@pytest.mark.parametrize("processes", [1, 3])
def test_a_page_that_fails_in_another_process_is_reported_as_on_one(
    call: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    # a laureate of the second round: its page is rendered in the last of three processes
    failing = "alumni-mentors-perpignan"
    write(
        call / "templates" / "project.html",
        f'{{% if project.id == "{failing}" %}}{{{{ 1 // 0 }}}}{{% endif %}}{{{{ project.id }}}}\n',
    )
    monkeypatch.setattr(publish, "PARALLEL_PAGES", 1 if processes > 1 else 10**9)
    monkeypatch.setattr(publish, "available_cores", lambda: processes)
    out = tmp_path / "out"
    result = invoke("publish", "--call", call, "--out", out)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "gen: error: template project.html:1: ZeroDivisionError: integer division or modulo by zero\n"
    )
    assert not out.exists()
