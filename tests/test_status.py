"""gen status on the example call: every count checked against the files themselves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from conftest import invoke, replace, run_gen, write

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def expected_reviewers(call: Path, round_id: str) -> dict[str, dict[str, int]]:
    """Per review file: evaluations fully graded, still missing a grade, conflicts."""
    spec = load(call / "call.yaml")
    criteria = {
        theme: [c["id"] for c in grid["criteria"] if c["source"] == "reviews"]
        for theme, grid in spec["grids"].items()
    }
    themes = {
        p.stem: load(p)["themes"][0]
        for p in (call / round_id).glob("*.yaml")
        if p.name not in {"results.yaml", "jury.yaml", "assignments.yaml"}
    }
    found = {}
    for path in sorted((call / round_id / "reviews").glob("*.yaml")):
        done = missing = conflicts = 0
        for dossier, evaluation in load(path)["evaluations"].items():
            if "conflict" in evaluation:
                conflicts += 1
            elif all(
                (evaluation.get("grades") or {}).get(c) is not None
                for c in criteria[themes[dossier]]
            ):
                done += 1
            else:
                missing += 1
        found[path.stem] = {"done": done, "missing": missing, "conflicts": conflicts}
    assigned = call / round_id / "assignments.yaml"
    if assigned.exists():  # each reviewer's assigned dossiers, all graded in the example
        for reviewer, ids in load(assigned)["reviewers"].items():
            found[reviewer].update(assigned=len(ids), assigned_done=found[reviewer]["done"])
    return found


def test_status_of_the_example_matches_its_files() -> None:
    result = run_gen("status", "--format", "json", "--call", EXAMPLE, script=True)
    assert result.code == 0, result.err
    rounds = {r["round"]: r for r in json.loads(result.out)["rounds"]}
    assert {r: s["state"] for r, s in rounds.items()} == {
        "2021Q3": "closed",
        "2021Q4": "closed",
        "2022Q1": "scored",
        "2022Q2": "open",
    }
    for round_id, status in rounds.items():
        files = [
            p
            for p in (EXAMPLE / round_id).glob("*.yaml")
            if p.name not in {"results.yaml", "jury.yaml", "assignments.yaml"}
        ]
        assert status["dossiers"]["received"] == len(files)
        assert status["dossiers"]["complete"] == len(files)  # the example has no error
        assert status["reviewers"] == expected_reviewers(EXAMPLE, round_id), round_id
    # eligible so far: the dossiers not recorded ineligible (the decided rounds' records)
    for round_id in ("2021Q3", "2021Q4", "2022Q1"):
        record = load(EXAMPLE / round_id / "results.yaml")
        eligible = sum(1 for d in record["decisions"].values() if d["status"] != "ineligible")
        assert rounds[round_id]["dossiers"]["eligible"] == eligible == record["totals"]["eligible"]
    # 2022Q2 has one sealed review, not opened without the identity: every dossier is
    # below the minimum, and every other reviewer has no file yet
    assert rounds["2022Q2"]["below_min_reviews"] == sorted(
        p.stem for p in (EXAMPLE / "2022Q2").glob("*.yaml")
    )
    assert rounds["2022Q2"]["sealed_not_opened"] == ["amelie-roux"]
    assert rounds["2022Q2"]["reviewers_without_file"] == [
        r["id"] for r in load(EXAMPLE / "call.yaml")["reviewers"] if r["id"] != "amelie-roux"
    ]
    assert rounds["2022Q2"]["blocks_scoring"][0] == (
        "it still takes dossiers: set submissions: closed in call.yaml after the deadline"
    )
    assert rounds["2022Q1"]["blocks_scoring"] == []
    assert rounds["2022Q1"]["blocks_closing"] == []
    assert rounds["2021Q3"]["blocks_closing"] == ["it is closed already"]
    # two declared conflicts in 2021Q3 (Epitech and Ada Tech School)
    assert sum(r["conflicts"] for r in rounds["2021Q3"]["reviewers"].values()) == 2


def test_status_text_and_what_blocks_closing(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    review = call / "2022Q1" / "reviews" / "amelie-roux.yaml"
    text = review.read_text(encoding="utf-8")
    # one grade erased: the evaluation is still missing a grade, and the record is stale
    head = "    grades:\n      pertinence: "
    at = text.index(head)
    end = text.index("\n", at + len(head))
    review.write_text(text[:at] + head.rstrip(" ") + text[end:], encoding="utf-8")
    result = invoke("status", "2022Q1", "--call", call)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "round 2022Q1: scored but not closed"
    assert lines[1] == "  dossiers: 30 received, 30 complete, 28 eligible so far"
    amelie = expected_reviewers(call, "2022Q1")["amelie-roux"]
    assert amelie["missing"] == 1
    assert (
        f"  reviewer amelie-roux: {amelie['assigned_done']} of {amelie['assigned']} assigned "
        f"dossier(s) graded; {amelie['done']} evaluation(s) done, 1 still missing a grade, "
        "0 conflict(s) declared"
    ) in lines
    assert lines[-2] == "  to score: nothing blocks it"
    assert lines[-1] == (
        "  to close: its record no longer matches its inputs, or was written by an earlier "
        "version of gen: run gen score and commit it"
    )


def test_status_counts_errors_and_unknown_rounds(tmp_path: Path) -> None:
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    write(call / "2022Q2" / "broken.yaml", "id: broken\n")
    replace(call / "call.yaml", "    submissions: open\n", "    submissions: closed\n")
    result = invoke("status", "2022Q2", "--call", call, "--format", "json")
    assert result.code == 0, result.err
    (status,) = json.loads(result.out)["rounds"]
    assert status["state"] == "review"
    assert status["dossiers"] == {"received": 7, "complete": 6, "eligible": 6}
    validated = invoke("validate", "--call", call)
    errors = sum(": error " in line for line in validated.out.splitlines())
    assert errors == 10  # broken.yaml lacks every required field but its id
    assert status["blocks_scoring"][0] == f"{errors} error(s) reported by gen validate"
    unknown = invoke("status", "2030Q1", "--call", call)
    assert unknown.code == 2
    assert unknown.err.startswith("gen: error: no round '2030Q1' in call.yaml (rounds: 2021Q3")
