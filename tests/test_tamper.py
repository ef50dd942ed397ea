"""A closed round cannot be rewritten or reopened by a pull request (found in an independent review)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import invoke, replace, run_gen

from gen_cli import __version__
from gen_cli.records import render_record, seal_of

HANDCALL = Path(__file__).parent / "fixtures" / "handcall"
R1 = "2023Q1"

pytestmark = pytest.mark.usefixtures("clean_git_env")


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Sec",
        "GIT_AUTHOR_EMAIL": "sec@example.org",
        "GIT_COMMITTER_NAME": "Sec",
        "GIT_COMMITTER_EMAIL": "sec@example.org",
        "GIT_AUTHOR_DATE": "2023-05-01T10:00:00+02:00",
        "GIT_COMMITTER_DATE": "2023-05-01T10:00:00+02:00",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The hand call in a repository, 2023Q1 scored and closed on main."""
    root = Path(shutil.copytree(HANDCALL, tmp_path / "repo"))
    git(root, "init", "-q", "-b", "main")
    assert invoke("score", "--round", R1, "--call", root).code == 0
    assert invoke("close", R1, "--by", "Secrétariat", "--call", root).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "2023Q1 closed")
    git(root, "checkout", "-q", "-b", "pull-request")
    return root


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def reseal(path: Path, record: dict[str, Any]) -> None:
    record.pop("seal", None)
    record["seal"] = seal_of(record)
    path.write_text(render_record(record), encoding="utf-8")


def test_a_forged_record_with_a_recomputed_seal_is_e403(repo: Path) -> None:
    path = repo / R1 / "results.yaml"
    record = load(path)
    metz, brest = record["decisions"]["numerique-metz"], record["decisions"]["atelier-brest"]
    metz["status"], metz["granted"] = "laureat", "10000.00"
    brest["status"], brest["granted"] = "non-retenu", "0.00"
    record["closed"]["gen"] = "0.1.9"  # an attacker's claim that another gen decided it
    reseal(path, record)
    result = run_gen("validate", cwd=repo)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{R1}/results.yaml:1:1: error E403 round 2023Q1 is closed and its decision record "
        "was edited: its decisions are not what its frozen files give (it was closed with gen "
        f"0.1.9, this is gen {__version__}: check it with the version that closed it); restore "
        "it from git"
    )
    published = run_gen("publish", "--out", repo.parent / "site", cwd=repo)
    assert published.code == 1
    assert not (repo.parent / "site").exists()
    diff = run_gen("diff", cwd=repo)
    assert diff.code == 2  # the pull request's side does not validate
    # and its closing differs from the one on main: two errors
    assert diff.err.startswith("gen: error: the HEAD side does not validate: 2 error(s)")


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda r: r.__setitem__("decisions", [1, 2]), "its decisions are not"),
        (lambda r: r["decisions"]["atelier-brest"].__setitem__("rank", "one"), "its decisions"),
        (lambda r: r.__setitem__("totals", "x"), "its decisions are not"),
        (lambda r: r.__setitem__("amendments", [1, {}]), "an amendment is not what"),
        (lambda r: r["closed"].__setitem__("on", 5), "its closed: part is not"),
    ],
)
def test_a_resealed_record_of_the_wrong_shape_is_e403_not_a_crash(
    repo: Path, edit: Any, why: str
) -> None:
    path = repo / R1 / "results.yaml"
    record = load(path)
    edit(record)
    reseal(path, record)
    result = run_gen("validate", "--no-git", cwd=repo)
    assert result.code == 1
    assert f"error E403 round 2023Q1 is closed and its decision record was edited: {why}" in (
        result.out
    )
    published = run_gen("publish", "--out", repo.parent / "site", "--no-git", cwd=repo)
    assert published.code == 1, published.err


def test_a_closing_removed_from_the_record_is_e403_against_the_default_branch(
    repo: Path,
) -> None:
    path = repo / R1 / "results.yaml"
    record = load(path)
    for key in ("closed", "seal"):
        record.pop(key)
    path.write_text(render_record(record), encoding="utf-8")
    result = run_gen("validate", cwd=repo)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{R1}/results.yaml:1:1: error E403 round 2023Q1 is closed on the default branch (main) "
        "but its record is no longer closed; restore it from git"
    )
    # --no-git has nothing to compare with: the record alone looks like a scored round
    assert run_gen("validate", "--no-git", cwd=repo).code == 0


def test_a_record_removed_or_a_round_undeclared_is_e403(repo: Path) -> None:
    git(repo, "rm", "-q", f"{R1}/results.yaml")
    gone = run_gen("validate", cwd=repo)
    assert gone.code == 1
    assert gone.out.splitlines()[0] == (
        f"{R1}/results.yaml:1:1: error E403 round 2023Q1 is closed on the default branch (main) "
        "but its record is gone; restore it from git"
    )
    git(repo, "checkout", "-q", "main", "--", f"{R1}/results.yaml")
    shutil.rmtree(repo / R1)
    text = (repo / "call.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: 2023Q1\n")
    end = text.index("  - id: 2023Q2\n")
    (repo / "call.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    undeclared = run_gen("validate", cwd=repo)
    assert undeclared.code == 1
    assert (
        "error E403 round 2023Q1 is closed on the default branch (main) and call.yaml no longer "
        "declares it; restore it"
    ) in undeclared.out


def test_amendments_are_only_added_to(repo: Path) -> None:
    replace(repo / R1 / "atelier-brest.yaml", "title: ", "title: Atelier — ")
    assert invoke("amend", R1, "--reason", "Titre corrigé", "--by", "Sec", "--call", repo).code == 0
    git(repo, "commit", "-q", "-am", "amended")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "pull-request")
    path = repo / R1 / "results.yaml"
    record = load(path)
    record["amendments"][0]["reason"] = "Autre raison"
    reseal(path, record)
    result = run_gen("validate", cwd=repo)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{R1}/results.yaml:1:1: error E403 round 2023Q1's closing or amendments differ from "
        "those on the default branch (main): they are never rewritten, only added to (gen "
        "amend); restore them from git"
    )


def test_gen_diff_reports_records_templates_and_first_scores(repo: Path) -> None:
    (repo / "templates").mkdir()
    (repo / "templates" / "index.html").write_text("<p>x</p>\n", encoding="utf-8")
    assert invoke("score", "--round", "2023Q2", "--call", repo).code == 0
    result = run_gen("diff", cwd=repo)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "record added: 2023Q2/results.yaml" in lines
    assert "template added: templates/index.html (templates are code: review them as such)" in lines
    at = lines.index("round 2023Q2 (review → scored)")
    assert lines[at + 1].startswith("  ") and ": new, " in lines[at + 1]
    assert "no decision changes" not in result.out


@pytest.mark.parametrize("reason", ["ligne\nsuivante", "x \x85"])
def test_a_reason_that_cannot_be_kept_on_one_line_is_refused(repo: Path, reason: str) -> None:
    replace(repo / R1 / "atelier-brest.yaml", "title: ", "title: Atelier — ")
    result = invoke("amend", R1, "--reason", reason, "--by", "Sec", "--call", repo)
    assert result.code == 2
    assert result.err == (
        "gen: error: --reason holds a line break or a character that cannot be printed: "
        "write plain text\n"
    )


@pytest.fixture
def scored_repo(tmp_path: Path) -> Path:
    """The hand call in a repository, both rounds scored (not closed) on main."""
    root = Path(shutil.copytree(HANDCALL, tmp_path / "repo"))
    git(root, "init", "-q", "-b", "main")
    assert invoke("score", "--all", "--call", root).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "2023Q1 and 2023Q2 scored")
    git(root, "checkout", "-q", "-b", "pull-request")
    return root


def test_deleting_a_scored_round_record_fails_the_check_and_names_it(scored_repo: Path) -> None:
    path = scored_repo / "2023Q2" / "results.yaml"
    before = path.read_bytes()
    path.unlink()
    check = run_gen("score", "--check", cwd=scored_repo)
    assert check.code == 1
    assert check.err == "round 2023Q2: not checked: gen validate finds 1 error(s) that concern it\n"
    assert check.out == "every other decision record matches its inputs\n"
    validate = run_gen("validate", cwd=scored_repo)
    assert validate.code == 1
    assert validate.out.splitlines()[0] == (
        "2023Q2/results.yaml:1:1: error E406 round 2023Q2 is scored on the default branch "
        "(main) but its decision record is missing: restore it (git checkout main -- "
        "2023Q2/results.yaml) or score the round again (gen score --round 2023Q2)"
    )
    # The advice works: scoring the round again writes the same record.
    assert run_gen("score", "--round", "2023Q2", cwd=scored_repo).code == 0
    assert path.read_bytes() == before
    assert run_gen("score", "--check", cwd=scored_repo).code == 0


def test_a_later_round_made_stale_by_an_earlier_one_says_so(scored_repo: Path) -> None:
    # The first laureate of 2023Q1 asks for 1,000 less: the call has 1,000 more left after it.
    path = scored_repo / R1 / "codeuses-roubaix.yaml"
    replace(
        path, "  total_cost: 31250\n  requested: 25000", "  total_cost: 30250\n  requested: 24000"
    )
    check = run_gen("score", "--check", cwd=scored_repo)
    assert check.code == 1
    assert check.out.splitlines() == [
        "2023Q1/results.yaml: stale record for round 2023Q1: decisions differ for codeuses-roubaix",
        "  inputs changed: 2023Q1/codeuses-roubaix.yaml",
        "2023Q2/results.yaml: stale record for round 2023Q2: no decision differs, but the "
        "call's budget left before it does",
        "  call budget left before it: recorded 105000.00, now 106000.00: the result of round 2023Q1 changed",
        "2 stale record(s); run gen score --all and commit the result",
    ]


def test_replacing_a_scored_record_with_another_file_is_e406(scored_repo: Path) -> None:
    path = scored_repo / "2023Q2" / "results.yaml"
    path.write_text("x: 1\n", encoding="utf-8")
    check = run_gen("score", "--check", cwd=scored_repo)
    assert check.code == 1
    validate = run_gen("validate", cwd=scored_repo)
    assert (
        "2023Q2/results.yaml:1:1: error E406 round 2023Q2 is scored on the default branch "
        "(main) but its decision record is not one gen wrote: restore it (git checkout main "
        "-- 2023Q2/results.yaml) or score the round again (gen score --round 2023Q2)"
    ) in validate.out.splitlines()


def test_a_forged_record_too_large_for_its_round_is_refused_fast(scored_repo: Path) -> None:
    path = scored_repo / "2023Q2" / "results.yaml"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(header + "\nx:\n" + "- [a, b, c, d, e, f, g, h]\n" * 50_000, encoding="utf-8")
    validate = run_gen("validate", cwd=scored_repo)
    assert validate.code == 1
    assert validate.out.splitlines()[0].startswith(
        "2023Q2/results.yaml:1:1: error E404 cannot read round 2023Q2's decision record"
    )
