"""gen_cli.selection: ranking, envelopes and statuses, by hand and as properties.

The properties run over calls, dossiers and reviews that hypothesis builds as models (no
files): whatever the call's rules, the grants stay within the envelope, the theme caps and
the amounts requested; every dossier gets exactly one status; the ranking is a total order;
and neither the order of the inputs nor the reviewers' names change a decision.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import make_dossier as build_dossier
from hypothesis import given, settings
from hypothesis import strategies as st

from gen_cli.models import Call, Dossier, Review, Round
from gen_cli.scoring import Evaluated, evaluate_round
from gen_cli.selection import STATUSES, Outcome, select, tie_key

D = Decimal
ZERO = D(0)
SIRET = "83456789300013"
OPENS, CLOSES = date(2023, 1, 1), date(2023, 3, 31)

# One scale per criterion id, whatever the grid, as rule E309 requires.
SCALES = {"c1": (0, 5), "c2": (0, 10), "c3": (1, 4)}
THEMES = ("alpha", "beta", "gamma")
REVIEWERS = ("r1", "r2", "r3", "r4")
# Consistent renaming that reverses the reviewers' alphabetical order.
RENAMED = {"r1": "zoe-z", "r2": "yves-y", "r3": "xena-x", "r4": "william-w"}


# --- builders ------------------------------------------------------------------------------


def criterion(ident: str, weight: Any, minimum: Any = None) -> dict[str, Any]:
    low, high = SCALES[ident]
    data: dict[str, Any] = {
        "id": ident,
        "label": {"fr": ident, "en": ident},
        "weight": weight,
        "source": "reviews",
        "scale": {"min": low, "max": high},
    }
    if minimum is not None:
        data["minimum"] = minimum
    return data


def make_call(
    grids: dict[str, list[dict[str, Any]]], envelope: dict[str, Any], **sections: Any
) -> Call:
    data: dict[str, Any] = {
        "name": {"fr": "Appel", "en": "Call"},
        "funder": {"name": "Fonds", "siret": SIRET},
        "budget": 10_000_000,
        "themes": [{"id": t, "label": {"fr": t, "en": t}} for t in grids],
        "rounds": [
            {
                "id": "R1",
                "opens": OPENS.isoformat(),
                "closes": CLOSES.isoformat(),
                "envelope": envelope,
            }
        ],
        "grids": {t: {"criteria": c} for t, c in grids.items()},
        "reviewers": [{"id": r, "name": r.upper()} for r in REVIEWERS],
    }
    data.update(sections)
    return Call.model_validate(data)


def make_dossier(
    ident: str, theme: str, requested: Any, submitted: date = date(2023, 2, 1), women: int = 50
) -> Dossier:
    return build_dossier(
        ident,
        theme,
        budget={"total_cost": D(requested) * 2, "requested": requested, "other_funding": requested},
        submitted=submitted.isoformat(),
        beneficiaries__women_percent=women,
    )


def make_review(reviewer: str, evaluations: dict[str, dict[str, Any]]) -> Review:
    return Review.model_validate({"reviewer": reviewer, "round": "R1", "evaluations": evaluations})


@dataclass(frozen=True)
class Case:
    """A round to decide: the call, its dossiers and reviews, and the call's budget left."""

    call: Call
    dossiers: list[Dossier]
    reviews: list[Review]
    available: Decimal | None

    @property
    def round(self) -> Round:
        return self.call.rounds[0]


def decide(case: Case) -> tuple[list[Evaluated], Outcome]:
    evaluated, _, _ = evaluate_round(case.call, case.round, case.dossiers, case.reviews)
    return evaluated, select(case.call, case.round, evaluated, case.available)


def summary(outcome: Outcome) -> dict[str, tuple[str, int | None, Decimal | None, Decimal]]:
    """Each dossier's status, rank, mark and grant."""
    return {
        d.evaluated.dossier.id: (d.status, d.rank, d.evaluated.mark, d.granted)
        for d in outcome.decisions
    }


# --- the strategy ----------------------------------------------------------------------------

money = st.integers(0, 6_000_000).map(lambda cents: D(cents) / 100)  # 0 to 60,000.00


@st.composite
def cases(draw: st.DrawFn) -> Case:
    themes = draw(st.lists(st.sampled_from(THEMES), min_size=1, max_size=3, unique=True))
    grids = {}
    for theme in themes:
        ids = draw(st.lists(st.sampled_from(sorted(SCALES)), min_size=1, max_size=3, unique=True))
        grids[theme] = [
            criterion(
                c,
                draw(st.integers(1, 5)),
                draw(st.sampled_from([None, None, None, SCALES[c][0] + 1, SCALES[c][0] + 2])),
            )
            for c in ids
        ]
    # Amounts in cents and shares in hundredths of a percent, so that reserves need rounding.
    euros = draw(st.sampled_from([30_000, 100_000, 200_000]) | st.integers(0, 200_000))
    amount = euros + draw(st.integers(0, 99)) / D(100)
    theme_envelopes: dict[str, dict[str, Decimal]] = {}
    hundredths_left = 10_000  # the shares add up to at most 100 % (E308)
    for theme in themes:
        spec: dict[str, Decimal] = {}
        if draw(st.booleans()):
            cents = int(amount * 100)
            spec["max"] = draw(st.integers(cents // 2, cents) | st.integers(0, cents)) / D(100)
        if draw(st.booleans()):
            share = draw(st.integers(0, hundredths_left) | st.just(hundredths_left))
            hundredths_left -= share
            spec["min_share"] = share / D(100)
        if spec:
            theme_envelopes[theme] = spec
    envelope = {
        "amount": amount,
        "themes": theme_envelopes,
        "unspent_theme": draw(st.sampled_from(["pool", "lapse"])),
    }
    eligibility: list[dict[str, Any]] = []
    if draw(st.booleans()):
        low = draw(st.integers(0, 10_000))
        high = draw(st.sampled_from([None, 40_000, 60_000]))
        rule = {"id": "montant", "rule": "requested-amount", "min": low, "message": "Montant"}
        if high is not None:
            rule["max"] = high
        eligibility.append(rule)
    if draw(st.booleans()):
        eligibility.append(
            {"id": "avis", "rule": "min-reviews", "min": draw(st.integers(1, 3)), "message": "Avis"}
        )
    tie_break = draw(st.permutations(["criterion:c1", "requested", "submitted", "id"]))
    scoring = {
        "aggregation": draw(st.sampled_from(["mean", "median", "trimmed-mean"])),
        "normalise": draw(st.sampled_from(["none", "zscore"])),
        "zscore_min_grades": draw(st.integers(2, 4)),
        "threshold": draw(st.sampled_from([0, 0, 5, 10, 12])),
        "tie_break": tie_break[: draw(st.integers(0, 4))],
    }
    selection = {
        "when_too_large": draw(st.sampled_from(["skip", "stop"])),
        "partial_funding": draw(st.booleans()),
        "waiting_list": draw(st.integers(0, 3)),
    }
    call = make_call(grids, envelope, eligibility=eligibility, scoring=scoring, selection=selection)

    count = draw(st.integers(0, 10))
    dossiers = [
        make_dossier(
            f"d{i}",
            draw(st.sampled_from(themes)),
            # Round amounts make ties on `requested` likely.
            draw(money | st.sampled_from([D(5_000), D(10_000), D(20_000)])),
            OPENS + timedelta(days=draw(st.integers(0, (CLOSES - OPENS).days))),
        )
        for i in range(count)
    ]
    reviews = []
    for reviewer in REVIEWERS:
        evaluations: dict[str, dict[str, Any]] = {}
        for dossier in dossiers:
            kind = draw(st.sampled_from(["grades", "grades", "grades", "none", "conflict"]))
            if kind == "conflict":
                evaluations[dossier.id] = {"conflict": "Ancien collègue du porteur"}
            elif kind == "grades":
                grid = grids[dossier.principal_theme]
                # Whole points among the top three, so that marks tie often, or quarter
                # points over the whole scale; a grade is sometimes missing (W003, a warning).
                coarse = draw(st.integers(0, 3))
                evaluations[dossier.id] = {
                    "grades": {
                        c["id"]: D(draw(st.integers(c["scale"]["max"] - 2, c["scale"]["max"])))
                        if coarse
                        else D(draw(st.integers(c["scale"]["min"] * 4, c["scale"]["max"] * 4))) / 4
                        for c in grid
                        if draw(st.integers(0, 9))
                    }
                }
        reviews.append(make_review(reviewer, evaluations))
    available = draw(st.none() | st.integers(0, 30_000_000).map(lambda cents: D(cents) / 100))
    return Case(call, dossiers, reviews, available)


# --- properties -----------------------------------------------------------------------------

PROPERTIES = settings(max_examples=100, deadline=None)


@PROPERTIES
@given(cases())
def test_grants_stay_within_the_envelope_caps_and_requests(case: Case) -> None:
    _, outcome = decide(case)
    envelope = case.round.envelope
    assert outcome.envelope <= envelope.amount
    if case.available is not None:
        assert outcome.envelope <= case.available
    granted = [d.granted for d in outcome.decisions]
    assert outcome.granted == sum(granted, ZERO)
    assert outcome.granted + outcome.lapsed <= outcome.envelope
    for theme, spec in envelope.themes.items():
        spent = sum(
            (d.granted for d in outcome.decisions if d.evaluated.dossier.principal_theme == theme),
            ZERO,
        )
        if spec.max is not None:
            assert spent <= spec.max, theme
    partial = 0
    for d in outcome.decisions:
        requested = d.evaluated.dossier.budget.requested
        assert ZERO <= d.granted <= requested
        if d.status != "laureat":
            assert d.granted == ZERO
        elif d.granted < requested:
            partial += 1
            assert case.call.selection.partial_funding
    assert partial <= 1


@PROPERTIES
@given(cases())
def test_every_dossier_has_exactly_one_status(case: Case) -> None:
    _, outcome = decide(case)
    assert sorted(d.evaluated.dossier.id for d in outcome.decisions) == sorted(
        d.id for d in case.dossiers
    )
    waiting = 0
    for d in outcome.decisions:
        item = d.evaluated
        assert d.status in STATUSES
        if item.ineligible:
            assert (d.status, d.rank) == ("ineligible", None)
        elif item.incomplete:
            assert (d.status, d.rank, item.mark) == ("incomplet", None, None)
        elif item.below:
            assert (d.status, d.rank) == ("non-retenu", None)
        else:
            assert d.status in {"laureat", "liste-complementaire", "non-retenu"}
            assert d.rank is not None
            assert item.mark is not None and item.mark >= case.call.scoring.threshold
        waiting += d.status == "liste-complementaire"
        assert d.reasons
    assert waiting <= case.call.selection.waiting_list


@PROPERTIES
@given(cases())
def test_ranks_follow_a_strict_total_order(case: Case) -> None:
    _, outcome = decide(case)
    ranked = [d for d in outcome.decisions if d.rank is not None]
    # Ranked decisions come first, numbered 1..N.
    assert [d.rank for d in outcome.decisions[: len(ranked)]] == list(range(1, len(ranked) + 1))
    keys = [tie_key(case.call, d.evaluated) for d in ranked]
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)
    for a, b in itertools.pairwise(ranked):
        assert a.evaluated.mark is not None and b.evaluated.mark is not None
        assert a.evaluated.mark >= b.evaluated.mark
    # Unranked decisions follow, by dossier id.
    unranked = [d.evaluated.dossier.id for d in outcome.decisions[len(ranked) :]]
    assert unranked == sorted(unranked)


@PROPERTIES
@given(cases(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(case: Case, rng: random.Random) -> None:
    _, outcome = decide(case)
    dossiers = rng.sample(case.dossiers, len(case.dossiers))
    reviews = []
    for review in rng.sample(case.reviews, len(case.reviews)):
        items = list(review.evaluations.items())
        rng.shuffle(items)
        reviews.append(review.model_copy(update={"evaluations": dict(items)}))
    evaluated, _, _ = evaluate_round(case.call, case.round, dossiers, reviews)
    shuffled = select(case.call, case.round, rng.sample(evaluated, len(evaluated)), case.available)
    assert summary(shuffled) == summary(outcome)
    assert [d.evaluated.dossier.id for d in shuffled.decisions] == [
        d.evaluated.dossier.id for d in outcome.decisions
    ]


@PROPERTIES
@given(cases())
def test_renaming_reviewers_does_not_matter(case: Case) -> None:
    _, outcome = decide(case)
    call = case.call.model_copy(
        update={
            "reviewers": [r.model_copy(update={"id": RENAMED[r.id]}) for r in case.call.reviewers]
        }
    )
    reviews = [r.model_copy(update={"reviewer": RENAMED[r.reviewer]}) for r in case.reviews]
    renamed = Case(call, case.dossiers, reviews, case.available)
    _, again = decide(renamed)
    assert summary(again) == summary(outcome)


# --- by hand ----------------------------------------------------------------------------------


def _one_criterion_call(**sections: Any) -> Call:
    envelope = sections.pop("envelope", {"amount": 100_000})
    return make_call(
        {"alpha": [criterion("c1", 1)], "beta": [criterion("c1", 1)]}, envelope, **sections
    )


def _graded(*rows: tuple[str, str, Any, Any]) -> tuple[list[Dossier], list[Review]]:
    """Dossiers (id, theme, requested, c1 grade) graded by r1 alone: mark = grade × 4."""
    dossiers = [make_dossier(i, theme, requested) for i, theme, requested, _ in rows]
    review = make_review("r1", {i: {"grades": {"c1": grade}} for i, _, _, grade in rows})
    return dossiers, [review]


@pytest.mark.parametrize(
    ("tie_break", "expected"),
    [
        # Marks: a 16, b 12, c 12, d 12 (grade × 4). b, c, d tie on the mark.
        # b asks 30,000 submitted 2023-02-03; c 10,000 on 02-02; d 10,000 on 02-01.
        (["requested", "submitted", "id"], ["a", "d", "c", "b"]),
        (["submitted"], ["a", "d", "c", "b"]),
        (["id"], ["a", "b", "c", "d"]),
        ([], ["a", "b", "c", "d"]),  # the id always ends the order
        (["requested"], ["a", "c", "d", "b"]),  # c and d tie on requested: by id
    ],
)
def test_tie_break_order(tie_break: list[str], expected: list[str]) -> None:
    call = _one_criterion_call(scoring={"tie_break": tie_break, "threshold": 0})
    dossiers = [
        make_dossier("a", "alpha", 20_000, date(2023, 2, 4)),
        make_dossier("b", "alpha", 30_000, date(2023, 2, 3)),
        make_dossier("c", "alpha", 10_000, date(2023, 2, 2)),
        make_dossier("d", "alpha", 10_000, date(2023, 2, 1)),
    ]
    grades = {"a": 4, "b": 3, "c": 3, "d": 3}
    reviews = [make_review("r1", {i: {"grades": {"c1": g}} for i, g in grades.items()})]
    _, outcome = decide(Case(call, dossiers, reviews, None))
    assert [d.evaluated.dossier.id for d in outcome.decisions] == expected
    assert [d.rank for d in outcome.decisions] == [1, 2, 3, 4]


def test_tie_break_on_a_criterion_prefers_more_points() -> None:
    # Grid c1 (0–5, weight 1) and c2 (0–10, weight 1): points = c1 × 2 + c2.
    # x: c1 5 → 10, c2 2 → 2, mark 12; y: c1 1 → 2, c2 10 → 10, mark 12.
    call = make_call(
        {"alpha": [criterion("c1", 1), criterion("c2", 1)]},
        {"amount": 0},
        scoring={"tie_break": ["criterion:c1"], "threshold": 0},
    )
    dossiers = [make_dossier("y", "alpha", 1000), make_dossier("x", "alpha", 2000)]
    reviews = [
        make_review(
            "r1", {"x": {"grades": {"c1": 5, "c2": 2}}, "y": {"grades": {"c1": 1, "c2": 10}}}
        )
    ]
    evaluated, outcome = decide(Case(call, dossiers, reviews, None))
    assert [(d.evaluated.dossier.id, d.evaluated.mark) for d in outcome.decisions] == [
        ("x", D("12.00")),
        ("y", D("12.00")),
    ]
    x, y = sorted(evaluated, key=lambda e: e.dossier.id)
    assert tie_key(call, x) == (D("-12.00"), D("-10.00"), "x")
    assert tie_key(call, y) == (D("-12.00"), D("-2.00"), "y")


def test_reserved_share_then_common_pot() -> None:
    # Envelope 50,000; beta reserves 40 % = 20,000. Marks (grade × 4): a1 20, a2 16, b1 12.
    # Pass 1: b1 (beta, 15,000) from the reserve, 5,000 left, back to the pot: 30,000 + 5,000.
    # Pass 2: a1 20,000 (15,000 left), a2 20,000 does not fit: skipped, waiting list.
    call = _one_criterion_call(
        envelope={"amount": 50_000, "themes": {"beta": {"min_share": 40}}},
        scoring={"threshold": 0},
    )
    dossiers, reviews = _graded(
        ("a1", "alpha", 20_000, 5), ("a2", "alpha", 20_000, 4), ("b1", "beta", 15_000, 3)
    )
    _, outcome = decide(Case(call, dossiers, reviews, None))
    assert summary(outcome) == {
        "a1": ("laureat", 1, D("20.00"), D(20_000)),
        "a2": ("liste-complementaire", 2, D("16.00"), ZERO),
        "b1": ("laureat", 3, D("12.00"), D(15_000)),
    }
    assert (outcome.granted, outcome.lapsed) == (D(35_000), ZERO)


def test_reserve_that_lapses() -> None:
    # Envelope 50,000; beta reserves 40 % = 20,000; unspent_theme: lapse. Marks (grade × 4):
    # a1 20, a2 16, a3 16 (a3 asks less: tie_break requested puts it first), b1 12.
    # Pass 1: b1 15,000 from the reserve; the 5,000 left is lost: the pot is 30,000.
    # Pass 2: a1 20,000 (10,000 left), a3 5,000 (5,000 left), a2 10,000 does not fit.
    # (With pool, the pot would be 35,000 and a2 would fit exactly.)
    call = _one_criterion_call(
        envelope={
            "amount": 50_000,
            "themes": {"beta": {"min_share": 40}},
            "unspent_theme": "lapse",
        },
        scoring={"threshold": 0},
    )
    dossiers, reviews = _graded(
        ("a1", "alpha", 20_000, 5),
        ("a2", "alpha", 10_000, 4),
        ("a3", "alpha", 5_000, 4),
        ("b1", "beta", 15_000, 3),
    )
    _, outcome = decide(Case(call, dossiers, reviews, None))
    assert summary(outcome) == {
        "a1": ("laureat", 1, D("20.00"), D(20_000)),
        "a3": ("laureat", 2, D("16.00"), D(5_000)),
        "a2": ("liste-complementaire", 3, D("16.00"), ZERO),
        "b1": ("laureat", 4, D("12.00"), D(15_000)),
    }
    assert (outcome.granted, outcome.lapsed) == (D(40_000), D(5_000))
    pooled = call.model_copy(
        update={
            "rounds": [
                call.rounds[0].model_copy(
                    update={
                        "envelope": call.rounds[0].envelope.model_copy(
                            update={"unspent_theme": "pool"}
                        )
                    }
                )
            ]
        }
    )
    _, outcome = decide(Case(pooled, dossiers, reviews, None))
    assert summary(outcome)["a2"] == ("laureat", 3, D("16.00"), D(10_000))
    assert (outcome.granted, outcome.lapsed) == (D(50_000), ZERO)


def test_theme_cap_blocks_but_a_cheaper_dossier_still_fits() -> None:
    # alpha capped at 25,000: a1 20,000; a2 10,000 > 5,000 left under the cap: blocked by
    # the theme; a3 5,000 fits the cap. beta is not capped: b1 30,000.
    call = _one_criterion_call(
        envelope={"amount": 100_000, "themes": {"alpha": {"max": 25_000}}},
        scoring={"threshold": 0},
        selection={"waiting_list": 0},
    )
    dossiers, reviews = _graded(
        ("a1", "alpha", 20_000, 5),
        ("a2", "alpha", 10_000, "4.5"),
        ("b1", "beta", 30_000, 4),
        ("a3", "alpha", 5_000, "3.5"),
    )
    _, outcome = decide(Case(call, dossiers, reviews, None))
    assert summary(outcome) == {
        "a1": ("laureat", 1, D("20.00"), D(20_000)),
        "a2": ("non-retenu", 2, D("18.00"), ZERO),
        "b1": ("laureat", 3, D("16.00"), D(30_000)),
        "a3": ("laureat", 4, D("14.00"), D(5_000)),
    }
    (a2,) = [d for d in outcome.decisions if d.evaluated.dossier.id == "a2"]
    assert a2.reasons == ("theme alpha envelope exhausted (5000.00 left) at rank 2",)


def test_partial_grant_needs_the_floor() -> None:
    # Envelope 25,000, requested-amount floor 5,000. a1 20,000 (5,000 left); a2 asks 10,000
    # and gets the 5,000 left, which is the floor.
    call = _one_criterion_call(
        envelope={"amount": 25_000},
        eligibility=[{"id": "m", "rule": "requested-amount", "min": 5_000, "message": "Montant"}],
        scoring={"threshold": 0},
        selection={"partial_funding": True, "waiting_list": 0},
    )
    dossiers, reviews = _graded(("a1", "alpha", 20_000, 5), ("a2", "alpha", 10_000, 4))
    _, outcome = decide(Case(call, dossiers, reviews, None))
    assert summary(outcome)["a2"] == ("laureat", 2, D("16.00"), D(5_000))
    # Raise the floor above what is left: a2 gets nothing.
    floor = call.model_copy(
        update={"eligibility": [call.eligibility[0].model_copy(update={"min": D(5_001)})]}
    )
    _, outcome = decide(Case(floor, dossiers, reviews, None))
    assert summary(outcome)["a2"] == ("non-retenu", 2, D("16.00"), ZERO)


def test_the_call_budget_left_limits_the_round() -> None:
    call = _one_criterion_call(scoring={"threshold": 0})
    dossiers, reviews = _graded(("a1", "alpha", 20_000, 5), ("a2", "alpha", 10_000, 4))
    _, outcome = decide(Case(call, dossiers, reviews, D(25_000)))
    assert outcome.envelope == D(25_000)
    assert summary(outcome)["a2"][0] == "liste-complementaire"
    _, outcome = decide(Case(call, dossiers, reviews, D(-1)))  # overspent earlier: nothing
    assert (outcome.envelope, outcome.granted) == (ZERO, ZERO)


def test_reserves_never_add_up_to_more_than_the_envelope() -> None:
    # 1 EUR with shares of 50.5 % and 49.5 %: rounded half up, the reserves would be 0.51 and
    # 0.50, and 1.01 would be granted. Rounded down: alpha 0.50, beta 0.49, common pot 0.01.
    # a (alpha, 0.51) does not fit 0.50, b (beta, 0.50) does not fit 0.49: the reserves go
    # back to the pot, 1.00. Both marks are 12.00; b asks less and ranks first: b 0.50,
    # then a 0.51 > 0.50 left.
    call = _one_criterion_call(
        envelope={
            "amount": 1,
            "themes": {"alpha": {"min_share": "50.5"}, "beta": {"min_share": "49.5"}},
        },
        scoring={"threshold": 0},
    )
    dossiers, reviews = _graded(("a", "alpha", "0.51", 3), ("b", "beta", "0.50", 3))
    _, outcome = decide(Case(call, dossiers, reviews, None))
    assert summary(outcome) == {
        "b": ("laureat", 1, D("12.00"), D("0.50")),
        "a": ("liste-complementaire", 2, D("12.00"), ZERO),
    }
    assert (outcome.envelope, outcome.granted) == (D(1), D("0.50"))


def test_a_criterion_tie_break_compares_exact_points_not_the_rounded_cent() -> None:
    # Grid c1 (0–5), c2 (0–10), c3 (1–4), weight 1 each: a criterion is worth 20/3 points.
    # x and y have the same c1 grades (0 and 1: 0.666… points each) and the same mark,
    # 7.33; apportioning to the cent shows x 0.66 and y 0.67 on c1, by the other criteria's
    # remainders. That cent must not decide: on c1 they tie, and the next key, the amount
    # requested, ranks x (1,000) before y (2,000).
    call = make_call(
        {"alpha": [criterion("c1", 1), criterion("c2", 1), criterion("c3", 1)]},
        {"amount": 0},
        scoring={"tie_break": ["criterion:c1", "requested"], "threshold": 0},
    )
    dossiers = [make_dossier("x", "alpha", 1000), make_dossier("y", "alpha", 2000)]
    reviews = [
        make_review(
            reviewer,
            {
                "x": {"grades": {"c1": c1, "c2": 0, "c3": 4}},
                "y": {"grades": {"c1": c1, "c2": 5, "c3": c3_of_y}},
            },
        )
        for reviewer, c1, c3_of_y in (("r1", 0, 2), ("r2", 1, 3))
    ]
    evaluated, outcome = decide(Case(call, dossiers, reviews, None))
    x, y = sorted(evaluated, key=lambda e: e.dossier.id)
    assert (x.mark, y.mark) == (D("7.33"), D("7.33"))
    assert (x.criteria[0].points, y.criteria[0].points) == (D("0.66"), D("0.67"))
    assert x.criteria[0].exact == y.criteria[0].exact
    assert [d.evaluated.dossier.id for d in outcome.decisions] == ["x", "y"]
