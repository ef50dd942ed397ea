"""gen diff on real git repositories: a review that lifts a dossier into the laureates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import invoke, replace, run_gen

HANDCALL = Path(__file__).parent / "fixtures" / "handcall"
R1 = "2023Q1"


def git(repo: Path, *args: str, when: str = "2023-04-03T10:00:00+02:00", who: str = "Sec") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME=who,
        GIT_AUTHOR_EMAIL=f"{who.lower()}@example.org",
        GIT_COMMITTER_NAME=who,
        GIT_COMMITTER_EMAIL=f"{who.lower()}@example.org",
        GIT_AUTHOR_DATE=when,
        GIT_COMMITTER_DATE=when,
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The hand-computed call at the root of a repository, round 2023Q1 scored and merged."""
    root = Path(shutil.copytree(HANDCALL, tmp_path / "repo"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "The call")
    assert run_gen("score", "--round", R1, cwd=root).code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Score 2023Q1")
    return root


def lift_metz(root: Path) -> None:
    """Two reviewers raise numerique-metz, ranked 7th and unfunded (envelope exhausted).

    anne-martin's qualite and impact 3, 3 and bruno-dubois's 4, 3 become 5, 5: its mark
    goes from 11.14 to 15.14, rank 3, and its 10,000 now fit in what is left.
    """
    for reviewer, before in (("anne-martin", "3"), ("bruno-dubois", "4")):
        replace(
            root / R1 / "reviews" / f"{reviewer}.yaml",
            f"  numerique-metz:\n    grades:\n      qualite: {before}\n      impact: 3",
            "  numerique-metz:\n    grades:\n      qualite: 5\n      impact: 5",
        )


def test_a_review_that_lifts_a_dossier_shows_that_change(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "review")
    lift_metz(repo)
    git(repo, "commit", "-q", "-am", "Notes révisées", who="Anne")
    base = git(repo, "rev-parse", "main")[:12]
    head = git(repo, "rev-parse", "HEAD")[:12]

    text = run_gen("diff", "main", "HEAD", cwd=repo, script=True)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0] == f"gen diff {base} → {head}"
    assert (
        "review changed: 2023Q1/reviews/anne-martin.yaml (evaluations of numerique-metz)" in lines
    )
    at = lines.index("round 2023Q1 (scored)")
    # atelier-brest, sixth and last funded, no longer fits: the two 10,000 grants swap,
    # so the envelope's figures stay as they were and no envelope line is printed.
    assert lines[at:] == [
        "round 2023Q1 (scored)",
        "  atelier-brest: laureat → non-retenu, rank 6 → 7, -10,000.00 EUR",
        "  datalab-nantes: rank 3 → 4",
        "  emploi-vitry: rank 4 → 5",
        "  numerique-metz: non-retenu → laureat, 11.14 → 15.14, rank 7 → 3, +10,000.00 EUR",
        "  tiers-lieu-caen: rank 5 → 6",
        "",
        "round 2023Q2 not computed: it is in review: outcomes are computed once the "
        "secretariat scores it",
    ]

    md = run_gen("diff", "main", "HEAD", "--format", "md", cwd=repo)
    assert md.code == 0, md.err
    assert md.out.startswith(
        f"### gen diff: `{base}` → `{head}`\n\n**This change moves decisions.**\n"
    )
    row = next(line for line in md.out.splitlines() if line.startswith("| numerique-metz |"))
    assert (
        row
        == "| numerique-metz | non-retenu → laureat | 11.14 → 15.14 | 7 → 3 | 0.00 → 10,000.00 |"
    )
    assert "Round 2023Q2 not computed: it is in review" in md.out

    document = json.loads(run_gen("diff", "main", "HEAD", "--format", "json", cwd=repo).out)
    assert document["decisive"] is True
    moved = {d["dossier"]: d for d in document["rounds"][R1]["decisions"]}
    assert moved["numerique-metz"]["before"] == {
        "granted": "0.00",
        "mark": "11.14",
        "rank": 7,
        "status": "non-retenu",
    }
    assert moved["numerique-metz"]["after"]["status"] == "laureat"
    assert moved["numerique-metz"]["after"]["granted"] == "10000.00"
    # every laureate of the round is accounted for: granted stays within the envelope
    after = document["rounds"][R1]["envelope"]["after"]
    assert float(after["granted"]) <= float(after["available"])


def test_the_working_tree_against_the_merge_base_by_default(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "review")
    lift_metz(repo)  # not committed: the working tree is HEAD
    result = invoke("diff", "--call", repo)
    assert result.code == 0, result.err
    base = git(repo, "rev-parse", "main")[:12]
    assert result.out.startswith(f"gen diff {base} → working tree\n")
    assert "  numerique-metz: non-retenu → laureat" in result.out


def test_a_branch_that_changes_nothing_decisive_says_so(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "typo")
    replace(
        repo / R1 / "reviews" / "anne-martin.yaml",
        "reviewer: anne-martin\n",
        "reviewer: anne-martin\n# relu le 3 avril\n",
    )
    path = next((repo / R1).glob("atelier-brest.yaml"))
    replace(path, "title: ", "title: Nouveau titre — ")
    result = run_gen("diff", cwd=repo)
    assert result.code == 0, result.err
    assert result.out.splitlines()[2:] == [
        "dossier changed: 2023Q1/atelier-brest.yaml (fields title)",
        "",
        "no decision changes: every status and grant stays as it is",
        "rounds without change: 2023Q1",
        "round 2023Q2 not computed: it is in review: outcomes are computed once the "
        "secretariat scores it",
    ]
    md = run_gen("diff", "--format", "md", cwd=repo)
    assert "**No decision changes:** every status and grant stays as it is." in md.out
    assert "| dossier |" not in md.out


def test_outside_a_repository_and_unknown_revisions(tmp_path: Path, repo: Path) -> None:
    plain = Path(shutil.copytree(HANDCALL, tmp_path / "plain"))
    outside = run_gen("diff", "--call", plain)
    assert outside.code == 2
    assert outside.err == (
        f"gen: error: {plain} is not inside a git repository: gen diff compares two git revisions\n"
    )
    unknown = run_gen("diff", "nope", cwd=repo)
    assert unknown.code == 2
    assert unknown.err.startswith("gen: error: unknown revision 'nope'")


def test_a_side_that_does_not_validate_is_named(repo: Path) -> None:
    replace(
        repo / R1 / "reviews" / "anne-martin.yaml",
        "  numerique-metz:\n    grades:\n      qualite: 3",
        "  numerique-metz:\n    grades:\n      qualite: 9",
    )
    result = run_gen("diff", cwd=repo)
    assert result.code == 2
    assert result.err == (
        "gen: error: the HEAD side does not validate: 1 error(s); run gen validate there "
        "and fix them first\n"
    )
    git(repo, "commit", "-q", "-am", "broken")
    base = git(repo, "rev-parse", "HEAD")[:12]
    fixed = run_gen("diff", "HEAD", "main~0", cwd=repo)
    assert fixed.code == 2
    assert fixed.err == (
        f"gen: error: the BASE side ({base}) does not validate: 1 error(s); run gen "
        "validate there and fix them first\n"
    )


def test_diff_leaves_the_work_tree_alone(repo: Path) -> None:
    lift_metz(repo)
    status = git(repo, "status", "--porcelain")
    result = run_gen("diff", "HEAD~1", cwd=repo)
    assert result.code == 0, result.err
    assert git(repo, "status", "--porcelain") == status
