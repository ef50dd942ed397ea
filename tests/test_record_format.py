"""What a decision record carries for an auditor (format 3), and records of an earlier format.

An auditor re-derives every figure from the record alone: the version of gen that computed
it, the decision's date and reference, the rules in clear (and their digest over them), each
grade raw and calibrated. A record written by an earlier gen stays valid.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Result, invoke, replace, run_gen

from gen_cli import __version__
from gen_cli.lifecycle import close_record
from gen_cli.loading import load_call_folder
from gen_cli.records import render_record, write_record
from gen_cli.rounds import check_call, score_round

HANDCALL = Path(__file__).parent / "fixtures" / "handcall"
R1 = "2023Q1"

pytestmark = pytest.mark.usefixtures("clean_git_env")


@pytest.fixture
def hand(tmp_path: Path) -> Path:
    """The hand call, with a decision date and reference for round 2023Q1."""
    call = Path(shutil.copytree(HANDCALL, tmp_path / "call"))
    replace(
        call / "call.yaml",
        "    closes: 2023-03-31\n",
        "    closes: 2023-03-31\n"
        "    decision_date: 2023-05-15\n    decision_reference: Délibération 2023-12\n",
    )
    return call


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def record_of(call: Path) -> Path:
    return call / R1 / "results.yaml"


def write_in_format(call: Path, fmt: int, *, closed: bool = False) -> None:
    """Write round 2023Q1's record as an earlier gen would have (optionally closed)."""
    checked = check_call(load_call_folder(call, str(call)))
    record = score_round(checked, R1, fmt=fmt).record
    if closed:
        on = date(2023, 11, 14)
        record = close_record(record, by="Claire Secrétaire", on=on, version="0.2.0")
    write_record(record_of(call), render_record(record))


def test_the_record_carries_version_decision_and_the_rules_in_clear(hand: Path) -> None:
    assert invoke("score", "--round", R1, "--call", hand).code == 0
    record = load(record_of(hand))
    assert record["format"] == 3
    assert record["gen"] == __version__
    assert record["decided"] == {"date": "2023-05-15", "reference": "Délibération 2023-12"}
    applied = record["rules_applied"]
    # The digest is taken over the rules in clear: an auditor recomputes it from the record.
    canonical = json.dumps(applied, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert record["rules"] == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    assert applied["round"] == {
        "id": R1,
        "opens": "2023-01-01",
        "closes": "2023-03-31",
        "envelope": {
            "amount": "100000",
            "themes": {
                "inclusion": {"min_share": "30", "max": None},
                "formation": {"min_share": None, "max": "35000"},
            },
            "unspent_theme": "pool",
        },
        "accept_late": None,
    }
    assert [r["id"] for r in applied["eligibility"]] == [
        r["id"] for r in load(hand / "call.yaml")["eligibility"]
    ]
    assert applied["scoring"]["threshold"] == "10"
    # An ineligible dossier did not compete: grades kept, no mark, no rank.
    lyon = record["decisions"]["grand-campus-lyon"]
    assert (lyon["status"], lyon["mark"], lyon["rank"]) == ("ineligible", None, None)
    assert lyon["criteria"]["qualite"]["grades"] == ["5", "5"]


def test_a_record_that_differs_only_by_gen_version_is_not_stale(hand: Path) -> None:
    assert invoke("score", "--round", R1, "--call", hand).code == 0
    path = record_of(hand)
    text = path.read_text(encoding="utf-8")
    assert f'\ngen: "{__version__}"\n' in text
    path.write_text(text.replace(f'\ngen: "{__version__}"\n', '\ngen: "0.2.9"\n'), "utf-8")
    assert invoke("score", "--check", "--call", hand) == Result(
        0, "every decision record matches its inputs\n", ""
    )
    # ... but any other difference is.
    path.write_text(text.replace('mark: "13.60"', 'mark: "13.61"', 1), "utf-8")
    stale = invoke("score", "--check", "--call", hand)
    assert stale.code == 1
    assert "stale record for round 2023Q1: decisions differ for" in stale.out


def test_a_scored_record_of_format_2_is_checked_in_its_format(hand: Path) -> None:
    write_in_format(hand, 2)
    old = load(record_of(hand))
    assert old["format"] == 2
    assert "rules_applied" not in old and "gen" not in old
    assert old["decisions"]["grand-campus-lyon"]["mark"] == "20.00"
    assert run_gen("validate", "--call", hand).code == 0
    assert invoke("score", "--check", "--call", hand) == Result(
        0, "every decision record matches its inputs\n", ""
    )
    # Closing asks for the record in the current format first.
    refused = invoke("close", R1, "--by", "Claire", "--call", hand)
    assert refused.code == 1
    assert refused.err == (
        f"gen: error: round {R1}'s decision record no longer matches its inputs, or was written "
        f"by an earlier version of gen: run gen score --round {R1}, review and commit the "
        "record, then close it\n"
    )
    assert load(record_of(hand)) == old
    assert invoke("score", "--round", R1, "--call", hand).code == 0
    assert load(record_of(hand))["format"] == 3
    assert invoke("close", R1, "--by", "Claire", "--call", hand).code == 0


def test_a_closed_record_of_format_2_stays_valid_and_amending_upgrades_it(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_in_format(hand, 2, closed=True)
    before = record_of(hand).read_bytes()
    assert invoke("validate", "--call", hand).code == 0
    assert invoke("publish", "--out", hand.parent / "site", "--call", hand).code == 0
    assert record_of(hand).read_bytes() == before
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1710000000")
    amended = invoke(
        "amend", R1, "--by", "Claire", "--reason", "Record rewritten by gen 0.3", "--call", hand
    )
    assert amended.code == 0, amended
    record = load(record_of(hand))
    assert record["format"] == 3
    assert record["closed"] == {"by": "Claire Secrétaire", "on": "2023-11-14", "gen": "0.2.0"}
    (amendment,) = record["amendments"]
    assert amendment["format"] == {"before": 2, "after": 3}
    # Only the ineligible dossier's mark moved: no decision changed.
    assert amendment["decisions"] == ["grand-campus-lyon"]
    assert amendment["files"] == {}
    assert invoke("validate", "--call", hand).code == 0


def test_a_closed_rounds_decision_date_cannot_be_rewritten(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert invoke("score", "--round", R1, "--call", hand).code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert invoke("close", R1, "--by", "Claire", "--call", hand).code == 0
    replace(hand / "call.yaml", "decision_date: 2023-05-15", "decision_date: 2023-06-15")
    found = invoke("validate", "--call", hand)
    assert found.code == 1
    assert found.out.splitlines()[0] == (
        f"{hand}/call.yaml:21:5: error E402 round 2023Q1 is closed and its record says it was "
        "decided with date 2023-05-15, reference Délibération 2023-12, but call.yaml says "
        "date 2023-06-15, reference Délibération 2023-12 (decision_date, decision_reference): "
        "restore call.yaml, or the record, from git"
    )
