"""gen_cli.scoring: apportion, aggregate, calibrate, evaluate, with hand-computed Decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import make_dossier
from hypothesis import given, settings
from hypothesis import strategies as st

from gen_cli.models import Call, Dossier, IndicatorCriterion, Review
from gen_cli.scoring import (
    Grading,
    aggregate,
    apportion,
    calibrate,
    eligibility_failures,
    evaluate_round,
    indicator_value,
    minimum_reviews,
    q2,
)

D = Decimal
CENT = D("0.01")
SIRET = "83456789300013"

# --- builders: models made in Python, validated by pydantic as files would be ---------------


def review_criterion(
    ident: str, weight: Any, low: Any = 0, high: Any = 5, minimum: Any = None
) -> dict[str, Any]:
    criterion: dict[str, Any] = {
        "id": ident,
        "label": {"fr": ident, "en": ident},
        "weight": weight,
        "source": "reviews",
        "scale": {"min": low, "max": high},
    }
    if minimum is not None:
        criterion["minimum"] = minimum
    return criterion


def indicator_criterion(ident: str, weight: Any, **indicator: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "label": {"fr": ident, "en": ident},
        "weight": weight,
        "source": "indicator",
        "indicator": indicator,
    }


def make_call(grids: dict[str, Any], reviewers: int | list[Any] = 10, **sections: Any) -> Call:
    data: dict[str, Any] = {
        "name": {"fr": "Appel", "en": "Call"},
        "funder": {"name": "Fonds", "siret": SIRET},
        "budget": 1_000_000,
        "themes": [{"id": t, "label": {"fr": t, "en": t}} for t in grids],
        "rounds": [
            {
                "id": "R1",
                "opens": "2023-01-01",
                "closes": "2023-03-31",
                "envelope": {"amount": 100_000},
            }
        ],
        "grids": {t: {"criteria": criteria} for t, criteria in grids.items()},
        "reviewers": reviewers
        if isinstance(reviewers, list)
        else [{"id": f"r{i}", "name": f"Reviewer {i}"} for i in range(reviewers)],
    }
    data.update(sections)
    return Call.model_validate(data)


def make_review(reviewer: str, evaluations: dict[str, dict[str, Any]]) -> Review:
    return Review.model_validate(
        {
            "reviewer": reviewer,
            "round": "R1",
            "evaluations": {d: {"grades": g} for d, g in evaluations.items()},
        }
    )


def reviews_of(grades: dict[str, list[Any]], criterion: str = "qualite") -> list[Review]:
    """Reviews r0, r1, … where reviewer i gives dossier d the grade grades[d][i]."""
    count = max(len(g) for g in grades.values())
    return [
        make_review(f"r{i}", {d: {criterion: g[i]} for d, g in grades.items() if i < len(g)})
        for i in range(count)
    ]


# --- apportion ----------------------------------------------------------------------------

THIRD = D(1) / 3
TWO_THIRDS = D(2) / 3


@pytest.mark.parametrize(
    ("values", "places", "expected"),
    [
        ([], 2, []),
        (["1.50", "2.25"], 2, ["1.50", "2.25"]),  # already in cents: unchanged
        # 3 × 0.333…: floors 0.99, target 1.00; equal remainders, the earliest gets the cent
        ([THIRD, THIRD, THIRD], 2, ["0.34", "0.33", "0.33"]),
        # 3 × 0.666…: floors 1.98, target 2.00; two cents to the first two
        ([TWO_THIRDS] * 3, 2, ["0.67", "0.67", "0.66"]),
        # rounding each half up would give 1.01 + 2.01 = 3.02; the total is 3.01
        (["1.005", "2.005"], 2, ["1.01", "2.00"]),
        # 0.012 rounds to 0.01: one cent, to the first
        (["0.004", "0.004", "0.004"], 2, ["0.01", "0.00", "0.00"]),
        # 0.0098 rounds to 0.01: the cent goes where neither value would round up alone
        (["0.0049", "0.0049"], 2, ["0.01", "0.00"]),
        (["0.005"], 2, ["0.01"]),  # half a cent: half up
        # largest remainder wins, not the earliest: .009 > .002
        (["1.002", "1.009", "0.999"], 2, ["1.00", "1.01", "1.00"]),
        # fabrique-lille in tests/fixtures/handcall: 54/7, 60/7, 2 → 18.29
        ([D(54) / 7, D(60) / 7, D(2)], 2, ["7.72", "8.57", "2.00"]),
        # datalab-nantes: 48/7, 44/7, 12/7 → 104/7 = 14.857…: two cents, not to 12/7
        ([D(48) / 7, D(44) / 7, D(12) / 7], 2, ["6.86", "6.29", "1.71"]),
        ([D("2.5"), D("2.5")], 0, ["3", "2"]),  # to the unit
        ([D("0.25"), D("0.25"), D("0.5")], 1, ["0.3", "0.2", "0.5"]),
    ],
)
def test_apportion(values: list[Any], places: int, expected: list[str]) -> None:
    result = apportion([D(v) for v in values], places)
    assert result == [D(e) for e in expected]
    assert [str(r) for r in result] == expected  # exact digits, not just equal values


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.decimals(
            min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False, places=6
        ),
        max_size=12,
    )
    | st.lists(st.fractions(min_value=0, max_value=20, max_denominator=60), max_size=12).map(
        lambda fs: [D(f.numerator) / D(f.denominator) for f in fs]
    )
)
def test_apportion_adds_up_to_the_rounded_total(values: list[Decimal]) -> None:
    result = apportion(values)
    assert sum(result, D(0)) == q2(sum(values, D(0)))
    for value, rounded in zip(values, result, strict=True):
        assert rounded == rounded.quantize(CENT)
        assert rounded - CENT < value <= rounded + CENT
        if value >= 0:
            assert rounded >= 0


def test_apportion_negative_values_add_up() -> None:
    # Floors go towards minus infinity: -0.01 and -0.01 (remainders .005 each); the total
    # -0.01 needs one cent back, which goes to the first.
    assert apportion([D("-0.005"), D("-0.005")]) == [D("0.00"), D("-0.01")]
    assert apportion([D("-1.234"), D("0.5")]) == [D("-1.23"), D("0.50")]


# --- aggregate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grades", "method", "trim", "expected"),
    [
        (["4", "4", "5"], "mean", 20, D(13) / 3),
        (["1", "2", "4"], "mean", 20, D(7) / 3),
        (["2.5", "3.25"], "mean", 20, D("2.875")),
        (["5", "1", "3"], "median", 20, D(3)),
        (["4", "1", "3", "2"], "median", 20, D("2.5")),  # even count: mean of the middle two
        (["1.5", "2.25"], "median", 20, D("1.875")),
        (["4"], "median", 20, D(4)),
        # 5 grades, 20 %: floor(5 × 20 / 200) = 0 dropped at each end, so the plain mean 16/5
        (["0", "1", "2", "3", "10"], "trimmed-mean", 20, D("3.2")),
        # 5 grades, 40 %: floor(1.0) = 1 at each end: (1 + 2 + 3) / 3
        (["10", "0", "1", "2", "3"], "trimmed-mean", 40, D(2)),
        # 10 grades, 20 %: 1 at each end: 0 and 50 go, (1+1+2+2+3+3+4+4) / 8
        (["0", "1", "1", "2", "2", "3", "3", "4", "4", "50"], "trimmed-mean", 20, D("2.5")),
        (["0", "1", "2", "3", "10"], "trimmed-mean", 0, D("3.2")),
        # 3 grades, 100 %: floor(1.5) = 1 at each end: the middle one
        (["1", "2", "9"], "trimmed-mean", 100, D(2)),
        # 2 grades, 100 %: dropping 1 at each end would leave nothing: both are kept
        (["1", "9"], "trimmed-mean", 100, D(5)),
        # 4 grades, 99 %: floor(1.98) = 1 at each end: (2 + 4) / 2
        (["1", "2", "4", "10"], "trimmed-mean", 99, D(3)),
        # 4 grades, 100 %: floor(2) = 2 at each end would leave nothing: the middle two are
        # kept, as at 99 % (trimming more never keeps more)
        (["1", "2", "4", "10"], "trimmed-mean", 100, D(3)),
        (["1", "2", "3", "4", "10"], "trimmed-mean", 100, D(3)),  # 5 grades: the middle one
    ],
)
def test_aggregate(grades: list[str], method: str, trim: int, expected: Decimal) -> None:
    assert aggregate([D(g) for g in grades], method, D(trim)) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 500).map(lambda k: D(k) / 100), min_size=1, max_size=9),
    st.sampled_from(["mean", "median", "trimmed-mean"]),
    st.sampled_from([0, 10, 20, 50, 99]),
)
def test_aggregate_lies_between_the_extremes(grades: list[Decimal], method: str, trim: int) -> None:
    value = aggregate(grades, method, D(trim))
    assert min(grades) <= value <= max(grades)
    assert value == aggregate(list(reversed(grades)), method, D(trim))


# --- calibrate --------------------------------------------------------------------------------


def _zscore_call(min_grades: int = 3, high: Any = 5) -> Call:
    return make_call(
        {"t": [review_criterion("qualite", 1, 0, high)]},
        scoring={"normalise": "zscore", "zscore_min_grades": min_grades, "threshold": 0},
    )


def test_calibrate_by_hand() -> None:
    # r0 grades 1,1,2,2 (mean 1.5, population sd 0.5); r1 grades 2,2,5,5 (mean 3.5, sd 1.5).
    # Pooled: mean 2.5, variance (2 × 1.5² + 4 × 0.5² + 2 × 2.5²) / 8 = 2.25, sd 1.5.
    # g ↦ 2.5 + 1.5 × (g − own mean) / own sd: r0 1 ↦ 1, 2 ↦ 4; r1 2 ↦ 1, 5 ↦ 4.
    own = {"r0": ["2", "1", "2", "1"], "r1": ["2", "5", "5", "2"]}
    gradings = [
        Grading(r, f"d{i}", {"qualite": D(g)})
        for r, grades in own.items()
        for i, g in enumerate(grades)
    ]
    calibrated, raw = calibrate(gradings, _zscore_call())
    assert raw == []
    assert [(g.reviewer, g.dossier, g.grades["qualite"]) for g in calibrated] == [
        ("r0", "d0", D(4)),
        ("r0", "d1", D(1)),
        ("r0", "d2", D(4)),
        ("r0", "d3", D(1)),
        ("r1", "d0", D(1)),
        ("r1", "d1", D(4)),
        ("r1", "d2", D(4)),
        ("r1", "d3", D(1)),
    ]


def test_calibrate_clamps_to_the_scale() -> None:
    # r0: 0, 0, 0, 4 (mean 1, sd √3); r1: 4, 4, 4, 4 (constant: kept raw).
    # Pooled 0,0,0,4,4,4,4,4: mean 2.5, variance (3 × 2.5² + 5 × 1.5²) / 8 = 3.75; r0's 4
    # maps to 2.5 + √3.75 × (4 − 1)/√3 = 2.5 + √11.25 ≈ 5.85, above the scale: clamped to 5.
    gradings = [Grading("r0", f"d{i}", {"qualite": D(g)}) for i, g in enumerate([0, 0, 0, 4])]
    gradings += [Grading("r1", f"d{i}", {"qualite": D(4)}) for i in range(4)]
    calibrated, raw = calibrate(gradings, _zscore_call())
    assert raw == ["r1"]  # r1 gave the same grade every time
    assert calibrated[3].grades["qualite"] == D(5)
    assert [g.grades["qualite"] for g in calibrated[4:]] == [D(4)] * 4
    assert all(D(0) <= g.grades["qualite"] <= D(5) for g in calibrated)


def test_calibrate_leaves_reviewers_with_too_few_grades_raw() -> None:
    gradings = [Grading("r0", f"d{i}", {"qualite": D(i)}) for i in range(3)]
    gradings += [Grading("r1", "d0", {"qualite": D(5)}), Grading("r1", "d1", {"qualite": D(3)})]
    calibrated, raw = calibrate(gradings, _zscore_call(min_grades=3))
    assert raw == ["r1"]
    assert [g.grades for g in calibrated[3:]] == [{"qualite": D(5)}, {"qualite": D(3)}]
    assert [g.grades["qualite"] for g in calibrated[:3]] != [D(0), D(1), D(2)]


def test_calibrate_is_a_no_op_without_zscore() -> None:
    gradings = [Grading("r0", "d0", {"qualite": D(2)})]
    call = make_call({"t": [review_criterion("qualite", 1)]})
    assert calibrate(gradings, call) == (gradings, [])


# --- evaluate: marks by hand ----------------------------------------------------------------

# Grid: qualite (reviews, 0–5, weight 3) and mixite (women_percent from 20 to 70, weight 4).
# Σweights 7: qualite's points are value / 5 × 3 × 20/7 = 12 × value / 7; every dossier has
# 45 % women, so mixite is 0.5 × 4 × 20/7 = 40/7 = 5.714285….
_MIXED = {
    "t": [
        review_criterion("qualite", 3),
        indicator_criterion("mixite", 4, field="beneficiaries.women_percent", low=20, high=70),
    ]
}


@pytest.mark.parametrize(
    ("method", "trim", "grades", "value", "points"),
    [
        # mean 8/3 → 32/7 = 4.5714…; sum 72/7 = 10.2857… → 10.29; floors 4.57 + 5.71;
        # the cent goes to mixite (.0043 > .0014)
        ("mean", 20, [1, 2, 5], "2.67", ("4.57", "5.72")),
        # median 2 → 24/7 = 3.4285…; sum 64/7 = 9.1428… → 9.14; the cent to qualite (.0086)
        ("median", 20, [5, 1, 2], "2.00", ("3.43", "5.71")),
        # median of four: (2 + 4)/2 = 3 → 36/7 = 5.1428…; sum 76/7 = 10.857… → 10.86;
        # the cent to mixite (.0043 > .0029)
        ("median", 20, [1, 2, 4, 5], "3.00", ("5.14", "5.72")),
        # 5 grades at 20 %: nothing dropped; 11/5 = 2.2 → 26.4/7 = 3.7714…; sum 66.4/7 =
        # 9.4857… → 9.49; the cent to mixite
        ("trimmed-mean", 20, [0, 1, 2, 3, 5], "2.20", ("3.77", "5.72")),
        # 5 grades at 40 %: 0 and 5 dropped, (1 + 2 + 3)/3 = 2: as the median above
        ("trimmed-mean", 40, [0, 1, 2, 3, 5], "2.00", ("3.43", "5.71")),
        # 10 grades at 20 %: 0 and 5 dropped, 20/8 = 2.5 → 30/7 = 4.2857…; sum exactly 10;
        # floors 4.28 + 5.71 = 9.99; the cent to qualite (.0057 > .0043)
        ("trimmed-mean", 20, [0, 1, 1, 2, 2, 3, 3, 4, 4, 5], "2.50", ("4.29", "5.71")),
    ],
)
def test_evaluate_mark_by_hand(
    method: str, trim: int, grades: list[int], value: str, points: tuple[str, str]
) -> None:
    call = make_call(_MIXED, scoring={"aggregation": method, "trim_percent": trim, "threshold": 0})
    dossier = make_dossier("d")
    (item,), _, _ = evaluate_round(call, call.rounds[0], [dossier], reviews_of({"d": grades}))
    qualite, mixite = item.criteria
    assert (str(qualite.value), str(mixite.value)) == (value, "45.00")
    assert (str(qualite.points), str(mixite.points)) == points
    assert item.mark == D(points[0]) + D(points[1])
    assert qualite.grades == tuple(sorted(D(g) for g in grades))
    assert item.reviews == len(grades)


def test_evaluate_threshold_minimum_and_incomplete() -> None:
    # qualite weight 1 on 0–5 with minimum 2, alone in the grid: points = value × 4.
    call = make_call(
        {"t": [review_criterion("qualite", 1, minimum=2)]},
        eligibility=[{"id": "deux-avis", "rule": "min-reviews", "min": 2, "message": "Deux avis"}],
        scoring={"threshold": 10},
    )
    dossiers = [make_dossier(i) for i in ("bas", "juste", "seul")]
    reviews = reviews_of(
        {
            "bas": [2, 3],  # 2.5 → 10.00: equal to the threshold, not below it
            "juste": ["2.49", "2.49"],  # 2.49 → 9.96 < 10
            "seul": [5],  # one review, two required
        }
    )
    by_id = {e.dossier.id: e for e in evaluate_round(call, call.rounds[0], dossiers, reviews)[0]}
    assert (by_id["bas"].mark, by_id["bas"].below) == (D("10.00"), ())
    assert by_id["juste"].below == ("mark 9.96 below the threshold 10",)
    assert (by_id["seul"].mark, by_id["seul"].incomplete) == (None, "1 review(s), 2 required")
    assert minimum_reviews(call) == 2


def test_evaluate_criterion_minimum() -> None:
    call = make_call(
        {"t": [review_criterion("qualite", 1, minimum=2), review_criterion("impact", 4)]},
        scoring={"threshold": 0},
    )
    reviews = [make_review("r0", {"d": {"qualite": "1.5", "impact": 5}})]
    (item,), _, _ = evaluate_round(call, call.rounds[0], [make_dossier("d")], reviews)
    # qualite 1.5/5 × 4 = 1.20, impact 5/5 × 16 = 16.00
    assert item.mark == D("17.20")
    assert item.below == ("qualite 1.50 below its minimum 2",)


def test_evaluate_missing_criterion_grade_is_incomplete() -> None:
    call = make_call({"t": [review_criterion("qualite", 1), review_criterion("impact", 1)]})
    reviews = [make_review("r0", {"d": {"qualite": 4}})]
    (item,), _, _ = evaluate_round(call, call.rounds[0], [make_dossier("d")], reviews)
    assert (item.mark, item.incomplete) == (None, "no grade for criterion impact")


def test_evaluate_round_excludes_declared_and_detected_conflicts() -> None:
    call = make_call(
        {"t": [review_criterion("qualite", 1)]},
        reviewers=[
            {"id": "r0", "name": "Zero"},
            {"id": "r1", "name": "Un", "affiliations": [{"name": "Porteur d"}]},
            {"id": "r2", "name": "Deux"},
        ],
        scoring={"threshold": 0},
    )
    reviews = [
        make_review("r0", {"d": {"qualite": 4}}),
        make_review("r1", {"d": {"qualite": 5}}),  # affiliated with the lead: detected
        Review.model_validate(
            {"reviewer": "r2", "round": "R1", "evaluations": {"d": {"conflict": "Ancien salarié"}}}
        ),
    ]
    (item,), excluded, _ = evaluate_round(call, call.rounds[0], [make_dossier("d")], reviews)
    assert [(e.reviewer, e.dossier, e.reason) for e in excluded] == [
        ("r1", "d", "detected"),
        ("r2", "d", "declared"),
    ]
    assert (item.reviews, item.mark) == (1, D("16.00"))


# --- indicators and eligibility -------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "changes", "value", "normalised"),
    [
        ({"field": "beneficiaries.women_percent", "low": 20, "high": 70}, {}, "45.00", D("0.5")),
        # above high and below low: clamped to 1 and 0
        (
            {"field": "beneficiaries.women_percent", "low": 20, "high": 70},
            {"beneficiaries__women_percent": 90},
            "90.00",
            D(1),
        ),
        (
            {"field": "beneficiaries.women_percent", "low": 20, "high": 70},
            {"beneficiaries__women_percent": 5},
            "5.00",
            D(0),
        ),
        # 10,000 / 10 people = 1,000 per person; lower is better: 1 − 900/1000 = 0.1
        (
            {
                "field": "budget.requested",
                "per": "beneficiaries.people",
                "low": 100,
                "high": 1100,
                "better": "lower",
            },
            {},
            "1000.00",
            D("0.1"),
        ),
        # 10,000 / 3 people = 3,333.33…: q2 shows the value, the exact ratio is scaled
        (
            {"field": "budget.requested", "per": "beneficiaries.people", "low": 0, "high": 10000},
            {"beneficiaries__people": 3},
            "3333.33",
            D(10000) / 3 / 10000,
        ),
        # no partner to divide by: an undefined ratio counts as the worst value
        (
            {"field": "budget.requested", "per": "partners.count", "low": 0, "high": 1},
            {},
            None,
            D(0),
        ),
        (
            {"field": "partners.count", "low": 0, "high": 4},
            {"partners": [{"name": "A", "role": "x"}, {"name": "B", "role": "y"}]},
            "2.00",
            D("0.5"),
        ),
        # 2023-09-01 to 2024-06-30: 303 days / 30.4375 = 9.9548… → 9.95 months
        ({"field": "timeline.months", "low": 0, "high": "19.9"}, {}, "9.95", D("0.5")),
    ],
)
def test_indicator_value(
    indicator: dict[str, Any], changes: dict[str, Any], value: str | None, normalised: Decimal
) -> None:
    criterion = IndicatorCriterion.model_validate(indicator_criterion("i", 1, **indicator))
    got_value, got_normalised = indicator_value(make_dossier("d", **changes), criterion)
    assert (None if got_value is None else str(got_value)) == value
    assert got_normalised == normalised


_RULES = [
    {"id": "porteur", "rule": "lead-kind", "allowed": ["organisme-formation"], "message": "m1"},
    {"id": "montant", "rule": "requested-amount", "min": 5000, "max": 50000, "message": "m2"},
    {"id": "part", "rule": "cost-share", "max_percent": 80, "message": "m3"},
    {"id": "dates", "rule": "submission-window", "message": "m4"},
    {"id": "themes", "rule": "themes", "min": 2, "message": "m5"},
]


@pytest.mark.parametrize(
    ("changes", "failed"),
    [
        ({"themes": ["t", "u"]}, []),
        ({}, ["themes"]),
        (
            {
                "themes": ["t", "u"],
                "porteur": {
                    "name": "P",
                    "siret": SIRET,
                    "kind": "partenaire-organisme-formation",
                    "region": "corse",
                    "gen_labelled": False,
                },
            },
            ["porteur"],
        ),
        ({"themes": ["t", "u"], "budget__requested": 4999}, ["montant"]),
        ({"themes": ["t", "u"], "budget__requested": 5000}, []),
        (
            {"themes": ["t", "u"], "budget__requested": "50000.01", "budget__total_cost": 90000},
            ["montant"],
        ),
        # 16,000 of 20,000 is exactly 80 %: allowed; 16,000.01 is not
        ({"themes": ["t", "u"], "budget__requested": 16000}, []),
        ({"themes": ["t", "u"], "budget__requested": "16000.01"}, ["part"]),
        (
            {"themes": ["t", "u"], "budget__total_cost": 0, "budget__requested": 0},
            ["montant", "part"],
        ),
        ({"themes": ["t", "u"], "submitted": "2023-03-31"}, []),
        ({"themes": ["t", "u"], "submitted": "2023-04-01"}, ["dates"]),
        ({"themes": ["t", "inconnu"]}, ["themes"]),  # an undeclared theme does not count
    ],
)
def test_eligibility_failures(changes: dict[str, Any], failed: list[str]) -> None:
    call = make_call(
        {"t": [review_criterion("qualite", 1)], "u": [review_criterion("qualite", 1)]},
        eligibility=_RULES,
    )
    dossier = make_dossier("d", **changes)
    assert [rule for rule, _ in eligibility_failures(call, call.rounds[0], dossier)] == failed


# --- properties of marks --------------------------------------------------------------------

_SCALES = {"c1": (0, 5), "c2": (0, 10), "c3": (1, 4)}


@st.composite
def graded_rounds(draw: st.DrawFn) -> tuple[Call, list[Dossier], list[Review]]:
    criteria = draw(st.lists(st.sampled_from(sorted(_SCALES)), min_size=1, max_size=3, unique=True))
    grid = [review_criterion(c, draw(st.integers(1, 5)), *_SCALES[c]) for c in criteria]
    if draw(st.booleans()):
        grid.append(
            indicator_criterion(
                "mixite",
                draw(st.integers(1, 5)),
                field="beneficiaries.women_percent",
                low=20,
                high=80,
            )
        )
    scoring = {
        "aggregation": draw(st.sampled_from(["mean", "median", "trimmed-mean"])),
        "trim_percent": draw(st.sampled_from([0, 20, 50])),
        "normalise": draw(st.sampled_from(["none", "zscore"])),
        "zscore_min_grades": draw(st.integers(2, 4)),
        "threshold": 0,
    }
    call = make_call({"t": grid}, reviewers=4, scoring=scoring)
    count = draw(st.integers(1, 8))
    dossiers = [
        make_dossier(f"d{i}", beneficiaries__women_percent=draw(st.integers(0, 100)))
        for i in range(count)
    ]
    reviews = []
    for r in range(4):
        evaluations = {}
        for i in range(count):
            if draw(st.booleans()):
                evaluations[f"d{i}"] = {
                    c: D(draw(st.integers(_SCALES[c][0] * 4, _SCALES[c][1] * 4))) / 4
                    for c in criteria
                }
        reviews.append(make_review(f"r{r}", evaluations))
    return call, dossiers, reviews


@settings(max_examples=100, deadline=None)
@given(graded_rounds())
def test_marks_are_out_of_20_and_add_up(case: tuple[Call, list[Dossier], list[Review]]) -> None:
    call, dossiers, reviews = case
    evaluated, _, _ = evaluate_round(call, call.rounds[0], dossiers, reviews)
    assert [e.dossier.id for e in evaluated] == sorted(d.id for d in dossiers)
    grid = call.grids["t"].criteria
    total_weight = sum((c.weight for c in grid), D(0))
    for item in evaluated:
        for criterion, score in zip(grid, item.criteria, strict=True):
            assert score.id == criterion.id
            assert D(0) <= score.normalised <= D(1)
            exact = score.normalised * criterion.weight * 20 / total_weight
            assert score.points == score.points.quantize(CENT)
            assert score.points - CENT < exact <= score.points + CENT
        if item.incomplete is None:
            assert item.mark is not None
            assert D(0) <= item.mark <= D(20)
            assert item.mark == sum((c.points for c in item.criteria), D(0))
        else:
            assert item.mark is None


_AMOUNTS = st.decimals(min_value=0, max_value=100, places=2)


@given(
    grades=st.lists(_AMOUNTS, max_size=4).map(tuple),
    value=st.none() | _AMOUNTS,
    spread=st.none() | _AMOUNTS,
    minimum=st.none() | _AMOUNTS,
    calibrated=st.lists(_AMOUNTS, max_size=4).map(tuple),
    points=_AMOUNTS,
    exact=_AMOUNTS,
)
def test_a_criterion_given_its_points_is_the_same_criterion_with_those_points(
    grades: tuple[Decimal, ...],
    value: Decimal | None,
    spread: Decimal | None,
    minimum: Decimal | None,
    calibrated: tuple[Decimal, ...],
    points: Decimal,
    exact: Decimal,
) -> None:
    import dataclasses

    from gen_cli.scoring import CriterionScore

    score = CriterionScore(
        "qualite", "reviews", Decimal(3), grades, value, Decimal("0.5"), Decimal(0), spread,
        minimum, calibrated=calibrated,
    )  # fmt: skip
    given_points = score.with_points(points, exact)
    assert given_points == dataclasses.replace(score, points=points, exact=exact)
    assert [f.name for f in dataclasses.fields(CriterionScore)][-2:] == ["exact", "calibrated"]
