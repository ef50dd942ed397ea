"""The lifecycle of a round (open, review, scored, closed), amendments, and deadlines from git.

Every test works on real files in tmp_path: copies of tests/fixtures/handcall and
tests/fixtures/minimal, and real git repositories with pinned dates and identities.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MINIMAL, Result, invoke, line_of, replace, run_gen, write

from gen_cli import __version__
from gen_cli.git import SHALLOW_MESSAGE
from gen_cli.records import read_record, render_record, seal_of

HANDCALL = Path(__file__).parent / "fixtures" / "handcall"

#: 2023-11-14 (UTC): the day rounds are closed in these tests.
CLOSED_ON = "1700000000"
#: 2024-03-09 (UTC): the day they are amended.
AMENDED_ON = "1710000000"

FIX_Q1 = "undo the change, or record why with gen amend 2023Q1 --reason '…'"


pytestmark = pytest.mark.usefixtures("clean_git_env")


def summary(rounds: int = 2, dossiers: int = 15, reviews: int = 5, errors: int = 0) -> str:
    """The last line gen validate prints on the hand call."""
    found = "1 error" if errors == 1 else f"{errors} errors"
    return (
        f"checked 1 call file, {rounds} rounds, {dossiers} dossiers, {reviews} reviews: "
        f"{found}, 0 warnings\n"
    )


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def hand(tmp_path: Path) -> Path:
    """A fresh copy of the hand-computed call (rounds 2023Q1 and 2023Q2, both in review)."""
    return Path(shutil.copytree(HANDCALL, tmp_path / "call"))


def closed_q1(call: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Score and close round 2023Q1 of the hand call (in process); return its record."""
    assert invoke("score", "--round", "2023Q1", "--call", call).code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", CLOSED_ON)
    closed = invoke("close", "2023Q1", "--by", "Claire Secrétaire", "--call", call)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert closed.code == 0, closed
    return call / "2023Q1" / "results.yaml"


def validate(call: Path, *more: str) -> Result:
    return invoke("validate", "--call", call, *more)


# --- 1. score → close → frozen ---------------------------------------------------------------


def test_score_close_validate_and_refuse_to_score_again(hand: Path) -> None:
    record = hand / "2023Q1" / "results.yaml"
    scored = run_gen("score", "--round", "2023Q1", "--call", hand, script=True)
    assert scored.code == 0, scored.err
    assert scored.out.endswith(f"\nwrote {hand}/2023Q1/results.yaml\n")
    assert "closed" not in load(record)

    closed = run_gen(
        "close",
        "2023Q1",
        "--by",
        "Claire Secrétaire",
        "--call",
        hand,
        script=True,
        SOURCE_DATE_EPOCH=CLOSED_ON,
    )
    assert (closed.code, closed.err) == (0, "")
    assert closed.out == (
        f"closed round 2023Q1: its decisions are final; commit {hand}/2023Q1/results.yaml\n"
    )
    data = load(record)
    assert data["closed"] == {"by": "Claire Secrétaire", "on": "2023-11-14", "gen": __version__}
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", data["seal"])
    assert data["seal"] == seal_of(data)
    assert "amendments" not in data
    assert data["format"] == 3
    assert data["totals"]["granted"] == "95000.00"

    assert validate(hand) == Result(0, summary(), "")
    assert run_gen("validate", "--call", hand) == Result(0, summary(), "")

    before = record.read_bytes()
    again = run_gen("score", "--round", "2023Q1", "--call", hand, script=True)
    assert again == Result(
        2,
        "",
        "gen: error: round 2023Q1 is closed: its decisions are final. To correct them, "
        "change the files, then run gen amend 2023Q1 --reason '…'\n",
    )
    assert record.read_bytes() == before
    # --all scores the rounds in review and leaves the closed one alone.
    every = invoke("score", "--all", "--call", hand)
    assert every.code == 0, every
    assert every.out.endswith(f"\nwrote {hand}/2023Q2/results.yaml\n")
    assert f"wrote {hand}/2023Q1/results.yaml" not in every.out
    assert record.read_bytes() == before
    # A closed round stays closed.
    twice = invoke("close", "2023Q1", "--by", "X", "--call", hand)
    assert twice == Result(
        2, "", "gen: error: round 2023Q1 is closed: only a scored round closes\n"
    )
    assert record.read_bytes() == before
    # --check passes: the closed record matches what its inputs give.
    check = invoke("score", "--check", "--call", hand)
    assert check == Result(0, "every decision record matches its inputs\n", "")


def test_a_round_whose_record_cannot_be_written_leaves_every_round_unwritten(
    hand: Path,
) -> None:
    # 2023Q1 is computed (and its record written beside its place) before 2023Q2 finds a
    # file gen did not write where its record goes: neither record is put in place.
    foreign = write(hand / "2023Q2" / "results.yaml", "id: results\ntitle: misplaced\n")
    refused = run_gen("score", "--all", "--call", hand)
    assert refused.code == 2, refused.err
    assert refused.err.endswith(
        f"gen: error: {hand}/2023Q2/results.yaml is not a decision record written by gen: "
        "move it away first\n"
    )
    assert not (hand / "2023Q1" / "results.yaml").exists()
    assert foreign.read_text(encoding="utf-8") == "id: results\ntitle: misplaced\n"
    assert sorted(p.name for p in hand.rglob(".results.yaml*")) == []
    # moved away, both are written, and are the records --dry-run --format json shows
    foreign.unlink()
    shown = invoke("score", "--all", "--dry-run", "--format", "json", "--call", hand)
    scored = invoke("score", "--all", "--call", hand)
    assert scored.code == 0, scored
    assert scored.out.endswith(
        f"\nwrote {hand}/2023Q1/results.yaml\nwrote {hand}/2023Q2/results.yaml\n"
    )
    written = [read_record(hand / round_id / "results.yaml") for round_id in ("2023Q1", "2023Q2")]
    assert written == json.loads(shown.out)
    assert [
        (hand / r / "results.yaml").read_text(encoding="utf-8") for r in ("2023Q1", "2023Q2")
    ] == [render_record(record) for record in json.loads(shown.out)]
    assert sorted(p.name for p in hand.rglob(".results.yaml*")) == []


def test_close_needs_a_scored_round_that_matches_its_inputs(hand: Path) -> None:
    in_review = invoke("close", "2023Q2", "--by", "X", "--call", hand)
    assert in_review == Result(
        2,
        "",
        "gen: error: round 2023Q2 is in review (not scored yet): only a scored round closes\n",
    )
    assert invoke("score", "--round", "2023Q2", "--call", hand).code == 0
    replace(hand / "2023Q2/sentier-tulle.yaml", "\ntitle: ", "\ntitle: Nouveau titre, ")
    stale = invoke("close", "2023Q2", "--by", "X", "--call", hand)
    assert stale == Result(
        1,
        "",
        "gen: error: round 2023Q2's decision record no longer matches its inputs, or was "
        "written by an earlier version of gen: run gen score --round 2023Q2, review and "
        "commit the record, then close it\n",
    )
    assert "closed" not in load(hand / "2023Q2/results.yaml")
    nobody = invoke("close", "2023Q2", "--by", "  ", "--call", hand)
    assert nobody == Result(
        2, "", "gen: error: say who does this: --by NAME (or set git config user.name)\n"
    )


def test_an_open_round_is_not_scored_but_previewed(hand: Path) -> None:
    call = hand / "call.yaml"
    replace(call, "    closes: 2023-06-30\n    submissions: closed\n", "    closes: 2023-06-30\n")
    refused = run_gen("score", "--round", "2023Q2", "--call", hand)
    assert refused == Result(
        2,
        "",
        "gen: error: round 2023Q2 still takes dossiers (submissions: open in call.yaml): set "
        "submissions: closed once its deadline has passed, then score it (gen score --dry-run "
        "shows the outcome so far without writing)\n",
    )
    preview = run_gen("score", "--round", "2023Q2", "--dry-run", "--call", hand)
    assert preview.code == 0, preview.err
    assert "2 laureate(s) of 4 dossier(s); envelope 50,000.00 EUR" in preview.out
    assert "wrote" not in preview.out
    assert not (hand / "2023Q2/results.yaml").exists()


# --- 2. amendments -------------------------------------------------------------------------


def test_a_changed_dossier_is_e401_then_amended_and_published(
    hand: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Publishing needs the date of the grant decision; adding it does not touch the rules.
    replace(
        hand / "call.yaml",
        "    closes: 2023-03-31\n",
        "    closes: 2023-03-31\n    decision_date: 2023-05-15\n",
    )
    record = closed_q1(hand, monkeypatch)
    dossier = hand / "2023Q1/atelier-brest.yaml"
    old_bytes = dossier.read_bytes()
    replace(
        dossier,
        "  total_cost: 12500\n  requested: 10000\n",
        "  total_cost: 14500\n  requested: 12000\n",
    )

    found = run_gen("validate", "--call", hand, script=True)
    assert found == Result(
        1,
        f"{dossier}:1:1: error E401 round 2023Q1 is closed and this file changed since; "
        f"{FIX_Q1}\n" + summary(errors=1),
        "",
    )
    # A frozen round is not re-scored in place.
    assert invoke("score", "--round", "2023Q1", "--call", hand).code == 2

    amended = run_gen(
        "amend",
        "2023Q1",
        "--reason",
        "Erreur de saisie corrigée",
        "--by",
        "Claire",
        "--call",
        hand,
        script=True,
        SOURCE_DATE_EPOCH=AMENDED_ON,
    )
    assert amended == Result(
        0,
        "amended round 2023Q1: 1 file(s) changed, decisions changed for atelier-brest; "
        f"commit {hand}/2023Q1/results.yaml\n",
        "",
    )
    assert validate(hand) == Result(0, summary(), "")
    data = load(record)
    assert data["closed"] == {"by": "Claire Secrétaire", "on": "2023-11-14", "gen": __version__}
    assert data["amendments"] == [
        {
            "on": "2024-03-09",
            "by": "Claire",
            "reason": "Erreur de saisie corrigée",
            "gen": __version__,
            "files": {
                "2023Q1/atelier-brest.yaml": {
                    "before": sha256(old_bytes),
                    "after": sha256(dossier.read_bytes()),
                }
            },
            "decisions": ["atelier-brest"],
        }
    ]
    assert data["inputs"]["2023Q1/atelier-brest.yaml"] == sha256(dossier.read_bytes())
    assert data["decisions"]["atelier-brest"]["granted"] == "12000.00"
    assert data["totals"]["granted"] == "97000.00"
    assert data["seal"] == seal_of(data)
    assert invoke("score", "--check", "--call", hand).code == 0

    # Nothing changed since: nothing to amend, and the record stays as it is.
    before = record.read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", AMENDED_ON)
    nothing = invoke("amend", "2023Q1", "--reason", "Encore", "--by", "Claire", "--call", hand)
    assert nothing == Result(
        2, "", "gen: error: nothing changed in round 2023Q1 since it was closed: nothing to amend\n"
    )
    assert record.read_bytes() == before

    out = tmp_path / "site"
    published = run_gen(
        "publish", "--call", hand, "--out", out, script=True, SOURCE_DATE_EPOCH=AMENDED_ON
    )
    assert published == Result(
        0,
        f"published 4 laureate(s) of 1 round(s), 21 files in {out}; open {out}/index.html\n",
        "",
    )
    page = (out / "rounds/2023Q1.html").read_text(encoding="utf-8")
    assert (
        '<h2 id="amendments">Modifications après clôture</h2>\n<ul>\n'
        "<li>9 mars 2024\u00a0: Erreur de saisie corrigée</li>\n</ul>" in page
    )
    assert not (out / "rounds/2023Q2.html").exists()  # in review: never published


def test_amend_without_a_decision_change_and_refusals(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = closed_q1(hand, monkeypatch)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", AMENDED_ON)
    not_closed = invoke("amend", "2023Q2", "--reason", "r", "--by", "X", "--call", hand)
    assert not_closed == Result(
        2,
        "",
        "gen: error: round 2023Q2 is in review (not scored yet): only a closed round is amended\n",
    )
    replace(hand / "2023Q1/atelier-brest.yaml", "Un projet fictif", "Un projet imaginaire")
    no_reason = invoke("amend", "2023Q1", "--reason", "  ", "--by", "X", "--call", hand)
    assert no_reason == Result(2, "", "gen: error: say why the round is amended: --reason TEXT\n")
    not_late = invoke(
        "amend",
        "2023Q1",
        "--reason",
        "r",
        "--by",
        "X",
        "--accept-late",
        "atelier-brest",
        "--call",
        hand,
    )
    assert not_late == Result(
        2, "", "gen: error: dossier 'atelier-brest' is not a late dossier of round 2023Q1\n"
    )
    amended = invoke("amend", "2023Q1", "--reason", "Résumé reformulé", "--by", "X", "--call", hand)
    assert amended == Result(
        0,
        "amended round 2023Q1: 1 file(s) changed, no decision changed; "
        f"commit {hand}/2023Q1/results.yaml\n",
        "",
    )
    (amendment,) = load(record)["amendments"]
    assert amendment["decisions"] == []
    assert list(amendment["files"]) == ["2023Q1/atelier-brest.yaml"]
    assert "rules" not in amendment and "available" not in amendment
    assert validate(hand).code == 0


def test_added_and_removed_files_of_a_closed_round_are_e401(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = closed_q1(hand, monkeypatch)
    added = write(
        hand / "2023Q1/zz-nouveau.yaml",
        (hand / "2023Q1/atelier-brest.yaml")
        .read_text(encoding="utf-8")
        .replace("id: atelier-brest", "id: zz-nouveau"),
    )
    assert validate(hand) == Result(
        1,
        f"{added}:1:1: error E401 round 2023Q1 is closed and this file was added since; "
        f"{FIX_Q1}\n" + summary(dossiers=16, errors=1),
        "",
    )
    added.unlink()
    (hand / "2023Q1/reviews/chloe-lambert.yaml").unlink()
    assert validate(hand) == Result(
        1,
        f"{record}:1:1: error E401 round 2023Q1 is closed and 2023Q1/reviews/chloe-lambert.yaml "
        f"was removed since; {FIX_Q1}\n" + summary(reviews=4, errors=1),
        "",
    )


# --- 3. what in call.yaml freezes a closed round -------------------------------------------


def test_unrelated_call_changes_leave_a_closed_round_valid(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_q1(hand, monkeypatch)
    call = hand / "call.yaml"
    replace(call, "      fr: Inclusion numérique\n", "      fr: Inclusion numérique et sociale\n")
    replace(
        call,
        "        label: {fr: Impact, en: Impact}\n        weight: 2",
        "        label: {fr: Impact social, en: Social impact}\n        weight: 2",
    )
    replace(
        call,
        "message: La subvention demandée est comprise entre 5 000 et 50 000 euros.",
        "message: Entre 5 000 et 50 000 euros demandés.",
    )
    replace(
        call,
        "    closes: 2023-03-31\n",
        "    closes: 2023-03-31\n"
        "    decision_date: 2023-05-15\n    decision_reference: Délibération 2023-12\n",
    )
    replace(
        call,
        "  - id: bruno-dubois\n    name: Bruno Dubois\n",
        "  - id: bruno-dubois\n    name: Bruno Dubois-Martin\n",
    )
    replace(
        call,
        "eligibility:\n",
        "  - id: 2023Q3\n    opens: 2023-07-01\n"
        "    closes: 2023-09-30\n    envelope:\n      amount: 40000\neligibility:\n",
    )
    assert validate(hand) == Result(0, summary(rounds=3), "")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            "        weight: 2\n        source: reviews\n        scale: {min: 0, max: 5}\n"
            "        minimum: 2\n",
            "        weight: 3\n        source: reviews\n        scale: {min: 0, max: 5}\n"
            "        minimum: 2\n",
            id="criterion-weight",
        ),
        pytest.param("    max: 50000\n", "    max: 60000\n", id="eligibility-bound"),
        pytest.param("  threshold: 10\n", "  threshold: 11\n", id="scoring-threshold"),
        pytest.param("  waiting_list: 1\n", "  waiting_list: 2\n", id="selection"),
        pytest.param("    closes: 2023-03-31\n", "    closes: 2023-04-03\n", id="round-closes"),
        pytest.param(
            '        siren: "823456785"\n', '        siren: "823456793"\n', id="affiliation"
        ),
    ],
)
def test_a_rule_that_decided_a_closed_round_is_e402_at_the_round(
    hand: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    closed_q1(hand, monkeypatch)
    call = hand / "call.yaml"
    at = line_of(call, "- id: 2023Q1")
    replace(call, old, new)
    assert validate(hand) == Result(
        1,
        f"{call}:{at}:5: error E402 round 2023Q1 is closed and call.yaml changed a rule that "
        "decided it (its envelope, eligibility, grids, scoring, selection or reviewers' "
        f"affiliations); {FIX_Q1}\n" + summary(errors=1),
        "",
    )


def test_the_round_envelope_is_e402_at_the_round(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_q1(hand, monkeypatch)
    call = hand / "call.yaml"
    replace(call, "      amount: 100000\n", "      amount: 90000\n")
    found = validate(hand)
    assert found.code == 1
    assert (
        f"{call}:{line_of(call, '- id: 2023Q1')}:5: error E402 round 2023Q1 is closed and "
        "call.yaml changed a rule that decided it (its envelope, eligibility, grids, scoring, "
        f"selection or reviewers' affiliations); {FIX_Q1}\n"
    ) in found.out


def test_the_round_envelope_is_one_e402_not_blamed_on_the_budget(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_q1(hand, monkeypatch)
    replace(hand / "call.yaml", "      amount: 100000\n", "      amount: 90000\n")
    found = validate(hand)
    assert found.out.count("E402") == 1, found.out


def test_the_call_budget_is_e402_at_the_budget(hand: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    closed_q1(hand, monkeypatch)
    call = hand / "call.yaml"
    # What a round can spend falls below its envelope only if the budget falls below the
    # rounds' envelopes (E307 too); E402 then says why the closed round is concerned.
    replace(call, "budget: 200000\n", "budget: 90000\n")
    found = validate(hand)
    assert found.code == 1
    assert (
        f"{call}:{line_of(call, 'budget: 90000')}:9: error E402 round 2023Q1 is closed and "
        "could spend 100000.00 when it was decided; with the call's budget and the earlier "
        "rounds' grants as they are now it could spend 90000.00; " + FIX_Q1 + "\n"
    ) in found.out


def test_a_reviewer_for_the_next_round_leaves_a_closed_round_valid(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed_q1(hand, monkeypatch)
    call = hand / "call.yaml"
    text = call.read_text(encoding="utf-8")
    call.write_text(text + "  - id: denise-roux\n    name: Denise Roux\n", encoding="utf-8")
    assert validate(hand) == Result(0, summary(), "")


def test_an_amendment_keeps_the_rules_and_what_the_round_could_spend(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = closed_q1(hand, monkeypatch)
    old = load(record)
    replace(hand / "call.yaml", "      amount: 100000\n", "      amount: 90000\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", AMENDED_ON)
    amended = invoke(
        "amend",
        "2023Q1",
        "--reason",
        "Enveloppe réduite par le conseil",
        "--by",
        "Claire",
        "--call",
        hand,
    )
    assert amended.code == 0, amended
    assert amended.out.startswith("amended round 2023Q1: 0 file(s) changed, ")
    new = load(record)
    (amendment,) = new["amendments"]
    assert amendment["files"] == {}
    assert amendment["rules"] == {"before": old["rules"], "after": new["rules"]}
    assert old["rules"] != new["rules"]
    assert amendment["available"] == {"before": "100000.00", "after": "90000.00"}
    assert new["envelope"]["amount"] == "90000.00"
    assert validate(hand) == Result(0, summary(), "")


def test_publish_closed_rounds_and_with_draft_the_scored_ones(
    hand: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = hand / "call.yaml"
    replace(
        call, "    closes: 2023-03-31\n", "    closes: 2023-03-31\n    decision_date: 2023-05-15\n"
    )
    replace(
        call, "    closes: 2023-06-30\n", "    closes: 2023-06-30\n    decision_date: 2023-08-15\n"
    )
    closed_q1(hand, monkeypatch)
    assert invoke("score", "--round", "2023Q2", "--call", hand).code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", AMENDED_ON)
    final = invoke("publish", "--call", hand, "--out", tmp_path / "final")
    assert final.code == 0, final
    assert final.out.startswith("published 4 laureate(s) of 1 round(s), ")
    assert sorted(p.name for p in (tmp_path / "final/rounds").iterdir()) == ["2023Q1.html"]
    page = (tmp_path / "final/rounds/2023Q1.html").read_text(encoding="utf-8")
    assert "Modifications après clôture" not in page  # never amended
    draft = invoke("publish", "--draft", "--call", hand, "--out", tmp_path / "draft")
    assert draft.code == 0, draft
    assert draft.out.startswith("published 6 laureate(s) of 2 round(s), ")
    scored = invoke("publish", "--round", "2023Q2", "--call", hand, "--out", tmp_path / "x")
    assert scored == Result(
        2,
        "",
        "gen: error: round 2023Q2 is scored but not closed: publish it with --draft, or close "
        "it with gen close\n",
    )


# --- 4. a hand-edited record ----------------------------------------------------------------


def test_a_hand_edited_closed_record_is_e403(hand: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = closed_q1(hand, monkeypatch)
    text = record.read_text(encoding="utf-8")
    start = text.index("\n  atelier-brest:\n")
    at = text.index('granted: "10000.00"', start)
    record.write_text(text[:at] + 'granted: "11000.00"' + text[at + 19 :], encoding="utf-8")
    message = (
        f"{record}:1:1: error E403 round 2023Q1 is closed and its decision record was edited "
        "by hand (its seal no longer matches); restore it from git\n"
    )
    assert run_gen("validate", "--call", hand, script=True) == Result(
        1, message + summary(errors=1), ""
    )
    # An amendment does not launder a hand edit.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", AMENDED_ON)
    refused = invoke("amend", "2023Q1", "--reason", "r", "--by", "X", "--call", hand)
    assert refused.code == 1
    assert refused.err.endswith(
        message + summary(errors=1) + "gen: error: refusing to amend: gen validate finds "
        "1 other error(s) in round 2023Q1; fix them first\n"
    )


def test_a_tampered_earlier_record_does_not_decide_the_next_round(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = closed_q1(hand, monkeypatch)
    text = record.read_text(encoding="utf-8")
    at = text.index('  granted: "95000.00"', text.index("\nenvelope:\n"))
    record.write_text(text[:at] + '  granted: "190000.00"' + text[at + 21 :], encoding="utf-8")
    assert "E403" in validate(hand).out
    scored = invoke("score", "--round", "2023Q2", "--call", hand)
    assert scored.code != 0, scored.out
    assert not (hand / "2023Q2/results.yaml").exists()


def test_removing_closed_from_a_sealed_record_is_e403(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = closed_q1(hand, monkeypatch)
    text = record.read_text(encoding="utf-8")
    record.write_text(re.sub(r"\nclosed:\n(  .*\n)+", "\n", text, count=1), encoding="utf-8")
    assert "seal:" in record.read_text(encoding="utf-8")
    found = validate(hand)
    assert found.code == 1
    assert "E403" in found.out


# --- 5. unreadable records, and a record for an open round -----------------------------------


def test_a_folder_where_the_record_goes_is_e404(hand: Path) -> None:
    (hand / "2023Q1/results.yaml").mkdir()
    found = validate(hand)
    assert found.code == 1
    assert found.out.startswith(
        f"{hand}/2023Q1/results.yaml:1:1: error E404 {hand}/2023Q1/results.yaml is not a "
        "regular file: remove it so gen can write the record\n"
    )
    assert found.out.endswith(
        "checked 1 call file, 2 rounds, 15 dossiers, 5 reviews: 1 error, 1 warning\n"
    )
    # 2023Q2 waits: what 2023Q1 granted decides what it may spend.
    assert invoke("score", "--round", "2023Q2", "--call", hand).code == 1
    refused = invoke("score", "--round", "2023Q1", "--call", hand)
    assert refused.code == 2
    assert refused.err.endswith(
        f"gen: error: {hand}/2023Q1/results.yaml is not a regular file: remove it so gen can "
        "write the record\n"
    )


@pytest.mark.parametrize("closed", [False, True])
def test_garbage_in_a_record_is_e404_or_e403_when_it_was_closed(
    hand: Path, monkeypatch: pytest.MonkeyPatch, closed: bool
) -> None:
    record = hand / "2023Q1/results.yaml"
    if closed:
        closed_q1(hand, monkeypatch)
        text = record.read_text(encoding="utf-8")
        record.write_text(text[: len(text) // 2] + "\n  - [unclosed\n", encoding="utf-8")
        line = (
            "error E403 round 2023Q1 is closed and its decision record can no longer be read "
            "(edited by hand?); restore it from git"
        )
    else:
        write(record, "# Decision record written by `gen score --round 2023Q1`.\n: : [garbage\n")
        line = (
            "error E404 cannot read round 2023Q1's decision record (not valid, or written by "
            "another version of gen); run gen score --round 2023Q1 to write it again"
        )
    assert validate(hand) == Result(1, f"{record}:1:1: {line}\n" + summary(errors=1), "")
    # What 2023Q1 granted decides what 2023Q2 may spend: the later round waits too.
    later = invoke("score", "--round", "2023Q2", "--call", hand)
    assert later.code == 1
    assert later.err.endswith(
        "gen: error: refusing to score: gen validate finds 1 error(s) that concern round(s) "
        "2023Q1; fix them first\n"
    )


def test_gen_score_does_not_overwrite_a_damaged_closed_record(
    hand: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = closed_q1(hand, monkeypatch)
    text = record.read_text(encoding="utf-8")
    record.write_text(text[: len(text) // 2] + "\n  - [unclosed\n", encoding="utf-8")
    scored = invoke("score", "--round", "2023Q1", "--call", hand)
    assert scored.code != 0
    assert "closed:" in record.read_text(encoding="utf-8")


def test_a_record_for_a_round_still_open_is_e405(hand: Path) -> None:
    assert invoke("score", "--round", "2023Q1", "--call", hand).code == 0
    call = hand / "call.yaml"
    replace(
        call,
        "    closes: 2023-03-31\n    submissions: closed\n",
        "    closes: 2023-03-31\n    submissions: open\n",
    )
    assert run_gen("validate", "--call", hand, script=True) == Result(
        1,
        f"{call}:{line_of(call, '- id: 2023Q1')}:5: error E405 round 2023Q1 has a decision "
        "record but call.yaml says it still takes dossiers; set submissions: closed\n"
        + summary(errors=1),
        "",
    )
    assert invoke("score", "--round", "2023Q2", "--call", hand).code == 0


# --- 6. deadlines from git -----------------------------------------------------------------

APPLICANT = ("Ada Applicant", "ada@example.org")
FUNDER = ("Grace Funder", "grace@example.org")
#: The day the call was committed, long before round 2022Q1 closes (2022-03-31).
OPENED = "2022-01-05T10:00:00+01:00"
LATE_MERGE = "2022-04-02T10:00:00+02:00"
LATE_REASON = (
    "dans-les-temps: Le dossier est déposé pendant la période du relevé (brought in by "
    "commit {sha} on 2022-04-02, after round 2022Q1 closed on 2022-03-31)"
)
ACCEPT_LATE = (
    "    accept_late:\n      dossiers: all\n      reason: Test data, kept in gen's own repository\n"
)


def git(
    repo: Path,
    *args: str,
    who: tuple[str, str] = FUNDER,
    date: str = OPENED,
    author_date: str | None = None,
) -> str:
    """Run git with no outside configuration and pinned identities and dates."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": who[0],
        "GIT_AUTHOR_EMAIL": who[1],
        "GIT_COMMITTER_NAME": who[0],
        "GIT_COMMITTER_EMAIL": who[1],
        "GIT_AUTHOR_DATE": author_date or date,
        "GIT_COMMITTER_DATE": date,
    }
    completed = subprocess.run(
        [
            "git",
            "-c",
            f"user.name={who[0]}",
            "-c",
            f"user.email={who[1]}",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def call_repo(tmp_path: Path, where: str = ".") -> tuple[Path, Path]:
    """A repository holding the minimal call (without accept_late) at ``where``, committed.

    Returns the repository and the call folder.
    """
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--template=", "-b", "main")
    call = Path(shutil.copytree(MINIMAL, repo / where, dirs_exist_ok=True))
    text = (call / "call.yaml").read_text(encoding="utf-8")
    assert text.count(ACCEPT_LATE) == 2
    (call / "call.yaml").write_text(text.replace(ACCEPT_LATE, ""), encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "Ouvre l'appel")
    return repo, call


def lovelace(submitted: str = "2022-03-15") -> str:
    """A dossier for round 2022Q1 whose ``submitted`` date the applicant chose."""
    text = (MINIMAL / "2022Q1/atelier-clermont.yaml").read_text(encoding="utf-8")
    text = text.replace("id: atelier-clermont\n", "id: lovelace\n")
    # atelier-clermont asks 80.0 % of its cost, above the cost-share rule: ask less.
    text = text.replace("  total_cost: 50000.50\n", "  total_cost: 60000.50\n")
    text = text.replace("  other_funding: 10000\n", "  other_funding: 20000\n")
    return text.replace("submitted: 2022-01-10\n", f"submitted: {submitted}\n")


def submit(
    repo: Path,
    call: Path,
    merged_at: str,
    ident: str = "lovelace",
    submitted: str = "2022-03-15",
    merge: bool = True,
) -> str:
    """An applicant's branch adding a dossier (back-dated), merged --no-ff by the funder.

    Returns the sha of the merge commit (or of the applicant's commit, unmerged).
    """
    git(repo, "switch", "--quiet", "-c", ident)
    write(call / f"2022Q1/{ident}.yaml", lovelace(submitted).replace("lovelace", ident))
    git(repo, "add", "--all")
    git(
        repo,
        "commit",
        "--quiet",
        "-m",
        f"Dépose {ident}",
        who=APPLICANT,
        date="2022-03-20T09:00:00+01:00",
        author_date="2022-02-01T09:00:00+01:00",
    )
    if not merge:
        return git(repo, "rev-parse", "HEAD")
    git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-ff", "-m", f"Merge {ident}", ident, date=merged_at)
    return git(repo, "rev-parse", "HEAD")


def e214(shown: str, line: int, sha: str, day: str = "2022-04-02", ident: str = "lovelace") -> str:
    return (
        f"{shown}:{line}:12: error E214 this dossier was merged by commit {sha[:12]} "
        f"('Merge {ident}') on {day}, after round 2022Q1 closed on 2022-03-31: it is "
        "ineligible, whatever its submitted date says (the deadline is the date the funder "
        "merged it). The refusal is recorded when the round is scored; if the dossier was on "
        "time, accept it with accept_late in call.yaml (its submitted date must be inside the "
        "window)\n"
    )


def minimal_summary(dossiers: int = 5, errors: int = 0, warnings: int = 0) -> str:
    found = "1 error" if errors == 1 else f"{errors} errors"
    warned = "1 warning" if warnings == 1 else f"{warnings} warnings"
    return f"checked 1 call file, 2 rounds, {dossiers} dossiers, 2 reviews: {found}, {warned}\n"


@pytest.mark.parametrize("where", [".", "dossiers"])
def test_a_dossier_merged_after_the_deadline_is_e214_then_recorded_ineligible(
    tmp_path: Path, where: str
) -> None:
    repo, call = call_repo(tmp_path, where)
    merge = submit(repo, call, LATE_MERGE)
    dossier = call / "2022Q1/lovelace.yaml"
    shown = "2022Q1/lovelace.yaml" if where == "." else "dossiers/2022Q1/lovelace.yaml"
    # No --call: gen finds call.yaml in the current folder, or in ./dossiers.
    found = run_gen("validate", cwd=repo, script=True)
    assert found == Result(
        1, e214(shown, line_of(dossier, "submitted:"), merge) + minimal_summary(errors=1), ""
    )
    scored = run_gen("score", "--round", "2022Q1", cwd=repo, script=True)
    assert scored.code == 0, scored.err
    shown_record = "2022Q1/results.yaml" if where == "." else "dossiers/2022Q1/results.yaml"
    assert scored.out.endswith(f"\nwrote {shown_record}\n")
    decision = load(call / "2022Q1/results.yaml")["decisions"]["lovelace"]
    assert decision["status"] == "ineligible"
    assert decision["granted"] == "0.00"
    assert decision["reasons"] == [LATE_REASON.format(sha=merge[:12])]
    # The refusal is recorded: validate is clean, before and after the record is committed.
    assert run_gen("validate", cwd=repo) == Result(0, minimal_summary(), "")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "Relevé 2022Q1", date="2022-04-20T10:00:00+02:00")
    assert run_gen("validate", cwd=repo) == Result(0, minimal_summary(), "")
    assert run_gen("score", "--check", cwd=repo) == Result(
        0, "every decision record matches its inputs\n", ""
    )


def test_each_late_dossier_of_a_round_is_checked_against_its_recorded_refusal(
    tmp_path: Path,
) -> None:
    """gen validate reads a round's decisions once, for all its late dossiers (the cache on)."""
    repo, call = call_repo(tmp_path)
    merges = {ident: submit(repo, call, LATE_MERGE, ident) for ident in ("lovelace", "hopper")}
    cache = str(tmp_path / "cache")
    assert run_gen("validate", cwd=repo, GEN_CACHE_DIR=cache).code == 1
    assert run_gen("score", "--round", "2022Q1", cwd=repo, GEN_CACHE_DIR=cache).code == 0
    decisions = load(call / "2022Q1/results.yaml")["decisions"]
    for ident, merge in merges.items():
        assert decisions[ident]["reasons"] == [LATE_REASON.format(sha=merge[:12])]
    # both refusals recorded: clean, with the record's outline and whole in the cache
    clean = minimal_summary(dossiers=6)
    assert run_gen("validate", cwd=repo, GEN_CACHE_DIR=cache) == Result(0, clean, "")
    assert run_gen("validate", cwd=repo, GEN_CACHE_DIR=cache) == Result(0, clean, "")
    third = submit(repo, call, LATE_MERGE, "lamarr")  # late, and not in the record
    found = run_gen("validate", cwd=repo, GEN_CACHE_DIR=cache)
    shown = "2022Q1/lamarr.yaml"
    line = line_of(call / shown, "submitted:")
    assert found == Result(
        1, e214(shown, line, third, ident="lamarr") + minimal_summary(dossiers=7, errors=1), ""
    )


def test_a_dossier_merged_before_the_deadline_is_on_time(tmp_path: Path) -> None:
    repo, call = call_repo(tmp_path)
    submit(repo, call, "2022-03-30T18:00:00+02:00")
    assert run_gen("validate", cwd=repo, script=True) == Result(0, minimal_summary(), "")
    assert invoke("score", "--round", "2022Q1", "--call", call).code == 0
    decision = load(call / "2022Q1/results.yaml")["decisions"]["lovelace"]
    assert not any("dans-les-temps" in reason for reason in decision["reasons"])


@pytest.mark.parametrize(
    ("merged_at", "timezone", "late_on"),
    [
        # 23:30 UTC on the closing day is already the next day in Paris (UTC+2 in spring).
        ("2022-03-31T23:30:00+00:00", "", "2022-04-01"),
        ("2022-03-31T21:30:00+00:00", "", None),
        ("2022-03-31T23:30:00+00:00", "timezone: UTC\n", None),
        ("2022-04-01T00:30:00+02:00", "timezone: UTC\n", None),
        ("2022-03-31T20:00:00-10:00", "timezone: Pacific/Honolulu\n", None),
        ("2022-03-31T20:00:00-10:00", "", "2022-04-01"),
    ],
)
def test_the_deadline_is_read_in_the_call_timezone(
    tmp_path: Path, merged_at: str, timezone: str, late_on: str | None
) -> None:
    repo, call = call_repo(tmp_path)
    if timezone:
        replace(call / "call.yaml", "budget: 1000000\n", f"budget: 1000000\n{timezone}")
        git(repo, "commit", "--quiet", "-am", "Fuseau horaire")
    merge = submit(repo, call, merged_at)
    found = invoke("validate", "--call", call)
    if late_on is None:
        assert found == Result(0, minimal_summary(), "")
    else:
        line = line_of(call / "2022Q1/lovelace.yaml", "submitted:")
        shown = f"{call}/2022Q1/lovelace.yaml"
        assert found == Result(
            1, e214(shown, line, merge, day=late_on) + minimal_summary(errors=1), ""
        )


def test_without_git_the_merge_date_is_not_read(tmp_path: Path) -> None:
    repo, call = call_repo(tmp_path)
    submit(repo, call, LATE_MERGE)
    assert run_gen("validate", "--no-git", cwd=repo, script=True) == Result(
        0, minimal_summary(), ""
    )
    assert invoke("score", "--round", "2022Q1", "--no-git", "--call", call).code == 0
    decision = load(call / "2022Q1/results.yaml")["decisions"]["lovelace"]
    assert not any("dans-les-temps" in reason for reason in decision["reasons"])


@pytest.mark.parametrize("accepted", ["all", "[lovelace]"])
def test_accept_late_in_call_yaml_covers_a_late_merge(tmp_path: Path, accepted: str) -> None:
    repo, call = call_repo(tmp_path)
    merge = submit(repo, call, LATE_MERGE)
    replace(
        call / "call.yaml",
        "    closes: 2022-03-31\n",
        f"    closes: 2022-03-31\n    accept_late:\n      dossiers: {accepted}\n"
        "      reason: Panne de la forge le 31 mars\n",
    )
    assert run_gen("validate", cwd=repo) == Result(0, minimal_summary(), "")
    assert run_gen("score", "--round", "2022Q1", cwd=repo, script=True).code == 0
    decision = load(call / "2022Q1/results.yaml")["decisions"]["lovelace"]
    assert decision["status"] != "ineligible"
    assert not any(merge[:12] in reason for reason in decision["reasons"])
    assert decision["reviews"] == 0


def test_accept_late_needs_a_submitted_date_inside_the_window(tmp_path: Path) -> None:
    repo, call = call_repo(tmp_path)
    merge = submit(repo, call, LATE_MERGE, submitted="2022-04-01")
    replace(
        call / "call.yaml",
        "    closes: 2022-03-31\n",
        "    closes: 2022-03-31\n    accept_late:\n      dossiers: all\n"
        "      reason: Panne de la forge le 31 mars\n",
    )
    found = invoke("validate", "--call", call)
    line = line_of(call / "2022Q1/lovelace.yaml", "submitted:")
    assert found == Result(
        1, e214(f"{call}/2022Q1/lovelace.yaml", line, merge) + minimal_summary(errors=1), ""
    )


def test_an_amendment_accepts_a_late_dossier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, call = call_repo(tmp_path)
    merge = submit(repo, call, LATE_MERGE)
    assert invoke("score", "--round", "2022Q1", "--call", call).code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", CLOSED_ON)
    assert invoke("close", "2022Q1", "--by", "Grace", "--call", call).code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", AMENDED_ON)
    amended = invoke(
        "amend",
        "2022Q1",
        "--accept-late",
        "lovelace",
        "--by",
        "Grace",
        "--reason",
        "Recours gracieux : la forge était en panne le 31 mars",
        "--call",
        call,
    )
    assert amended.code == 0, amended
    assert amended.out.startswith("amended round 2022Q1: 0 file(s) changed, decisions changed ")
    data = load(call / "2022Q1/results.yaml")
    (amendment,) = data["amendments"]
    assert amendment["accepted_late"] == ["lovelace"]
    assert amendment["files"] == {}
    assert "lovelace" in amendment["decisions"]
    assert not any(merge[:12] in r for r in data["decisions"]["lovelace"]["reasons"])
    assert data["decisions"]["lovelace"]["status"] != "ineligible"
    assert invoke("validate", "--call", call) == Result(0, minimal_summary(), "")
    again = invoke(
        "amend",
        "2022Q1",
        "--accept-late",
        "lovelace",
        "--by",
        "Grace",
        "--reason",
        "Encore",
        "--call",
        call,
    )
    # Once accepted, it no longer counts as late.
    assert again == Result(
        2, "", "gen: error: dossier 'lovelace' is accepted already in round 2022Q1\n"
    )


def test_a_dossier_not_on_the_default_branch_is_e215(tmp_path: Path) -> None:
    repo, call = call_repo(tmp_path)
    # Added in the work tree, not committed.
    late = write(call / "2022Q1/grace.yaml", lovelace().replace("lovelace", "grace"))
    message = (
        "error E215 round 2022Q1 no longer takes dossiers (submissions: closed in call.yaml): "
        "a dossier added now is ineligible\n"
    )
    line = line_of(late, "submitted:")
    assert run_gen("validate", cwd=repo, script=True) == Result(
        1, f"2022Q1/grace.yaml:{line}:12: {message}" + minimal_summary(errors=1), ""
    )
    # Not blocking: the round is scored and the dossier recorded ineligible.
    assert run_gen("score", "--round", "2022Q1", cwd=repo).code == 0
    decision = load(call / "2022Q1/results.yaml")["decisions"]["grace"]
    assert decision["status"] == "ineligible"
    assert decision["reasons"] == [
        "dans-les-temps: Le dossier est déposé pendant la période du relevé (added after "
        "round 2022Q1 stopped taking dossiers)"
    ]
    assert run_gen("validate", cwd=repo) == Result(0, minimal_summary(dossiers=5), "")

    # A pull request's branch: committed there, not yet merged into main.
    late.unlink()
    (call / "2022Q1/results.yaml").unlink()
    submit(repo, call, LATE_MERGE, ident="hopper", merge=False)
    branch = run_gen("validate", cwd=repo)
    assert branch.code == 1
    assert branch.out.startswith(f"2022Q1/hopper.yaml:{line}:12: {message}")


def test_a_new_dossier_in_a_round_still_open_is_not_late(tmp_path: Path) -> None:
    repo, call = call_repo(tmp_path)
    replace(
        call / "call.yaml",
        "    closes: 2022-06-30\n    submissions: closed\n",
        "    closes: 2022-06-30\n    submissions: open\n",
    )
    git(repo, "commit", "--quiet", "-am", "Rouvre 2022Q2")
    text = (call / "2022Q2/passerelle-bordeaux.yaml").read_text(encoding="utf-8")
    write(call / "2022Q2/turing.yaml", text.replace("passerelle-bordeaux", "turing"))
    assert invoke("validate", "--call", call) == Result(0, minimal_summary(dossiers=5), "")


def test_a_shallow_clone_is_refused(tmp_path: Path) -> None:
    repo, _ = call_repo(tmp_path)
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", "shallow")
    shallow = tmp_path / "shallow"
    refused = run_gen("validate", cwd=shallow, script=True)
    assert refused == Result(2, "", f"gen: error: {SHALLOW_MESSAGE}\n")
    assert "fetch-depth: 0" in refused.err
    assert run_gen("score", "--round", "2022Q1", cwd=shallow).code == 2
    assert run_gen("validate", "--no-git", cwd=shallow) == Result(0, minimal_summary(4), "")


def test_errors_in_one_round_do_not_block_scoring_another(tmp_path: Path) -> None:
    repo, call = call_repo(tmp_path)
    merge = submit(repo, call, LATE_MERGE)
    broken = replace(
        call / "2022Q1/codeuses-lille.yaml",
        "  women_percent: ",
        "  women_percent: lots\n  ignored: ",
    )
    found = run_gen("validate", cwd=repo)
    assert found.code == 1
    assert (
        e214("2022Q1/lovelace.yaml", line_of(call / "2022Q1/lovelace.yaml", "submitted:"), merge)
        in found.out
    )
    scored = run_gen("score", "--round", "2022Q2", cwd=repo, script=True)
    assert scored.code == 0, scored.err
    assert scored.out.endswith("\nwrote 2022Q2/results.yaml\n")
    refused = run_gen("score", "--round", "2022Q1", cwd=repo)
    assert refused.code == 1
    assert "2022Q1/lovelace.yaml" not in refused.err  # E214 does not block
    assert refused.err.startswith(f"2022Q1/codeuses-lille.yaml:{line_of(broken, 'lots')}:")
    assert refused.err.endswith(
        "gen: error: refusing to score: gen validate finds 2 error(s) that concern round(s) "
        "2022Q1; fix them first\n"
    )
    assert not (call / "2022Q1/results.yaml").exists()


# --- 7. warnings on a round still open ------------------------------------------------------


def test_w010_on_a_round_still_open(call_dir: Path) -> None:
    call = call_dir / "call.yaml"
    replace(
        call,
        "    closes: 2022-06-30\n    submissions: closed\n",
        "    closes: 2022-06-30\n    submissions: open\n",
    )
    dossier = replace(
        call_dir / "2022Q2/passerelle-bordeaux.yaml",
        "  total_cost: 100000\n  requested: 75000\n  other_funding: 25000\n",
        "  total_cost: 250000\n  requested: 160000\n  other_funding: 90000\n",
    )
    warning = (
        f"{dossier}:{line_of(dossier, 'requested:')}:14: warning W010 budget.requested: La "
        "subvention demandée est comprise entre 10 000 et 150 000 euros (eligibility rule "
        "montant-demande: as it stands, the dossier is ineligible)\n"
    )
    assert run_gen("validate", "--call", call_dir, script=True) == Result(
        0, warning + minimal_summary(4, warnings=1), ""
    )
    # Once the round stops taking dossiers, the warning gives way to the decision.
    replace(call, "    submissions: open\n", "    submissions: closed\n")
    assert invoke("validate", "--call", call_dir) == Result(0, minimal_summary(4), "")
