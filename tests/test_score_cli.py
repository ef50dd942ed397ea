"""gen score and gen show on a call folder whose every figure is computed by hand.

The call folder is tests/fixtures/handcall. Its figures are worked out below, in the
comments above each test, from the grades in its review files; gen is then run through
Typer's CliRunner (and a real process of the installed ``gen``) and must agree to the cent.

How a mark is made (README, gen_cli/scoring.py): each criterion of the dossier's principal
grid gives a normalised value between 0 and 1, worth ``normalised × weight / Σweights × 20``
points; the points are floored to the cent and the cents still missing to reach the rounded
sum go to the largest remainders (the earliest criterion among equals).

Grid "inclusion": qualite (weight 2, scale 0–5, minimum 2), impact (2, 0–5), mixite
(indicator women_percent from 20 to 70, weight 1). Σweights = 5, so
    qualite, impact: value / 5 × 2 × 4 = 1.6 × value      mixite: (women% − 20) / 50 × 4
Grid "formation": qualite (3, 0–5), impact (3, 0–5), cout-par-personne (indicator
requested / people from 100 to 1100, lower is better, weight 1). Σweights = 7, so
    qualite, impact: value / 5 × 3 × 20/7 = 12 × value / 7
    cout-par-personne: (1 − (requested / people − 100) / 1000) × 20/7
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import line_of, replace, run_gen
from typer.testing import CliRunner, Result

from gen_cli.cli import app

HANDCALL = Path(__file__).parent / "fixtures" / "handcall"
EXAMPLE = Path(__file__).parent.parent / "dossiers"
R1, R2 = "2023Q1", "2023Q2"


# --- helpers ------------------------------------------------------------------------------


def gen(*args: str | Path) -> Result:
    """Run gen in this process through Typer’s CliRunner."""
    return CliRunner().invoke(app, [str(a) for a in args])


def copy_call(tmp_path: Path, source: Path = HANDCALL, name: str = "call") -> Path:
    """A copy of a call folder that a test may change."""
    return Path(shutil.copytree(source, tmp_path / name))


def score_json(call: Path, round_id: str) -> dict[str, Any]:
    """The decision record that ``gen score --round R --dry-run --format json`` prints."""
    result = gen("score", "--round", round_id, "--dry-run", "--format", "json", "--call", call)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    record: dict[str, Any] = json.loads(result.stdout)
    return record


def table(record: dict[str, Any]) -> list[tuple[str, str, int | None, str | None, str]]:
    """Each decision as (dossier, status, rank, mark, granted), in rank order then by id."""
    rows = [
        (ident, d["status"], d["rank"], d["mark"], d["granted"])
        for ident, d in record["decisions"].items()
    ]
    return sorted(rows, key=lambda r: (r[2] is None, r[2] or 0, r[0]))


def decision(record: dict[str, Any], dossier: str) -> dict[str, Any]:
    """One dossier’s decision in a record."""
    found: dict[str, Any] = record["decisions"][dossier]
    return found


def points(record: dict[str, Any], dossier: str) -> dict[str, tuple[str | None, str]]:
    """A dossier’s breakdown: criterion -> (value, points)."""
    return {
        criterion: (entry["value"], entry["points"])
        for criterion, entry in decision(record, dossier)["criteria"].items()
    }


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (to show that nothing was written)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def round1() -> dict[str, Any]:
    return score_json(HANDCALL, R1)


@pytest.fixture(scope="module")
def round2() -> dict[str, Any]:
    return score_json(HANDCALL, R2)


# --- round 2023Q1: marks ------------------------------------------------------------------

# Grades are listed as anne-martin, bruno-dubois, chloe-lambert. `value` is the mean, to the
# cent; each line gives the exact points, then the cents as apportioned.
#
# codeuses-roubaix (inclusion, 70 % women)
#   qualite 4,4,5 → 13/3 = 4.33   1.6 × 13/3 = 6.9333…
#   impact  4,5,5 → 14/3 = 4.67   1.6 × 14/3 = 7.4666…
#   mixite  (70 − 20) / 50 = 1    4
#   sum 18.40; floors 6.93 + 7.46 + 4.00 = 18.39; the cent goes to impact (.0066 > .0033)
# fabrique-lille (formation, 20000 / 50 people = 400 per person; chloe-lambert declared a
# conflict of interest, so two reviews count)
#   qualite 5,4 → 4.50            12 × 4.5 / 7 = 7.7142…
#   impact  5,5 → 5.00            60/7 = 8.5714…
#   cout    1 − 300/1000 = 0.7    0.7 × 20/7 = 2
#   sum 18.2857… → 18.29; floors 18.28; the cent goes to qualite (.0042 > .0014 > 0)
# datalab-nantes (formation, 20000 / 40 = 500)
#   qualite 4,4,4 → 4.00          48/7 = 6.8571…
#   impact  4,3,4 → 11/3 = 3.67   44/7 = 6.2857…
#   cout    1 − 400/1000 = 0.6    12/7 = 1.7142…
#   sum 104/7 = 14.857… → 14.86; floors 14.84; two cents, to qualite (.0071) and impact
#   (.0057), not cout (.0042)
# emploi-vitry (inclusion, 45 %)
#   qualite 4,4,3 → 11/3 = 3.67   5.8666…;  impact 4,4,4 → 4.00   6.4;  mixite 0.5 → 2
#   sum 14.2666… → 14.27; floors 14.26; the cent goes to qualite
# tiers-lieu-caen (inclusion, 30 %)
#   qualite 3,3,4 → 3.33   5.3333…;  impact 5,5,4 → 4.67   7.4666…;  mixite 0.2 → 0.8
#   sum 13.60; floors 13.59; the cent goes to impact
# atelier-brest (inclusion, 30 %): the same grades, criteria swapped
#   qualite 5,5,4 → 4.67   7.4666…;  impact 3,3,4 → 3.33   5.3333…;  mixite 0.8
#   sum 13.60; the cent goes to qualite
# numerique-metz (formation, 10000 / 10 = 1000)
#   qualite 3,4,3 → 3.33   40/7 = 5.7142…;  impact 3,3,3 → 3.00   36/7 = 5.1428…
#   cout    1 − 900/1000 = 0.1    2/7 = 0.2857…
#   sum 78/7 = 11.142… → 11.14; floors 11.13; the cent goes to cout (.0057 > .0042 > .0028)
# ecole-ouverte-pau (inclusion, 20 %)
#   qualite 2,3,2 → 2.33   3.7333…;  impact 2,2,3 → 2.33   3.7333…;  mixite 0
#   sum 7.4666… → 7.47; floors 7.46; equal remainders: the cent goes to the first, qualite
# maison-du-code-lens (inclusion, 70 %)
#   qualite 1,2,2 → 1.67   2.6666…;  impact 5,5,5 → 5.00   8;  mixite 4
#   sum 14.6666… → 14.67; the cent goes to qualite
# grand-campus-lyon (inclusion, 70 %; anne and bruno only): 8 + 8 + 4 = 20.00
# petit-fablab-gap: bruno-dubois alone; no mark (incomplete)
ROUND1_POINTS = {
    "codeuses-roubaix": {
        "qualite": ("4.33", "6.93"),
        "impact": ("4.67", "7.47"),
        "mixite": ("70.00", "4.00"),
    },
    "fabrique-lille": {
        "qualite": ("4.50", "7.72"),
        "impact": ("5.00", "8.57"),
        "cout-par-personne": ("400.00", "2.00"),
    },
    "datalab-nantes": {
        "qualite": ("4.00", "6.86"),
        "impact": ("3.67", "6.29"),
        "cout-par-personne": ("500.00", "1.71"),
    },
    "emploi-vitry": {
        "qualite": ("3.67", "5.87"),
        "impact": ("4.00", "6.40"),
        "mixite": ("45.00", "2.00"),
    },
    "tiers-lieu-caen": {
        "qualite": ("3.33", "5.33"),
        "impact": ("4.67", "7.47"),
        "mixite": ("30.00", "0.80"),
    },
    "atelier-brest": {
        "qualite": ("4.67", "7.47"),
        "impact": ("3.33", "5.33"),
        "mixite": ("30.00", "0.80"),
    },
    "numerique-metz": {
        "qualite": ("3.33", "5.71"),
        "impact": ("3.00", "5.14"),
        "cout-par-personne": ("1000.00", "0.29"),
    },
    "ecole-ouverte-pau": {
        "qualite": ("2.33", "3.74"),
        "impact": ("2.33", "3.73"),
        "mixite": ("20.00", "0.00"),
    },
    "maison-du-code-lens": {
        "qualite": ("1.67", "2.67"),
        "impact": ("5.00", "8.00"),
        "mixite": ("70.00", "4.00"),
    },
    "grand-campus-lyon": {
        "qualite": ("5.00", "8.00"),
        "impact": ("5.00", "8.00"),
        "mixite": ("70.00", "4.00"),
    },
}


@pytest.mark.parametrize("dossier", sorted(ROUND1_POINTS))
def test_round1_breakdown_is_computed_by_hand(round1: dict[str, Any], dossier: str) -> None:
    assert points(round1, dossier) == ROUND1_POINTS[dossier]
    # The breakdown adds up exactly to the mark; grand-campus-lyon (ineligible) did not
    # compete: its grades are kept, and it has no mark.
    total = sum((Decimal(p) for _, p in ROUND1_POINTS[dossier].values()), Decimal(0))
    expected = None if dossier == "grand-campus-lyon" else str(total)
    assert decision(round1, dossier)["mark"] == expected
    assert (decision(round1, dossier)["status"] == "ineligible") is (expected is None)


# --- round 2023Q1: selection ---------------------------------------------------------------

# Admissible dossiers in rank order (mark, then tie_break: criterion:impact, requested,
# submitted, id). tiers-lieu-caen and atelier-brest both have 13.60: impact 7.47 > 5.33
# puts tiers-lieu-caen first, although atelier-brest asks less and comes first by id.
#
# Envelope 100,000; inclusion reserves 30 % = 30,000; formation is capped at 35,000.
# Pass 1, the inclusion reserve in rank order: codeuses-roubaix 25,000 fits (5,000 left);
#   emploi-vitry 40,000, tiers-lieu-caen 30,000 and atelier-brest 10,000 do not fit 5,000.
#   The 5,000 left goes to the common pot (unspent_theme: pool): 70,000 + 5,000 = 75,000.
# Pass 2, in rank order:
#   2 fabrique-lille 20,000 ≤ min(75,000, cap 35,000): laureat; pot 55,000; formation 20,000
#   3 datalab-nantes 20,000 > 15,000 left under the formation cap: blocked by the theme; it
#     is the first not funded, so the waiting list (waiting_list: 1) takes it
#   4 emploi-vitry 40,000 ≤ 55,000: laureat; pot 15,000
#   5 tiers-lieu-caen 30,000 > 15,000: skipped (when_too_large: skip)
#   6 atelier-brest 10,000 ≤ 15,000: laureat although ranked after a skipped one; pot 5,000
#   7 numerique-metz 10,000 > 5,000: not funded
# Unranked: ecole-ouverte-pau (7.47 < threshold 10), maison-du-code-lens (qualite 1.67 below
# its minimum 2, though its 14.67 beats emploi-vitry), grand-campus-lyon (60,000 asked, above
# the 50,000 cap: ineligible whatever its 20.00), petit-fablab-gap (1 review of 2 required).
# Granted 25,000 + 20,000 + 40,000 + 10,000 = 95,000, left 5,000.
ROUND1_TABLE = [
    ("codeuses-roubaix", "laureat", 1, "18.40", "25000.00"),
    ("fabrique-lille", "laureat", 2, "18.29", "20000.00"),
    ("datalab-nantes", "liste-complementaire", 3, "14.86", "0.00"),
    ("emploi-vitry", "laureat", 4, "14.27", "40000.00"),
    ("tiers-lieu-caen", "non-retenu", 5, "13.60", "0.00"),
    ("atelier-brest", "laureat", 6, "13.60", "10000.00"),
    ("numerique-metz", "non-retenu", 7, "11.14", "0.00"),
    ("ecole-ouverte-pau", "non-retenu", None, "7.47", "0.00"),
    ("grand-campus-lyon", "ineligible", None, None, "0.00"),
    ("maison-du-code-lens", "non-retenu", None, "14.67", "0.00"),
    ("petit-fablab-gap", "incomplet", None, None, "0.00"),
]

ROUND1_REASONS = {
    "codeuses-roubaix": ["rank 1, mark 18.40"],
    "fabrique-lille": ["rank 2, mark 18.29"],
    "datalab-nantes": ["theme formation envelope exhausted (15000.00 left) at rank 3"],
    "emploi-vitry": ["rank 4, mark 14.27"],
    "tiers-lieu-caen": ["envelope exhausted at rank 5 (15000.00 left, 30000 requested)"],
    "atelier-brest": ["rank 6, mark 13.60"],
    "numerique-metz": ["envelope exhausted at rank 7 (5000.00 left, 10000 requested)"],
    "ecole-ouverte-pau": ["mark 7.47 below the threshold 10"],
    "grand-campus-lyon": [
        "montant: La subvention demandée est comprise entre 5 000 et 50 000 euros."
    ],
    "maison-du-code-lens": ["qualite 1.67 below its minimum 2"],
    "petit-fablab-gap": ["1 review(s), 2 required"],
}


def test_round1_statuses_ranks_marks_and_grants(round1: dict[str, Any]) -> None:
    assert round1["round"] == R1
    assert table(round1) == ROUND1_TABLE
    assert {k: d["reasons"] for k, d in round1["decisions"].items()} == ROUND1_REASONS


def test_round1_envelope_and_totals(round1: dict[str, Any]) -> None:
    assert round1["envelope"] == {
        "amount": "100000.00",
        "available": "100000.00",
        "granted": "95000.00",
        "left": "5000.00",
        "lapsed": "0.00",
    }
    assert round1["call_budget"] == {"before": "200000.00", "after": "105000.00"}
    assert round1["totals"] == {
        "dossiers": 11,
        "eligible": 10,
        "statuses": {
            "laureat": 4,
            "liste-complementaire": 1,
            "non-retenu": 4,
            "ineligible": 1,
            "incomplet": 1,
        },
        # 25+20+20+40+30+10+10+15+12+60+8 thousand
        "requested": "250000.00",
        "granted": "95000.00",
    }


def test_round1_declared_conflict_is_left_out(round1: dict[str, Any]) -> None:
    assert round1["excluded_reviews"] == [
        {"dossier": "fabrique-lille", "reviewer": "chloe-lambert", "conflict": "declared"}
    ]
    fabrique = decision(round1, "fabrique-lille")
    assert fabrique["reviews"] == 2
    assert fabrique["criteria"]["qualite"] == {
        "weight": "3",
        "grades": ["4", "5"],
        "value": "4.50",
        "points": "7.72",
        "spread": "0.50",  # population standard deviation of 4 and 5
    }


def test_round1_tie_is_broken_by_the_declared_order(tmp_path: Path) -> None:
    # Without criterion:impact first, `requested` decides: atelier-brest (10,000) goes
    # before tiers-lieu-caen (30,000), and so is funded first from the 15,000 left at rank 5;
    # tiers-lieu-caen no longer fits the 5,000 left.
    call = copy_call(tmp_path)
    replace(
        call / "call.yaml",
        "tie_break: [criterion:impact, requested, submitted, id]",
        "tie_break: [requested, submitted, id]",
    )
    record = score_json(call, R1)
    assert table(record)[4:6] == [
        ("atelier-brest", "laureat", 5, "13.60", "10000.00"),
        ("tiers-lieu-caen", "non-retenu", 6, "13.60", "0.00"),
    ]
    assert decision(record, "tiers-lieu-caen")["reasons"] == [
        "envelope exhausted at rank 6 (5000.00 left, 30000 requested)"
    ]


# partial_funding: true. Passes 1 and 2 go as above up to emploi-vitry (pot 15,000 left).
#   datalab-nantes is still blocked by the formation cap (a theme cap is never partial).
#   5 tiers-lieu-caen 30,000 > 15,000: it gets the 15,000 left (≥ the 5,000 floor of the
#     requested-amount rule), and the pot is empty
#   6 atelier-brest, 7 numerique-metz: nothing left
# Granted 25,000 + 20,000 + 40,000 + 15,000 = 100,000.
def test_round1_partial_grant_of_the_last_dossier(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    replace(call / "call.yaml", "partial_funding: false", "partial_funding: true")
    record = score_json(call, R1)
    assert table(record)[:7] == [
        ("codeuses-roubaix", "laureat", 1, "18.40", "25000.00"),
        ("fabrique-lille", "laureat", 2, "18.29", "20000.00"),
        ("datalab-nantes", "liste-complementaire", 3, "14.86", "0.00"),
        ("emploi-vitry", "laureat", 4, "14.27", "40000.00"),
        ("tiers-lieu-caen", "laureat", 5, "13.60", "15000.00"),
        ("atelier-brest", "non-retenu", 6, "13.60", "0.00"),
        ("numerique-metz", "non-retenu", 7, "11.14", "0.00"),
    ]
    assert decision(record, "tiers-lieu-caen")["reasons"] == [
        "rank 5, mark 13.60",
        "partial grant: 15000.00 of 30000 requested",
    ]
    assert decision(record, "atelier-brest")["reasons"] == [
        "envelope exhausted at rank 6 (0.00 left, 10000 requested)"
    ]
    assert record["envelope"]["granted"] == "100000.00"
    assert record["envelope"]["left"] == "0.00"


# when_too_large: stop. tiers-lieu-caen (rank 5) does not fit: the selection ends there and
# atelier-brest is not funded. Granted 85,000.
def test_round1_stop_at_the_first_dossier_too_large(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    replace(call / "call.yaml", "when_too_large: skip", "when_too_large: stop")
    record = score_json(call, R1)
    assert table(record)[4:7] == [
        ("tiers-lieu-caen", "non-retenu", 5, "13.60", "0.00"),
        ("atelier-brest", "non-retenu", 6, "13.60", "0.00"),
        ("numerique-metz", "non-retenu", 7, "11.14", "0.00"),
    ]
    assert decision(record, "atelier-brest")["reasons"] == ["selection stopped at rank 5"]
    assert record["envelope"]["granted"] == "85000.00"


# unspent_theme: lapse. The 5,000 the inclusion reserve leaves is lost: the common pot is
# 70,000. fabrique-lille 20,000 (50,000 left), emploi-vitry 40,000 (10,000 left),
# tiers-lieu-caen skipped, atelier-brest 10,000 (0 left). Granted 95,000, lapsed 5,000.
def test_round1_unspent_reserve_lapses(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    replace(
        call / "call.yaml",
        "      amount: 100000\n",
        "      amount: 100000\n      unspent_theme: lapse\n",
    )
    record = score_json(call, R1)
    assert record["envelope"]["lapsed"] == "5000.00"
    assert record["envelope"]["granted"] == "95000.00"
    # The record adds up: granted + left + lapsed = what the round could spend.
    assert record["envelope"]["left"] == "0.00"
    assert record["envelope"]["available"] == "100000.00"
    assert decision(record, "numerique-metz")["reasons"] == [
        "envelope exhausted at rank 7 (0.00 left, 10000 requested)"
    ]


# --- round 2023Q2: z-score calibration -------------------------------------------------------


# Grades as (anne-martin, bruno-dubois); the same on qualite and on impact for each reviewer:
#   anne 1,1,2,2 (mean 1.5, population sd 0.5), bruno 2,2,5,5 (mean 3.5, sd 1.5): bruno is
#   more generous and spreads his grades more.
#   passerelle-dijon  qualite 2,2   impact 2,5
#   quartiers-nimes   qualite 1,5   impact 1,5
#   relais-rennes     qualite 2,5   impact 2,2
#   sentier-tulle     qualite 1,2   impact 1,2
# Every dossier has 45 % women: mixite 0.5 → 2 points.
#
# Raw (normalise: none):
#   passerelle 2.00 → 3.20, 3.50 → 5.60, +2 = 10.80
#   quartiers  3.00 → 4.80, 3.00 → 4.80, +2 = 11.60
#   relais     3.50 → 5.60, 2.00 → 3.20, +2 = 10.80 (tie with passerelle: impact 5.60 > 3.20
#              puts passerelle first, though relais was submitted earlier)
#   sentier    1.50 → 2.40, 1.50 → 2.40, +2 = 6.80 (below 10, and qualite 1.50 below 2)
#   Envelope 50,000: quartiers 15,000, passerelle 20,000; relais 20,000 > 15,000 left.
#
# Z-score (normalise: zscore; each reviewer has 4 ≥ zscore_min_grades 3 grades):
#   pooled grades 1,1,2,2,2,2,5,5: mean 2.5; variance (2 × 1.5² + 4 × 0.5² + 2 × 2.5²) / 8
#   = 18/8 = 2.25, sd 1.5. A grade g becomes 2.5 + 1.5 × (g − own mean) / own sd:
#   anne 1 ↦ 2.5 − 1.5 = 1, 2 ↦ 4;  bruno 2 ↦ 1, 5 ↦ 4.
#   passerelle qualite (4 + 1)/2 = 2.50 → 4.00; impact (4 + 4)/2 = 4.00 → 6.40; 12.40
#   quartiers  qualite (1 + 4)/2 = 2.50 → 4.00; impact 2.50 → 4.00;             10.00
#   relais     qualite (4 + 4)/2 = 4.00 → 6.40; impact (4 + 1)/2 = 2.50 → 4.00; 12.40
#   sentier    qualite 1.00 → 1.60; impact 1.00 → 1.60;                          5.20
#   quartiers' 10.00 equals the threshold: not below it. The order becomes passerelle
#   (impact 6.40), relais, quartiers: 20,000 + 20,000, and quartiers' 15,000 > 10,000 left.
def test_round2_raw(round2: dict[str, Any]) -> None:
    assert table(round2) == [
        ("quartiers-nimes", "laureat", 1, "11.60", "15000.00"),
        ("passerelle-dijon", "laureat", 2, "10.80", "20000.00"),
        ("relais-rennes", "liste-complementaire", 3, "10.80", "0.00"),
        ("sentier-tulle", "non-retenu", None, "6.80", "0.00"),
    ]
    assert points(round2, "passerelle-dijon") == {
        "qualite": ("2.00", "3.20"),
        "impact": ("3.50", "5.60"),
        "mixite": ("45.00", "2.00"),
    }
    assert decision(round2, "sentier-tulle")["reasons"] == [
        "mark 6.80 below the threshold 10",
        "qualite 1.50 below its minimum 2",
    ]


def test_round2_zscore_calibration(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    replace(call / "call.yaml", "normalise: none", "normalise: zscore")
    record = score_json(call, R2)
    assert table(record) == [
        ("passerelle-dijon", "laureat", 1, "12.40", "20000.00"),
        ("relais-rennes", "laureat", 2, "12.40", "20000.00"),
        ("quartiers-nimes", "liste-complementaire", 3, "10.00", "0.00"),
        ("sentier-tulle", "non-retenu", None, "5.20", "0.00"),
    ]
    assert {d: points(record, d) for d in ("passerelle-dijon", "quartiers-nimes")} == {
        "passerelle-dijon": {
            "qualite": ("2.50", "4.00"),
            "impact": ("4.00", "6.40"),
            "mixite": ("45.00", "2.00"),
        },
        "quartiers-nimes": {
            "qualite": ("2.50", "4.00"),
            "impact": ("2.50", "4.00"),
            "mixite": ("45.00", "2.00"),
        },
    }
    # The record keeps the raw grades and, in the same order, their calibrated values
    # (anne 2 ↦ 4, bruno 5 ↦ 4): the value is the mean of the calibrated ones.
    impact = decision(record, "passerelle-dijon")["criteria"]["impact"]
    assert (impact["grades"], impact["calibrated"], impact["value"]) == (
        ["2", "5"],
        ["4.0000", "4.0000"],
        "4.00",
    )
    qualite = decision(record, "quartiers-nimes")["criteria"]["qualite"]
    assert (qualite["grades"], qualite["calibrated"], qualite["value"]) == (
        ["1", "5"],
        ["1.0000", "4.0000"],
        "2.50",
    )
    assert "calibrated" not in decision(record, "passerelle-dijon")["criteria"]["mixite"]
    assert decision(record, "sentier-tulle")["reasons"] == [
        "mark 5.20 below the threshold 10",
        "qualite 1.00 below its minimum 2",
    ]
    assert record["uncalibrated_reviewers"] == []


def test_round2_too_few_grades_stay_raw(tmp_path: Path) -> None:
    # With 4 grades each, and 5 required, nobody is calibrated: the raw figures come back.
    call = copy_call(tmp_path)
    replace(call / "call.yaml", "normalise: none", "normalise: zscore")
    replace(call / "call.yaml", "zscore_min_grades: 3", "zscore_min_grades: 5")
    record = score_json(call, R2)
    assert table(record) == table(score_json(HANDCALL, R2))
    assert record["uncalibrated_reviewers"] == ["anne-martin", "bruno-dubois"]
    # Left raw, each grade is its own calibrated value.
    impact = decision(record, "passerelle-dijon")["criteria"]["impact"]
    assert (impact["grades"], impact["calibrated"]) == (["2", "5"], ["2.0000", "5.0000"])


def test_installed_gen_prints_the_same_record(round1: dict[str, Any]) -> None:
    done = run_gen(
        "score", "--round", R1, "--dry-run", "--format", "json", "--call", HANDCALL, script=True
    )
    assert done.code == 0, done.err
    assert done.err == ""
    assert json.loads(done.out) == round1
    assert table(json.loads(done.out)) == ROUND1_TABLE


def test_text_ranking() -> None:
    result = gen("score", "--round", R2, "--dry-run", "--call", HANDCALL)
    assert result.exit_code == 0
    assert result.stdout == (
        "Round 2023Q2\n"
        "\n"
        "rank  dossier           theme      mark/20  requested    granted  status\n"
        "----  ----------------  ---------  -------  ---------  ---------  --------------------\n"
        "   1  quartiers-nimes   inclusion    11.60  15,000.00  15,000.00  laureat\n"
        "   2  passerelle-dijon  inclusion    10.80  20,000.00  20,000.00  laureat\n"
        "   3  relais-rennes     inclusion    10.80  20,000.00       0.00  liste-complementaire\n"
        "   -  sentier-tulle     inclusion     6.80  10,000.00       0.00  non-retenu\n"
        "\n"
        "2 laureate(s) of 4 dossier(s); envelope 50,000.00 EUR: granted 35,000.00 EUR, "
        "left 15,000.00 EUR\n"
        "call budget left after this round: 165,000.00 EUR\n"
        "\n"
    )


# --- writing and checking records ----------------------------------------------------------


def test_score_writes_the_record_it_prints(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    printed = score_json(call, R1)
    result = gen("score", "--round", R1, "--call", call)
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(f"wrote {call / R1 / 'results.yaml'}\n")
    text = (call / R1 / "results.yaml").read_text(encoding="utf-8")
    assert text.startswith(
        "# Decision record written by `gen score --round 2023Q1`. Do not edit by hand:\n"
    )
    assert yaml.safe_load(text) == printed


def test_score_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    assert gen("score", "--round", R1, "--call", call).exit_code == 0
    first = (call / R1 / "results.yaml").read_bytes()
    assert gen("score", "--round", R1, "--call", call).exit_code == 0
    assert (call / R1 / "results.yaml").read_bytes() == first
    # No temporary file is left behind.
    assert {p.name for p in (call / R1).iterdir()} == {
        p.name for p in (HANDCALL / R1).iterdir()
    } | {"results.yaml"}


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    before = files(call)
    for fmt in ("text", "json"):
        result = gen(
            "score", "--round", R1, "--round", R2, "--dry-run", "--format", fmt, "--call", call
        )
        assert result.exit_code == 0, result.output
        assert "wrote" not in result.stdout
    assert files(call) == before


def test_a_later_round_sees_what_earlier_rounds_granted(tmp_path: Path) -> None:
    # Once 2023Q1's record says 95,000 was granted, 200,000 − 95,000 = 105,000 remain.
    call = copy_call(tmp_path)
    assert gen("score", "--round", R1, "--call", call).exit_code == 0
    record = score_json(call, R2)
    assert record["call_budget"] == {"before": "105000.00", "after": "70000.00"}


def test_check_passes_then_names_the_dossier_whose_grade_changed(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    assert gen("score", "--round", R1, "--call", call).exit_code == 0
    ok = gen("score", "--check", "--call", call)
    assert (ok.exit_code, ok.stdout) == (0, "every decision record matches its inputs\n")

    # anne-martin's qualite for numerique-metz: 3 → 4. Its mark becomes 11.71 (82/7); no
    # other decision moves.
    review = call / R1 / "reviews" / "anne-martin.yaml"
    replace(
        review,
        "  numerique-metz:\n    grades:\n      qualite: 3",
        "  numerique-metz:\n    grades:\n      qualite: 4",
    )
    stale = gen("score", "--check", "--call", call)
    assert stale.exit_code == 1
    assert stale.stdout == (
        f"{call / R1 / 'results.yaml'}: stale record for round 2023Q1: "
        "decisions differ for numerique-metz\n"
        "  inputs changed: 2023Q1/reviews/anne-martin.yaml\n"
        "1 stale record(s); run gen score --round 2023Q1 and commit the result\n"
    )
    assert decision(score_json(call, R1), "numerique-metz")["mark"] == "11.71"


def test_check_on_the_example_call(tmp_path: Path) -> None:
    call = copy_call(tmp_path, EXAMPLE, "dossiers")
    assert gen("score", "--round", "2022Q1", "--call", call).exit_code == 0
    assert gen("score", "--check", "--call", call).exit_code == 0
    record = yaml.safe_load((call / "2022Q1" / "results.yaml").read_text(encoding="utf-8"))
    first = table(record)[0][0]  # the round's best dossier
    review = next(
        p
        for p in sorted((call / "2022Q1" / "reviews").iterdir())
        if f"  {first}:\n    grades:\n      pertinence: " in p.read_text(encoding="utf-8")
    )
    text = review.read_text(encoding="utf-8")
    at = text.index(f"  {first}:\n    grades:\n      pertinence: ")
    end = text.index("\n", at + len(first) + 30)
    review.write_text(text[:at] + f"  {first}:\n    grades:\n      pertinence: 0" + text[end:])
    stale = gen("score", "--check", "--call", call)
    assert stale.exit_code == 1
    line = stale.stdout.splitlines()[0]
    assert line.startswith(f"{call / '2022Q1' / 'results.yaml'}: stale record for round 2022Q1: ")
    assert first in line.split("decisions differ for ", 1)[1].split(", ")


def test_an_open_round_is_refused_but_can_be_previewed(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    replace(
        call / "call.yaml",
        "closes: 2023-06-30\n    submissions: closed",
        "closes: 2023-06-30\n    submissions: open",
    )
    refused = gen("score", "--round", R2, "--call", call)
    assert refused.exit_code == 2
    assert refused.stderr == (
        "gen: error: round 2023Q2 still takes dossiers (submissions: open in call.yaml): "
        "set submissions: closed once its deadline has passed, then score it "
        "(gen score --dry-run shows the outcome so far without writing)\n"
    )
    assert not (call / R2 / "results.yaml").exists()
    preview = gen("score", "--round", R2, "--dry-run", "--call", call)
    assert preview.exit_code == 0, preview.output
    assert not (call / R2 / "results.yaml").exists()
    # --all takes only the rounds that no longer take dossiers.
    every = gen("score", "--all", "--dry-run", "--format", "json", "--call", call)
    assert every.exit_code == 0
    assert json.loads(every.stdout)["round"] == R1


def test_a_closed_round_is_not_scored_again(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    assert gen("score", "--round", R1, "--call", call).exit_code == 0
    assert gen("close", R1, "--by", "Secrétariat", "--call", call).exit_code == 0
    before = (call / R1 / "results.yaml").read_bytes()
    refused = gen("score", "--round", R1, "--call", call)
    assert refused.exit_code == 2
    assert refused.stderr == (
        "gen: error: round 2023Q1 is closed: its decisions are final. To correct them, "
        "change the files, then run gen amend 2023Q1 --reason '…'\n"
    )
    assert (call / R1 / "results.yaml").read_bytes() == before
    # --all leaves it out and scores the next round
    every = gen("score", "--all", "--call", call)
    assert every.exit_code == 0, every.output
    assert every.stdout.endswith(f"wrote {call / R2 / 'results.yaml'}\n")


def test_a_call_with_validation_errors_is_refused(tmp_path: Path) -> None:
    call = copy_call(tmp_path)
    review = call / R1 / "reviews" / "bruno-dubois.yaml"
    replace(
        review,
        "  petit-fablab-gap:\n    grades:\n      qualite: 4",
        "  petit-fablab-gap:\n    grades:\n      qualite: 9",
    )
    result = gen("score", "--round", R1, "--call", call)
    assert result.exit_code == 1
    line = line_of(review, "qualite: 9")
    assert result.stderr.splitlines() == [
        f"{review}:{line}:16: error E209 dossier 'petit-fablab-gap': grade 9 for 'qualite' "
        "is outside its scale 0–5",
        "checked 1 call file, 2 rounds, 15 dossiers, 5 reviews: 1 error, 0 warnings",
        "gen: error: refusing to score: gen validate finds 1 error(s) that concern "
        "round(s) 2023Q1; fix them first",
    ]
    assert not (call / R1 / "results.yaml").exists()
    # The error is confined to 2023Q1: 2023Q2 is scored all the same.
    other = gen("score", "--round", R2, "--call", call)
    assert other.exit_code == 0, other.output
    # gen score --check does not repeat what gen validate prints.
    assert gen("score", "--round", R1, "--call", HANDCALL, "--dry-run").exit_code == 0
    shutil.copy(call / R2 / "results.yaml", tmp_path / "r2.yaml")
    checked = gen("score", "--check", "--call", call)
    assert (checked.exit_code, checked.stdout) == (0, "every decision record matches its inputs\n")


# --- gen show ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scored_handcall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand call with round 2023Q1 scored: gen show reads its record."""
    call = Path(shutil.copytree(HANDCALL, tmp_path_factory.mktemp("show") / "call"))
    assert gen("score", "--round", "2023Q1", "--call", call).exit_code == 0
    return call


@pytest.mark.parametrize(
    ("dossier", "lines"),
    [
        (  # not selected: the envelope, and a tie decided by a criterion
            "tiers-lieu-caen",
            [
                "Décision\u00a0: non retenu",
                "Classé 5e sur 7 dossiers classés, 3e de sa thématique.",
                "L’enveloppe restante (15\u202f000\u00a0€) ne couvrait pas la demande de "
                "30\u202f000\u00a0€.",
                "La liste complémentaire était déjà complète.",
                "À égalité de note (13,60) avec un autre dossier\u202f; départagé par les points du "
                "critère «\u00a0Impact\u00a0» (le plus de points passe devant).",
            ],
        ),
        (  # a laureate
            "fabrique-lille",
            [
                "Décision\u00a0: lauréat, subvention accordée 20\u202f000\u00a0€",
                "Classé 2e sur 7 dossiers classés, 1er de sa thématique.",
                "La demande tenait dans l’enveloppe restante du relevé.",
            ],
        ),
        (  # the waiting list, by the theme's envelope
            "datalab-nantes",
            [
                "Décision\u00a0: liste complémentaire, 1re position",
                "Classé 3e sur 7 dossiers classés, 2e de sa thématique.",
                "L’enveloppe de la thématique (15\u202f000\u00a0€ restants) ne couvrait pas la "
                "demande de 20\u202f000\u00a0€.",
            ],
        ),
        (  # below the threshold
            "ecole-ouverte-pau",
            [
                "Décision\u00a0: non retenu",
                "La note 7,47 est sous le seuil de 10,00 sur 20\u00a0: le dossier n’est pas classé.",
            ],
        ),
        (  # below a criterion's minimum
            "maison-du-code-lens",
            [
                "Décision\u00a0: non retenu",
                "Qualité du projet\u00a0: 1,67 est sous le minimum de 2,00\u00a0: le dossier n’est pas "
                "classé.",
            ],
        ),
        (  # ineligible: the rule's own message, and no mark as if it had competed
            "grand-campus-lyon",
            [
                "Décision\u00a0: inéligible",
                "Le dossier ne remplit pas une condition d’éligibilité\u00a0: La subvention demandée "
                "est comprise entre 5 000 et 50 000 euros.",
                "",
                "Pas de note\u00a0: le dossier n’a pas concouru.",
            ],
        ),
        (  # incomplete
            "petit-fablab-gap",
            [
                "Décision\u00a0: incomplet",
                "Le dossier n’a pas pu être noté\u00a0: 1 évaluation(s) pour 2 requises.",
                "",
                "Pas de note\u00a0: le dossier n’a pas concouru.",
            ],
        ),
    ],
)
def test_show_says_what_decided_in_french(
    scored_handcall: Path, dossier: str, lines: list[str]
) -> None:
    result = gen("show", dossier, "--call", scored_handcall)
    assert result.exit_code == 0, result.output
    shown = result.stdout.splitlines()
    start = shown.index(lines[0])
    assert shown[start : start + len(lines)] == lines
    assert shown[0].startswith(f"Dossier {dossier} — ")


def test_show_gives_labels_scales_and_weights(scored_handcall: Path) -> None:
    result = gen("show", "fabrique-lille", "--call", scored_handcall)
    assert result.stdout.splitlines()[-5:] == [
        "Note\u00a0: 18,29 / 20, sur 2 évaluation(s) (1 écartée(s) pour conflit d’intérêts)",
        "  Qualité du projet\u00a0: 4,50 / 5 → 7,72 points sur 8,57",
        "  Impact\u00a0: 5,00 / 5 → 8,57 points sur 8,57",
        "  Subvention par personne (indicateur)\u00a0: 400,00 → 2,00 points sur 2,86",
        "Seuil de classement\u00a0: 10,00 / 20.",
    ]
    assert "camille" not in result.stdout.lower()  # the reviewer set aside is not named


def test_show_in_english_and_as_json(scored_handcall: Path) -> None:
    english = gen("show", "atelier-brest", "--call", scored_handcall, "--lang", "en")
    assert english.stdout.splitlines()[4:8] == [
        "Decision: laureate, grant €10,000",
        "Ranked 6th of 7 ranked dossiers, 4th in its theme.",
        "The request fitted in what was left of the round's envelope.",
        "Tied on the mark (13.60) with another dossier; decided by the points of criterion "
        "“Impact” (more points come first).",
    ]
    data = json.loads(
        gen("show", "datalab-nantes", "--call", scored_handcall, "--format", "json").stdout
    )
    assert {k: data[k] for k in ("status", "rank", "waiting_list_place", "mark", "source")} == {
        "status": "liste-complementaire",
        "rank": 3,
        "waiting_list_place": 1,
        "mark": "14.86",
        "source": "record",
    }


def test_show_reads_the_record_and_says_when_the_files_moved(tmp_path: Path) -> None:
    call = Path(shutil.copytree(HANDCALL, tmp_path / "call"))
    assert gen("score", "--round", "2023Q1", "--call", call).exit_code == 0
    replace(
        call / "2023Q1" / "reviews" / "anne-martin.yaml",
        "  numerique-metz:\n    grades:\n      qualite: 3",
        "  numerique-metz:\n    grades:\n      qualite: 4",
    )
    recorded = gen("show", "numerique-metz", "--call", call)
    assert recorded.stdout.splitlines()[0] == (
        "Les fichiers ont changé depuis la décision enregistrée\u00a0: voici la décision "
        "enregistrée (gen show --recompute montre ce que donneraient les fichiers)."
    )
    assert "Note\u00a0: 11,14 / 20, sur 3 évaluation(s)" in recorded.stdout.splitlines()
    fresh = gen("show", "numerique-metz", "--call", call, "--recompute")
    assert fresh.stdout.splitlines()[0].startswith("Calcul à partir des fichiers actuels")
    assert "Note\u00a0: 11,71 / 20, sur 3 évaluation(s)" in fresh.stdout.splitlines()
    unscored = gen("show", "numerique-metz", "--call", HANDCALL)
    assert unscored.stdout.splitlines()[0].startswith("Aucune décision n’est encore enregistrée")


def test_show_an_unknown_dossier() -> None:
    result = gen("show", "nowhere", "--call", HANDCALL)
    assert result.exit_code == 2
    assert result.stderr == f"gen: error: no dossier 'nowhere' in {HANDCALL}\n"


# --- bad rules in call.yaml --------------------------------------------------------------------

BAD_RULES = [
    pytest.param(
        "tie_break: [criterion:impact,",
        "tie_break: [criterion:innovation,",
        "criterion:innovation",
        15,
        "E302 tie_break names criterion 'innovation', which is not in the grid of formation, inclusion",
        id="E302-unknown-criterion-in-tie-break",
    ),
    pytest.param(
        "        weight: 1\n        source: indicator\n        indicator: {field",
        "        weight: 0\n        source: indicator\n        indicator: {field",
        "weight: 0",
        17,
        "E303 grids.inclusion.criteria.2.weight: weight must be above zero, got 0",
        id="E303-zero-weight",
    ),
    pytest.param(
        "        weight: 3\n        source: reviews\n        scale: {min: 0, max: 5}\n      - id: impact",
        "        weight: 3\n        source: reviews\n        scale: {min: 6, max: 5}\n      - id: impact",
        "scale: {min: 6, max: 5}",
        16,
        "E304 criterion 'qualite': scale min 6 is not below max 5",
        id="E304-scale-min-above-max",
    ),
    pytest.param(
        "      en: Training for digital jobs\n",
        "      en: Training for digital jobs\n  - id: numerique-responsable\n"
        "    label: {fr: Numérique responsable, en: Responsible digital}\n",
        "id: numerique-responsable",
        9,
        "E305 theme 'numerique-responsable' has no scoring grid under 'grids'",
        id="E305-theme-without-grid",
    ),
    pytest.param(
        "      amount: 50000",
        "      amount: -50000",
        "amount: -50000",
        15,
        "E306 rounds.1.envelope.amount: amount must not be negative, got -50000",
        id="E306-negative-envelope",
    ),
]


@pytest.mark.parametrize(("old", "new", "needle", "column", "message"), BAD_RULES)
def test_bad_rules_are_located(
    tmp_path: Path, old: str, new: str, needle: str, column: int, message: str
) -> None:
    call = copy_call(tmp_path)
    replace(call / "call.yaml", old, new)
    result = gen("validate", "--call", call)
    assert result.exit_code == 1
    expected = (
        f"{call / 'call.yaml'}:{line_of(call / 'call.yaml', needle)}:{column}: error {message}"
    )
    assert expected in result.stdout.splitlines()
    code = message.split()[0]
    assert [line for line in result.stdout.splitlines() if f" {code} " in line] == [expected]
    assert "Traceback" not in result.output
    # gen score refuses the call with the same diagnostics and no traceback either.
    refused = gen("score", "--round", R1, "--call", call)
    assert refused.exit_code == 1
    assert expected in refused.stderr.splitlines()
    assert "Traceback" not in refused.output


# --- a real git repository ---------------------------------------------------------------------


def test_score_in_a_git_repository_adds_only_the_record(tmp_path: Path) -> None:
    repo = copy_call(tmp_path, name="repo")
    env = {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.org",
        "GIT_AUTHOR_DATE": "2023-07-01T12:00:00+00:00",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.org",
        "GIT_COMMITTER_DATE": "2023-07-01T12:00:00+00:00",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HOME": str(tmp_path),
    }

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=repo,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    git("init", "--quiet", "--initial-branch=main")
    git("add", ".")
    git("commit", "--quiet", "--message", "The call and its dossiers")
    assert git("status", "--porcelain") == ""

    done = run_gen("score", "--round", R1, "--call", ".", script=True, cwd=repo, **env)
    assert done.code == 0, done.err
    assert done.out.endswith("wrote 2023Q1/results.yaml\n")
    assert git("status", "--porcelain") == "?? 2023Q1/results.yaml\n"

    git("add", "2023Q1/results.yaml")
    git("commit", "--quiet", "--message", "Decisions of 2023Q1")
    again = run_gen("score", "--round", R1, "--call", ".", script=True, cwd=repo, **env)
    assert again.code == 0
    assert git("status", "--porcelain") == ""  # byte-identical: nothing to commit
    check = run_gen("score", "--check", "--call", ".", script=True, cwd=repo, **env)
    assert (check.code, check.out) == (0, "every decision record matches its inputs\n")


def test_all_says_why_no_round_is_scored_when_every_round_takes_dossiers(
    call_dir: Path,
) -> None:
    text = (call_dir / "call.yaml").read_text(encoding="utf-8")
    (call_dir / "call.yaml").write_text(
        text.replace("submissions: closed", "submissions: open"), encoding="utf-8"
    )
    result = run_gen("score", "--all", "--dry-run", "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        "gen: error: no round to score: --all scores the rounds whose submissions are closed "
        "and that are not closed themselves (gen status says where each stands); gen score "
        "--round ROUND --dry-run shows an open round's outcome so far\n"
    )
