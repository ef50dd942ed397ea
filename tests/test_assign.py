"""Who reviews what: gen assign, the assignment's checks, and its use by new review and status.

The tests work on copies of the example call (six reviewers with themes and max_load 20;
Amélie Roux is affiliated with Epitech) and on small problems built directly for the solver.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Result, examples, invoke, line_of, replace, run_gen
from hypothesis import given
from hypothesis import strategies as st

from gen_cli.assignment import Pairing, Unassignable, shares, solve
from gen_cli.loading import load_call_folder
from gen_cli.names import (
    affiliation_keys,
    conflict_of_interest,
    digests_meet,
    key_digests,
    keys_conflict,
    organisation_keys,
    person_digests,
)

EXAMPLE = Path(__file__).parent.parent / "dossiers"
ROUND = "2022Q2"
CONFLICTED = "tech-my-ge-bis"  # Epitech is a partner: Amélie Roux cannot review it

# Amélie Roux's 2022Q2 review is sealed: gen assign reads it as the secretariat does.
pytestmark = pytest.mark.usefixtures("clean_git_env", "secretariat")


@pytest.fixture
def call(tmp_path: Path) -> Path:
    """The example call with a seventh dossier in 2022Q2 that Amélie Roux cannot review."""
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    text = (root / "2021Q3" / "tech-my-ge.yaml").read_text(encoding="utf-8")
    text = text.replace("\nid: tech-my-ge\n", f"\nid: {CONFLICTED}\n")
    text = text.replace("\nround: 2021Q3\n", f"\nround: {ROUND}\n")
    text = text.replace("\nsubmitted: 2021-09-23\n", "\nsubmitted: 2022-05-02\n")
    (root / ROUND / f"{CONFLICTED}.yaml").write_text(text, encoding="utf-8")
    return root


def assignments(root: Path) -> dict[str, list[str]]:
    data = yaml.safe_load((root / ROUND / "assignments.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert data["round"] == ROUND
    reviewers: dict[str, list[str]] = data["reviewers"]
    return reviewers


def by_dossier(reviewers: dict[str, list[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for reviewer, ids in reviewers.items():
        for ident in ids:
            found.setdefault(ident, set()).add(reviewer)
    return found


def call_yaml(root: Path) -> dict[str, Any]:
    data = yaml.safe_load((root / "call.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_an_assignment_meets_every_constraint_and_is_deterministic(call: Path) -> None:
    done = run_gen("assign", ROUND, "--call", call, "--no-git")
    assert done == Result(
        0,
        f"round {ROUND}: 7 dossier(s), 21 review(s) given to 6 of 6 available reviewer(s), "
        "3 to 4 each; 16 of 21 by a reviewer of the dossier's theme\n"
        f"wrote {call}/{ROUND}/assignments.yaml: review and commit it\n",
        "",
    )
    first = (call / ROUND / "assignments.yaml").read_bytes()
    reviewers = assignments(call)
    dossiers = by_dossier(reviewers)
    in_round = sorted(p.stem for p in (call / ROUND).glob("*.yaml") if p.stem != "assignments")
    assert sorted(dossiers) == in_round
    assert all(len(r) == 3 for r in dossiers.values())
    assert "amelie-roux" not in dossiers[CONFLICTED]
    loads = sorted(len(ids) for ids in reviewers.values())
    assert loads == [3, 3, 3, 4, 4, 4]  # 21 reviews over 6 reviewers, as even as can be
    # Expertise preferred: each dossier's reviewers include a reviewer of its theme.
    themes = {r["id"]: set(r["themes"]) for r in call_yaml(call)["reviewers"]}
    for ident, who in dossiers.items():
        dossier = yaml.safe_load((call / ROUND / f"{ident}.yaml").read_text(encoding="utf-8"))
        principal = dossier["themes"][0]
        assert any(principal in themes[r] for r in who), ident
    assert invoke("validate", "--call", call).code == 0
    # The same inputs give the same bytes, in process as in a subprocess.
    assert invoke("assign", ROUND, "--call", call).code == 0
    assert (call / ROUND / "assignments.yaml").read_bytes() == first
    # The assignment decides nothing: the records stay as they were.
    assert invoke("score", "--check", "--call", call).code == 0


def test_an_impossible_assignment_names_the_constraint(call: Path) -> None:
    replace(call / "call.yaml", "  reviews_per_dossier: 3\n", "  reviews_per_dossier: 6\n")
    refused = invoke("assign", ROUND, "--call", call)
    assert refused == Result(
        2,
        "",
        f"gen: error: cannot assign round {ROUND}: theme recrutement: 1 dossier(s) "
        f"({CONFLICTED}) × 6 reviews = 6 > total load 5 of the 5 reviewer(s) who may review "
        "them (bruno-keller, claire-nadeau, driss-amrani, emma-laurent, francois-petit); "
        "raise max_load, add reviewers, or lower assignment.reviews_per_dossier (a reviewer "
        "with a conflict of interest, or without the theme's expertise when it is required, "
        "cannot review a dossier)\n",
    )
    assert not (call / ROUND / "assignments.yaml").exists()


def test_too_little_load_in_all_names_the_round(call: Path) -> None:
    text = (call / "call.yaml").read_text(encoding="utf-8")
    (call / "call.yaml").write_text(text.replace("max_load: 20", "max_load: 3"), "utf-8")
    refused = invoke("assign", ROUND, "--call", call)
    assert refused.code == 2
    assert refused.err.startswith(
        f"gen: error: cannot assign round {ROUND}: round {ROUND}: 7 dossier(s) "
        "(accompagnement-renforce-saint-pierre, competences-par-projets-tours, "
        "laboratoire-pedagogique-du-web-limoges, mobilite-numerique-brest, "
        "passerelle-entreprises-paris and 2 more) × 3 reviews = 21 > total load 18 of the 6 "
        "reviewer(s) who may review them (amelie-roux, bruno-keller, claire-nadeau, "
        "driss-amrani, emma-laurent and 1 more);"
    )


def test_a_withdrawn_reviewers_dossiers_move_and_only_those(call: Path) -> None:
    assert invoke("assign", ROUND, "--call", call).code == 0
    before = assignments(call)
    hers = before["driss-amrani"]
    assert hers
    replace(
        call / "call.yaml",
        "  - id: driss-amrani\n    name: Driss Amrani\n",
        "  - id: driss-amrani\n    name: Driss Amrani\n    available: false\n",
    )
    # Her dossiers are now short of a reviewer: validation says so.
    short = invoke("validate", "--call", call)
    assert short.code == 0
    assert "warning W016" not in short.out  # she is still listed: the file is as it was
    again = invoke("assign", ROUND, "--call", call)
    assert again.code == 0, again.err
    after = assignments(call)
    assert "driss-amrani" not in after
    old, new = by_dossier(before), by_dossier(after)
    for ident in old:
        if ident in hers:
            assert old[ident] - new[ident] == {"driss-amrani"}
            assert len(new[ident] - old[ident]) == 1
        else:
            assert new[ident] == old[ident], ident
    moved = [line for line in again.out.splitlines() if line.startswith("  ")]
    assert len(moved) == len(hers)
    for line in moved:
        ident, change = line.strip().split(": ")
        assert ident in hers
        assert change.startswith("driss-amrani -> ")
    assert again.out.splitlines()[-2] == f"{len(hers)} dossier(s) changed reviewers"


def test_rerunning_keeps_every_pair_and_reviews_already_in_count(call: Path) -> None:
    assert invoke("assign", ROUND, "--call", call).code == 0
    again = invoke("assign", ROUND, "--call", call)
    assert again.out.splitlines()[1] == "every pair of the previous assignment is kept"
    # 2022Q1's reviews are in: its assignment is exactly who graded what.
    kept = yaml.safe_load((EXAMPLE / "2022Q1" / "assignments.yaml").read_text("utf-8"))
    graded: dict[str, list[str]] = {}
    for path in sorted((EXAMPLE / "2022Q1" / "reviews").glob("*.yaml")):
        review = yaml.safe_load(path.read_text(encoding="utf-8"))
        graded[review["reviewer"]] = sorted(
            d for d, e in review["evaluations"].items() if "grades" in e
        )
    assert kept["reviewers"] == graded


def test_validate_checks_the_assignment(call: Path) -> None:
    assert invoke("assign", ROUND, "--call", call).code == 0
    path = call / ROUND / "assignments.yaml"
    reviewers = assignments(call)
    victim = reviewers["emma-laurent"][0]
    text = path.read_text(encoding="utf-8")
    # Give Amélie Roux the dossier she cannot review, in place of one of hers.
    hers = reviewers["amelie-roux"][0]
    text = text.replace(
        f'  amelie-roux:\n    - "{hers}"\n', f'  amelie-roux:\n    - "{CONFLICTED}"\n', 1
    )
    path.write_text(text, encoding="utf-8")
    found = invoke("validate", "--call", call)
    assert found.code == 1
    lines = found.out.splitlines()
    at = line_of(path, "  amelie-roux:") + 1
    assert lines[1] == (
        f"{path}:{at}:7: error E602 amelie-roux cannot review {CONFLICTED}: they are "
        "affiliated with Epitech (SIREN 662313436), which is a partner of dossier "
        f"{CONFLICTED}; run gen assign {ROUND} to give the dossier to another reviewer"
    )
    assert lines[0] == (
        f"{path}:4:1: warning W016 dossier {hers} has 2 reviewer(s) assigned, 3 required: "
        f"run gen assign {ROUND}"
    )
    # A review that grades a dossier not assigned to its reviewer is a warning, at its key.
    assert invoke("new", "review", ROUND, "emma-laurent", "--call", call).code == 0
    review = call / ROUND / "reviews" / "emma-laurent.yaml"
    stranger = next(d for d in by_dossier(reviewers) if d not in reviewers["emma-laurent"])
    graded = review.read_text(encoding="utf-8") + (
        f"  {stranger}:\n    grades: {{pertinence: 3}}\n"
    )
    review.write_text(graded, encoding="utf-8")
    found = invoke("validate", "--call", call)
    assert (
        f"{review}:{line_of(review, f'  {stranger}:')}:3: warning W015 {stranger} is not "
        f"assigned to emma-laurent in {ROUND}/assignments.yaml: grade only your assigned "
        "dossiers, or ask the secretariat to assign it to you"
    ) in found.out.splitlines()
    assert victim in review.read_text(encoding="utf-8")


def test_new_review_lists_exactly_the_assigned_dossiers(call: Path) -> None:
    assert invoke("assign", ROUND, "--call", call).code == 0
    mine = assignments(call)["bruno-keller"]
    assert invoke("new", "review", ROUND, "bruno-keller", "--call", call).code == 0
    review = yaml.safe_load(
        (call / ROUND / "reviews" / "bruno-keller.yaml").read_text(encoding="utf-8")
    )
    assert sorted(review["evaluations"]) == mine
    status = invoke("status", ROUND, "--call", call)
    assert (
        f"  reviewer bruno-keller: 0 of {len(mine)} assigned dossier(s) graded; 0 "
        f"evaluation(s) done, {len(mine)} still missing a grade, 0 conflict(s) declared"
    ) in status.out.splitlines()
    assert (
        "  reviewer amelie-roux: 3 of 4 assigned dossier(s) graded; 3 evaluation(s) done, "
        "0 still missing a grade, 0 conflict(s) declared"
    ) in status.out.splitlines()


def test_a_closed_round_is_not_assigned(call: Path) -> None:
    assert invoke("assign", "2021Q3", "--call", call) == Result(
        2, "", "gen: error: round 2021Q3 is closed: its reviews are in, nothing to assign\n"
    )


def test_conflict_keys_agree_with_conflict_of_interest() -> None:
    folder = load_call_folder(EXAMPLE)
    assert folder.call is not None
    found = 0
    for reviewer in folder.call.reviewers:
        keys = affiliation_keys(reviewer)
        for _, dossier in folder.dossiers:
            conflict = conflict_of_interest(reviewer, dossier) is not None
            assert keys_conflict(keys, organisation_keys(dossier)) is conflict
            # what a check holds of each dossier: its digests meet where the keys do
            digests = key_digests(organisation_keys(dossier))
            assert digests_meet(person_digests(reviewer), digests) is conflict
            found += conflict
    assert found == 2  # Epitech (partner of Tech My GE) and Ada Tech School (leads Lovelace)


# --- The solver on problems built directly --------------------------------------------------


@st.composite
def tasks(draw: st.DrawFn) -> Pairing:
    dossiers = [f"d{i}" for i in range(draw(st.integers(1, 12)))]
    reviewers = [f"r{i}" for i in range(draw(st.integers(1, 7)))]
    per = draw(st.integers(1, 3))
    allowed = {
        d: tuple(r for r in reviewers if draw(st.booleans()) or draw(st.booleans()))
        for d in dossiers
    }
    return Pairing(
        round="R",
        per_dossier=per,
        themes={d: draw(st.sampled_from(["a", "b"])) for d in dossiers},
        capacity={r: draw(st.integers(1, len(dossiers))) for r in reviewers},
        allowed=allowed,
        expert=frozenset((d, r) for d in dossiers for r in allowed[d] if draw(st.booleans())),
        kept=frozenset(),
    )


@examples(150)
@given(tasks())
def test_the_solver_meets_the_constraints_or_names_a_shortfall(task: Pairing) -> None:
    try:
        done = solve(task)
    except Unassignable as error:
        # The message's arithmetic is a true shortfall: demand above what can be served.
        text = str(error)
        demand = int(text.split(" reviews = ")[1].split(" >")[0])
        load = int(text.split("total load ")[1].split(" ")[0])
        assert demand > load
        return
    found = by_dossier(done.by_reviewer)
    assert {d: len(r) for d, r in found.items()} == dict.fromkeys(task.themes, task.per_dossier)
    for reviewer, ids in done.by_reviewer.items():
        assert len(ids) <= task.capacity[reviewer]
        assert all(reviewer in task.allowed[d] for d in ids)
    assert solve(task) == done  # deterministic


@examples(100)
@given(st.dictionaries(st.text("abc", min_size=1), st.integers(0, 50), min_size=1), st.data())
def test_shares_add_up_and_respect_capacities(caps: dict[str, int], data: st.DataObject) -> None:
    total = data.draw(st.integers(0, sum(caps.values())))
    fair = shares(caps, total)
    assert sum(fair.values()) == total
    assert all(fair[r] <= caps[r] for r in caps)
    # Nobody below their capacity gets less than anybody else.
    level = max(fair.values())
    assert all(fair[r] == level or fair[r] == caps[r] for r in caps)
