"""The jury's deliberation, <round>/jury.yaml: checked, applied, kept beside the computed
outcome in the record (part of #9)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import invoke, line_of, replace

EXAMPLE = Path(__file__).parent.parent / "dossiers"
ROUND = "2022Q1"
# 2022Q1 as computed: 17 laureates for 574,500.00 of an envelope of 600,000.00; rank 17
# parcours-hybrides-modulaires-cergy (29,000) is the last laureate; the waiting list is
# ranks 18-20, tutorat-augmente-dunkerque (30,000) last.
LAST_LAUREATE = "parcours-hybrides-modulaires-cergy"
WAITING = "tutorat-augmente-dunkerque"

JURY = """\
jury:
  quorum: 2
  members:
    - id: presidente
      name: Présidente du jury
    - id: secretaire
      name: Secrétaire général
    - id: elu-dunkerque
      name: Élu de Dunkerque
      affiliations:
        - name: Maison de l'emploi de Dunkerque
    - id: directeur-programmes
      name: Directeur des programmes
    - id: representante-etat
      name: Représentante de l'État
"""


@pytest.fixture
def call(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    # The example's own jury is replaced by one the tests can put in conflict.
    text = (root / "call.yaml").read_text(encoding="utf-8")
    text = text[: text.index("\njury:\n") + 1] + JURY
    (root / "call.yaml").write_text(text, encoding="utf-8")
    return root


def deliberation(call: Path, *decisions: dict[str, Any], present: list[str] | None = None) -> Path:
    path = call / ROUND / "jury.yaml"
    document = {
        "round": ROUND,
        "date": "2022-05-10",
        "present": present or ["presidente", "secretaire", "elu-dunkerque"],
        "decisions": list(decisions),
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def record(call: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((call / ROUND / "results.yaml").read_text("utf-8"))
    return data


def test_the_jury_swaps_two_dossiers_and_the_record_keeps_both_outcomes(call: Path) -> None:
    deliberation(
        call,
        {
            "dossier": WAITING,
            "status": "laureat",
            "conditions": "Un bilan à mi-parcours.",
            "justification": "Seul projet du territoire ; le jury le retient.",
        },
        {
            "dossier": LAST_LAUREATE,
            "status": "liste-complementaire",
            "justification": "Projet proche d'un lauréat du même porteur.",
            "public": False,
        },
    )
    assert invoke("validate", "--call", call).code == 0
    result = invoke("score", "--round", ROUND, "--call", call)
    assert result.code == 0, result.err
    decided = record(call)
    assert decided["decisions"][WAITING]["status"] == "laureat"
    assert decided["decisions"][WAITING]["granted"] == "30000.00"
    assert decided["decisions"][WAITING]["computed"] == {
        "status": "liste-complementaire",
        "granted": "0.00",
    }
    assert decided["decisions"][WAITING]["jury"] == {
        "justification": "Seul projet du territoire ; le jury le retient.",
        "public": True,
        "conditions": "Un bilan à mi-parcours.",
    }
    assert decided["decisions"][LAST_LAUREATE]["status"] == "liste-complementaire"
    assert decided["decisions"][LAST_LAUREATE]["computed"] == {
        "status": "laureat",
        "granted": "29000.00",
    }
    assert decided["decisions"][LAST_LAUREATE]["jury"]["public"] is False
    assert decided["envelope"]["granted"] == "575500.00"  # 574,500 - 29,000 + 30,000
    assert decided["totals"]["statuses"]["laureat"] == 17
    assert decided["jury"] == {
        "date": "2022-05-10",
        "present": ["elu-dunkerque", "presidente", "secretaire"],
        "departures": 2,
    }
    # The deliberation is an input of the round: changing it makes the record stale.
    assert f"{ROUND}/jury.yaml" in decided["inputs"]
    assert invoke("score", "--check", "--call", call).code == 0


def test_a_deliberation_that_overruns_the_envelope_is_refused(call: Path) -> None:
    path = deliberation(
        call, {"dossier": WAITING, "status": "laureat", "justification": "Projet prioritaire."}
    )
    before = (call / ROUND / "results.yaml").read_bytes()
    # gen validate finds it, located at the decision that adds to the envelope ...
    message = (
        f"{path}:{line_of(path, '- dossier: ')}:3: error E506 after the jury's decisions the "
        "round grants 604500.00, more than the 600000.00 it could spend; the decisions that "
        f"add to it: {WAITING} (+30000.00)"
    )
    found = invoke("validate", "--call", call)
    assert found.code == 1
    assert found.out.splitlines()[0] == message
    # ... and gen score refuses, writing nothing.
    result = invoke("score", "--round", ROUND, "--call", call)
    assert result.code == 1
    assert result.err.splitlines()[0] == message
    assert result.err.endswith("fix them first\n")
    assert (call / ROUND / "results.yaml").read_bytes() == before


def test_a_reduced_grant_can_fit_what_is_left(call: Path) -> None:
    deliberation(
        call,
        {
            "dossier": WAITING,
            "status": "laureat",
            "granted": 25500,
            "justification": "Financé à hauteur du reste de l'enveloppe.",
        },
    )
    assert invoke("score", "--round", ROUND, "--call", call).code == 0
    decided = record(call)
    assert decided["decisions"][WAITING]["granted"] == "25500.00"
    assert decided["envelope"]["left"] == "0.00"


def test_a_member_with_a_conflict_is_not_counted(call: Path) -> None:
    path = deliberation(
        call,
        {"dossier": WAITING, "status": "laureat", "granted": 25500, "justification": "Oui."},
        present=["presidente", "elu-dunkerque"],
    )
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line_of(path, '- dossier: ')}:3: error E504 dossier {WAITING!r}: 1 member(s) "
        "present without a conflict of interest, the quorum is 2 (elu-dunkerque cannot take "
        "part)"
    )
    assert invoke("score", "--round", ROUND, "--call", call).code == 1


@pytest.mark.parametrize(
    ("decision", "key", "code", "message"),
    [
        (
            {"dossier": "inconnu", "status": "laureat", "justification": "x"},
            "- dossier: inconnu",
            "E503",
            f"dossier 'inconnu' is not a dossier of round {ROUND}",
        ),
        (
            {"dossier": WAITING, "status": "non-retenu", "granted": 1000, "justification": "x"},
            "  granted: 1000",
            "E505",
            f"dossier {WAITING!r}: an amount is granted only to a laureate; remove granted",
        ),
        (
            {"dossier": WAITING, "status": "laureat", "granted": 31000, "justification": "x"},
            "  granted: 31000",
            "E505",
            f"dossier {WAITING!r}: granted 31000 must be above 0 and at most the 30000 requested",
        ),
        (
            {"dossier": WAITING, "status": "laureat", "granted": 5000, "justification": "x"},
            "  granted: 5000",
            "E505",
            f"dossier {WAITING!r}: granted 5000 is outside the amounts the call's eligibility "
            "rules allow",
        ),
        (
            {"dossier": WAITING, "status": "laureat", "justification": "  "},
            "  justification: ",
            "E505",
            f"dossier {WAITING!r}: write the jury's justification",
        ),
    ],
)
def test_a_decision_the_jury_cannot_take_is_located(
    call: Path, decision: dict[str, Any], key: str, code: str, message: str
) -> None:
    path = deliberation(call, decision)
    result = invoke("validate", "--call", call)
    assert result.code == 1
    column = len(key.split(": ")[0]) + 3
    assert result.out.splitlines()[0] == (
        f"{path}:{line_of(path, key)}:{column}: error {code} {message}"
    )


def test_members_and_round_must_be_declared(call: Path) -> None:
    path = deliberation(call, present=["presidente", "intrus"])
    replace(path, f"round: {ROUND}", "round: 2021Q4")
    result = invoke("validate", "--call", call)
    assert result.out.splitlines()[:2] == [
        f"{path}:1:8: error E501 round: '2021Q4', but this file is in the folder of round "
        f"{ROUND}; write round: {ROUND}",
        f"{path}:{line_of(path, '- intrus')}:3: error E502 present: 'intrus' is not a jury "
        "member of call.yaml (directeur-programmes, elu-dunkerque, presidente, "
        "representante-etat, secretaire)",
    ]


def test_the_jury_cannot_make_an_ineligible_dossier_a_laureate(call: Path) -> None:
    path = deliberation(
        call,
        {"dossier": "le-numerique-recrute-clermont", "status": "laureat", "justification": "x"},
    )
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line_of(path, '- dossier: ')}:3: error E506 dossier "
        "'le-numerique-recrute-clermont' is ineligible: the jury decides among the dossiers "
        "that competed; remove its decision"
    )
    assert invoke("score", "--round", ROUND, "--call", call).code == 1


def test_published_pages_give_the_jury_s_public_reasons_and_name_no_one_else(
    call: Path, tmp_path: Path
) -> None:
    deliberation(
        call,
        {
            "dossier": WAITING,
            "status": "laureat",
            "justification": "Seul projet du territoire ; le jury le retient.",
        },
        {
            "dossier": LAST_LAUREATE,
            "status": "liste-complementaire",
            "justification": "Motif confidentiel.",
            "public": False,
        },
    )
    assert invoke("score", "--round", ROUND, "--call", call).code == 0
    out = tmp_path / "public"
    assert invoke("publish", "--call", call, "--out", out, "--draft").code == 0
    page = (out / "rounds" / f"{ROUND}.html").read_text(encoding="utf-8")
    title = yaml.safe_load((call / ROUND / f"{WAITING}.yaml").read_text("utf-8"))["title"]
    assert (
        f'<li><a href="../projects/{WAITING}.html">{title}</a> (inscrit en liste '
        "complémentaire par le classement)\u00a0: Seul projet du territoire ; le jury le "
        "retient.</li>"
    ) in page
    assert (
        "<p>1 autre décision du jury s’écarte du classement, pour un dossier non retenu.</p>"
        in page
    )
    everything = "".join(
        p.read_text("utf-8")
        for p in out.rglob("*")
        if p.suffix in {".html", ".md", ".csv", ".json"}
    )
    assert LAST_LAUREATE not in everything and "Motif confidentiel" not in everything
    markdown = (out / "laureats.md").read_text(encoding="utf-8")
    assert "Seul projet du territoire ; le jury le retient." in markdown


FIRST = "du-code-a-l-emploi-fort-de-france"  # rank 1, 37,500


def test_a_withdrawal_promotes_exactly_what_the_freed_money_allows(call: Path) -> None:
    path = deliberation(call)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            f"withdrawn:\n  - dossier: {FIRST}\n    date: 2022-06-15\n"
            "    reason: Le porteur a obtenu un autre financement.\n"
        )
    assert invoke("validate", "--call", call).code == 0
    assert invoke("score", "--round", ROUND, "--call", call).code == 0
    decided = record(call)["decisions"]
    # 25,500 left + 37,500 freed = 63,000: rank 18 (37,000) fits and is promoted; then
    # 26,000 is left, and ranks 19 (35,000) and 20 (30,000) do not fit.
    assert decided[FIRST]["status"] == "desiste"
    assert decided[FIRST]["granted"] == "0.00"
    assert decided[FIRST]["withdrawn"] == {
        "date": "2022-06-15",
        "reason": "Le porteur a obtenu un autre financement.",
    }
    promoted = "carrieres-tech-pour-tous-dunkerque"
    assert decided[promoted]["status"] == "laureat"
    assert decided[promoted]["granted"] == "37000.00"
    assert decided[promoted]["promoted"] == {"after": [FIRST]}
    assert decided[promoted]["computed"] == {"status": "liste-complementaire", "granted": "0.00"}
    assert decided[promoted]["reasons"][-1] == (
        f"promoted from the waiting list after {FIRST} withdrew"
    )
    for still_waiting in ("badges-ouverts-du-numerique-le-havre", WAITING):
        assert decided[still_waiting]["status"] == "liste-complementaire"
        assert "promoted" not in decided[still_waiting]
    totals = record(call)["totals"]
    assert totals["statuses"]["desiste"] == 1
    assert totals["statuses"]["laureat"] == 17
    assert totals["granted"] == "574000.00"  # 574,500 - 37,500 + 37,000


def test_only_a_laureate_can_withdraw(call: Path) -> None:
    path = deliberation(call)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"withdrawn:\n  - dossier: {WAITING}\n    date: 2022-06-15\n    reason: x\n")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{path}:{line_of(path, f'- dossier: {WAITING}')}:5: error E506 dossier {WAITING!r} "
        "withdrew but is not a laureate (liste-complementaire); remove it from withdrawn"
    )
    assert invoke("score", "--round", ROUND, "--call", call).code == 1


def test_earlier_rounds_are_earlier_in_time_not_in_the_file(tmp_path: Path) -> None:
    # Listing 2022Q1 before 2021Q4 in call.yaml changes nothing: 2021Q4 closed first, so
    # 2022Q1's call budget is what is left after 2021Q3 and 2021Q4.
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    text = (call / "call.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: 2021Q4\n")
    middle = text.index("  - id: 2022Q1\n")
    end = text.index("  - id: 2022Q2\n")
    reordered = text[:start] + text[middle:end] + text[start:middle] + text[end:]
    (call / "call.yaml").write_text(reordered, encoding="utf-8")
    before = (call / ROUND / "results.yaml").read_bytes()
    assert invoke("score", "--check", "--call", call).code == 0
    assert invoke("score", "--round", ROUND, "--call", call).code == 0
    assert (call / ROUND / "results.yaml").read_bytes() == before
