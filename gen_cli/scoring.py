"""Marks: eligibility, reviewer calibration, aggregation and the mark out of 20 (pure).

Decimal in, Decimal out: no I/O, no clock, no git. A dossier is scored on its principal
theme's grid; each criterion gives a value between 0 and 1 (grades or an indicator,
scaled), worth ``weight / sum(weights) * 20`` points; points are rounded to the cent by
largest remainders so that the breakdown adds up exactly to the mark.
"""

from __future__ import annotations

import functools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from gen_cli.models import (
    Call,
    CostShareRule,
    Dossier,
    DossierFacts,
    IndicatorCriterion,
    LeadKindRule,
    RequestedAmountRule,
    Review,
    ReviewCriterion,
    ReviewsRule,
    Round,
    SubmissionWindowRule,
    ThemesRule,
)
from gen_cli.names import Keys, affiliation_keys, keys_conflict, organisation_keys

DossierRule = LeadKindRule | RequestedAmountRule | CostShareRule | SubmissionWindowRule | ThemesRule
"""The eligibility rules that can be checked on one dossier alone."""

CENT = Decimal("0.01")
TWENTY = Decimal(20)
ZERO = Decimal(0)
ONE = Decimal(1)


def q2(value: Decimal) -> Decimal:
    """Round to two decimals, half up (the French administrative convention)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def apportion(values: Sequence[Decimal], places: int = 2) -> list[Decimal]:
    """Round each value so that the rounded values add up to the rounded sum.

    Largest-remainder rounding: every value is rounded towards minus infinity, then the missing units
    go to the largest remainders (the earliest first among equals).
    """
    unit = Decimal(1).scaleb(-places)
    floors = [v.quantize(unit, rounding=ROUND_FLOOR) for v in values]
    target = sum(values, ZERO).quantize(unit, rounding=ROUND_HALF_UP)
    missing = int((target - sum(floors, ZERO)) / unit)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += unit
    return floors


def mean(values: Sequence[Decimal]) -> Decimal:
    """Arithmetic mean."""
    return sum(values, ZERO) / len(values)


def pstdev(values: Sequence[Decimal]) -> Decimal:
    """Population standard deviation (0 for fewer than two values)."""
    if len(values) < 2:
        return ZERO
    centre = mean(values)
    return (sum(((v - centre) ** 2 for v in values), ZERO) / len(values)).sqrt()


def aggregate(values: Sequence[Decimal], method: str, trim_percent: Decimal) -> Decimal:
    """Aggregate reviewers' grades: mean, median, or trimmed mean.

    The trimmed mean drops ``floor(n * trim_percent / 200)`` grades at each end, keeping
    at least one (or two, for an even count).
    """
    ordered = sorted(values)
    if method == "median":
        return Decimal(statistics.median(ordered))
    if method == "trimmed-mean":
        cut = min(int(len(ordered) * trim_percent / 200), (len(ordered) - 1) // 2)
        if cut:
            ordered = ordered[cut:-cut]
    return mean(ordered)


@dataclass(frozen=True)
class Grading:
    """One reviewer's grades of one dossier, as used for scoring."""

    reviewer: str
    dossier: str
    grades: dict[str, Decimal]


@dataclass(frozen=True)
class Exclusion:
    """A review left out of scoring, and why."""

    reviewer: str
    dossier: str
    reason: str


def collect_gradings(
    call: Call, dossiers: Iterable[Dossier], reviews: Iterable[Review]
) -> tuple[list[Grading], list[Exclusion]]:
    """The gradings that count, and the reviews excluded for a conflict of interest."""
    by_id = {d.id: d for d in dossiers}
    # each reviewer's and each dossier's organisations as keys, made once (names.Keys); a
    # dossier's only when a reviewer with affiliations reviews it
    reviewers = {r.id: affiliation_keys(r) for r in call.reviewers}
    reviewers = {ident: keys for ident, keys in reviewers.items() if keys[0] or keys[1]}
    organisations: dict[str, Keys] = {}
    gradings: list[Grading] = []
    excluded: list[Exclusion] = []
    for review in reviews:
        reviewer = reviewers.get(review.reviewer)
        for dossier_id, evaluation in review.evaluations.items():
            dossier = by_id.get(dossier_id)
            if dossier is None:
                continue
            if evaluation.conflict is not None:
                excluded.append(Exclusion(review.reviewer, dossier_id, "declared"))
                continue
            if reviewer is not None:
                keys = organisations.get(dossier_id)
                if keys is None:
                    keys = organisations[dossier_id] = organisation_keys(dossier)
                if keys_conflict(reviewer, keys):
                    excluded.append(Exclusion(review.reviewer, dossier_id, "detected"))
                    continue
            given = {c: g for c, g in evaluation.grades.items() if g is not None}
            if given:
                gradings.append(Grading(review.reviewer, dossier_id, given))
    gradings.sort(key=lambda g: (g.dossier, g.reviewer))
    excluded.sort(key=lambda e: (e.dossier, e.reviewer))
    return gradings, excluded


def calibrate(gradings: list[Grading], call: Call) -> tuple[list[Grading], list[str]]:
    """Standardise each reviewer's grades per criterion (z-score), mapped back onto the scale.

    A reviewer's grade g on criterion c becomes ``m_c + s_c * (g - m_rc) / s_rc``, where
    ``m_rc, s_rc`` are the mean and standard deviation of that reviewer's grades on c in
    the round and ``m_c, s_c`` those of all reviewers; the result is kept on the scale.
    A reviewer with fewer than ``scoring.zscore_min_grades`` grades on a criterion, or
    who gave the same grade every time, keeps raw grades there.

    Returns:
        The calibrated gradings and the reviewers left raw on some criterion.
    """
    if call.scoring.normalise != "zscore":
        return gradings, []
    scales: dict[str, tuple[Decimal, Decimal]] = {}
    for grid in call.grids.values():
        for criterion in grid.criteria:
            if isinstance(criterion, ReviewCriterion):
                scales[criterion.id] = (criterion.scale.min, criterion.scale.max)
    pooled: dict[str, list[Decimal]] = defaultdict(list)
    own: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for grading in gradings:
        for criterion_id, grade in grading.grades.items():
            pooled[criterion_id].append(grade)
            own[(grading.reviewer, criterion_id)].append(grade)
    stats = {c: (mean(v), pstdev(v)) for c, v in pooled.items()}
    own_stats = {k: (mean(v), pstdev(v), len(v)) for k, v in own.items()}
    raw: set[str] = set()
    calibrated = []
    for grading in gradings:
        grades = {}
        for criterion_id, grade in grading.grades.items():
            r_mean, r_sd, count = own_stats[(grading.reviewer, criterion_id)]
            if count < call.scoring.zscore_min_grades or r_sd == 0:
                raw.add(grading.reviewer)
                grades[criterion_id] = grade
                continue
            c_mean, c_sd = stats[criterion_id]
            low, high = scales.get(criterion_id, (grade, grade))
            grades[criterion_id] = min(high, max(low, c_mean + c_sd * (grade - r_mean) / r_sd))
        calibrated.append(Grading(grading.reviewer, grading.dossier, grades))
    return calibrated, sorted(raw)


@dataclass(frozen=True)
class CriterionScore:
    """One criterion of a dossier's mark."""

    id: str
    source: Literal["reviews", "indicator"]
    weight: Decimal
    grades: tuple[Decimal, ...]  # raw grades, sorted (reviews) or () (indicator)
    value: Decimal | None  # aggregated grade, or the indicator's value
    normalised: Decimal  # 0..1
    points: Decimal  # out of 20, to the cent
    spread: Decimal | None  # population standard deviation of the raw grades
    minimum: Decimal | None
    #: The exact points out of 20, before apportioning to the cent: what tie-breaks compare.
    exact: Decimal = Decimal(0)
    #: Under z-score calibration, the calibrated value of each of ``grades``, in their order.
    calibrated: tuple[Decimal, ...] = ()

    def with_points(self, points: Decimal, exact: Decimal) -> CriterionScore:
        """The criterion with its points (dataclasses.replace costs ten times more)."""
        return CriterionScore(
            self.id,
            self.source,
            self.weight,
            self.grades,
            self.value,
            self.normalised,
            points,
            self.spread,
            self.minimum,
            exact,
            self.calibrated,
        )


@dataclass(frozen=True)
class Evaluated:
    """A dossier after eligibility and scoring, before ranking and selection."""

    dossier: Dossier
    ineligible: tuple[tuple[str, str], ...]  # (rule id, message)
    incomplete: str | None
    mark: Decimal | None
    criteria: tuple[CriterionScore, ...]
    reviews: int
    below: tuple[str, ...] = field(default=())  # reasons the dossier is below a threshold
    disagreements: tuple[str, ...] = field(default=())


def indicator_input(dossier: Dossier, name: str) -> Decimal:
    """The value of one of the fixed indicator fields of a dossier."""
    if name == "partners.count":
        return Decimal(len(dossier.partners))
    if name == "timeline.months":
        span = dossier.timeline.end - dossier.timeline.start
        return (Decimal(span.days) / Decimal("30.4375")).quantize(CENT)
    section, attribute = name.split(".")
    return Decimal(getattr(getattr(dossier, section), attribute))


def indicator_value(
    dossier: Dossier, criterion: IndicatorCriterion
) -> tuple[Decimal | None, Decimal]:
    """The indicator's value and its linear scaling to 0..1 (None: undefined ratio)."""
    spec = criterion.indicator
    value = indicator_input(dossier, spec.field)
    if spec.per is not None:
        divisor = indicator_input(dossier, spec.per)
        if divisor == 0:
            return None, ZERO  # an undefined ratio counts as the worst value
        value = value / divisor
    scaled = min(ONE, max(ZERO, (value - spec.low) / (spec.high - spec.low)))
    if spec.better == "lower":
        scaled = ONE - scaled
    return q2(value), scaled


def failed_rules(
    call: Call, round_: Round, dossier: DossierFacts, late: str | None = None
) -> list[tuple[DossierRule, str | None]]:
    """The eligibility rules checked on the dossier alone that it fails, with evidence.

    Args:
        dossier: the facts of a valid dossier (``DossierFacts.of_dossier``).
        late: why the dossier counts as late though its ``submitted`` date may be in the
            window (the commit that brought it in after the round closed), if it does.
    """
    kind, requested, cost = dossier.lead_kind, dossier.requested, dossier.total_cost
    submitted, themes = dossier.submitted, dossier.themes
    if kind is None or requested is None or cost is None or submitted is None or themes is None:
        raise ValueError("eligibility is checked on the facts of a valid dossier")
    failures: list[tuple[DossierRule, str | None]] = []
    for rule in call.eligibility:
        failed = False
        evidence = None
        if isinstance(rule, LeadKindRule):
            failed = kind not in rule.allowed
        elif isinstance(rule, RequestedAmountRule):
            failed = requested < rule.min or (rule.max is not None and requested > rule.max)
        elif isinstance(rule, CostShareRule):
            failed = cost == 0 or requested * 100 > rule.max_percent * cost
        elif isinstance(rule, SubmissionWindowRule):
            failed = not round_.opens <= submitted <= round_.closes
            if late is not None:
                failed, evidence = True, late
        elif isinstance(rule, ThemesRule):
            declared = {t.id for t in call.themes}
            failed = len([t for t in themes if t in declared]) < rule.min
        if failed and not isinstance(rule, ReviewsRule):
            failures.append((rule, evidence))
    return failures


def eligibility_failures(
    call: Call, round_: Round, dossier: Dossier, late: str | None = None
) -> list[tuple[str, str]]:
    """The eligibility rules (other than min-reviews) that the dossier fails: (id, reason)."""
    return [
        (rule.id, rule.message if evidence is None else f"{rule.message} ({evidence})")
        for rule, evidence in failed_rules(call, round_, DossierFacts.of_dossier(dossier), late)
    ]


def minimum_reviews(call: Call) -> int:
    """How many reviews a dossier needs to be ranked (0 when the call sets no rule)."""
    return max((r.min for r in call.eligibility if isinstance(r, ReviewsRule)), default=0)


def evaluate(
    call: Call,
    round_: Round,
    dossier: Dossier,
    gradings: Sequence[Grading],
    raw: Sequence[Grading],
    late: str | None = None,
) -> Evaluated:
    """Check eligibility, then compute the mark and its breakdown.

    Args:
        gradings: the dossier's gradings after calibration (used for the mark).
        raw: the same gradings before calibration (shown in the record, and spread).
        late: evidence that the dossier came in after the round closed, if it does.
    """
    failures = tuple(eligibility_failures(call, round_, dossier, late))
    grid = call.grids[dossier.principal_theme]
    needed = minimum_reviews(call)
    incomplete = None
    if len(gradings) < needed:
        incomplete = f"{len(gradings)} review(s), {needed} required"
    drafts: list[_Draft] = []
    for criterion in grid.criteria:
        if isinstance(criterion, ReviewCriterion):
            draft, missing = _review_draft(call, criterion, gradings, raw)
            incomplete = incomplete or missing
        else:
            draft = _indicator_draft(criterion, dossier)
        drafts.append(draft)
    total_weight = sum((c.weight for c in grid.criteria), ZERO)
    exact = [d[5] * d[2] * TWENTY / total_weight for d in drafts]
    # each criterion made once, with its points (a frozen dataclass costs its fields)
    criteria = tuple(
        CriterionScore(*draft[:6], points, draft[6], draft[7], unrounded, draft[8])
        for draft, points, unrounded in zip(drafts, apportion(exact), exact, strict=True)
    )
    mark = None if incomplete else sum((c.points for c in criteria), ZERO)
    return Evaluated(
        dossier=dossier,
        ineligible=failures,
        incomplete=incomplete,
        mark=mark,
        criteria=criteria,
        reviews=len(gradings),
        below=tuple(_below(call, mark, criteria)),
        disagreements=tuple(_disagreements(call, criteria)),
    )


#: A criterion's score before its points: the fields of :class:`CriterionScore` but
#: ``points`` and ``exact``, in their order (id, source, weight, grades, value,
#: normalised; spread, minimum, calibrated).
_Draft = tuple[
    str,
    Literal["reviews", "indicator"],
    Decimal,
    tuple[Decimal, ...],
    Decimal | None,
    Decimal,
    Decimal | None,
    Decimal | None,
    tuple[Decimal, ...],
]


def _review_draft(
    call: Call, criterion: ReviewCriterion, gradings: Sequence[Grading], raw: Sequence[Grading]
) -> tuple[_Draft, str | None]:
    """A graded criterion's score before its points; and why it is incomplete, if it is."""
    cid = criterion.id
    if call.scoring.normalise == "zscore":
        # calibrate() keeps the gradings' order: pair each raw grade with its calibrated one
        pairs = sorted(
            (r.grades[cid], g.grades[cid])
            for r, g in zip(raw, gradings, strict=True)
            if cid in g.grades
        )
        raw_values = tuple(r for r, _ in pairs)
        calibrated = tuple(g for _, g in pairs)
    else:  # the gradings are the raw ones
        raw_values = tuple(sorted([g.grades[cid] for g in gradings if cid in g.grades]))
        calibrated = ()
    source, weight, minimum = criterion.source, criterion.weight, criterion.minimum
    if not raw_values:
        ungraded = (cid, source, weight, raw_values, None, ZERO, None, minimum, calibrated)
        return ungraded, f"no grade for criterion {cid}"
    value, normalised, spread = _graded(
        calibrated or raw_values,
        raw_values,
        call.scoring.aggregation,
        call.scoring.trim_percent,
        criterion.scale.min,
        criterion.scale.max,
    )
    return (cid, source, weight, raw_values, value, normalised, spread, minimum, calibrated), None


@functools.lru_cache(maxsize=1 << 14)
def _graded(
    values: tuple[Decimal, ...],
    raw: tuple[Decimal, ...],
    method: str,
    trim_percent: Decimal,
    low: Decimal,
    high: Decimal,
) -> tuple[Decimal, Decimal, Decimal]:
    """A criterion's aggregated value (to the cent), its scaling to 0..1 and the raw spread.

    Kept for the same grades: a round of 25,000 dossiers has a few hundred sets of them.
    Equal Decimals (2 and 2.0) share an entry: the value and spread are to the cent, and
    the scaling is only added and compared, never written.
    """
    value = aggregate(values, method, trim_percent)
    return q2(value), (value - low) / (high - low), q2(pstdev(raw))


def _indicator_draft(criterion: IndicatorCriterion, dossier: Dossier) -> _Draft:
    """A criterion computed from the dossier, before its points."""
    value, normalised = indicator_value(dossier, criterion)
    return (criterion.id, criterion.source, criterion.weight, (), value, normalised, None, None, ())


def _below(call: Call, mark: Decimal | None, criteria: Sequence[CriterionScore]) -> list[str]:
    """Why a complete mark keeps the dossier out of the ranking: the threshold, a minimum."""
    if mark is None:
        return []
    below = []
    if mark < call.scoring.threshold:
        below.append(f"mark {mark} below the threshold {call.scoring.threshold}")
    for c in criteria:
        if c.minimum is not None and c.value is not None and c.value < c.minimum:
            below.append(f"{c.id} {c.value} below its minimum {c.minimum}")
    return below


def _disagreements(call: Call, criteria: Sequence[CriterionScore]) -> list[str]:
    """The criteria whose reviewers disagree beyond the call's spread limit."""
    limit = call.scoring.spread_limit
    if limit is None:
        return []
    return [
        f"{c.id}: spread {c.spread} above {limit}"
        for c in criteria
        if c.spread is not None and c.spread > limit
    ]


def evaluate_round(
    call: Call,
    round_: Round,
    dossiers: Sequence[Dossier],
    reviews: Sequence[Review],
    late: Mapping[str, str] | None = None,
) -> tuple[list[Evaluated], list[Exclusion], list[str]]:
    """Evaluate every dossier of a round.

    Args:
        late: by dossier id, evidence that it came in after the round closed.

    Returns:
        The evaluated dossiers (sorted by id), the excluded reviews, and the reviewers
        whose grades were left uncalibrated on some criterion.
    """
    in_round = sorted((d for d in dossiers if d.round == round_.id), key=lambda d: d.id)
    reviews_in_round = [r for r in reviews if r.round == round_.id]
    gradings, excluded = collect_gradings(call, in_round, reviews_in_round)
    calibrated, raw_reviewers = calibrate(gradings, call)
    raw_by: dict[str, list[Grading]] = defaultdict(list)
    cal_by: dict[str, list[Grading]] = defaultdict(list)
    for grading in gradings:
        raw_by[grading.dossier].append(grading)
    for grading in calibrated:
        cal_by[grading.dossier].append(grading)
    late = late or {}
    evaluated = [
        evaluate(call, round_, d, cal_by[d.id], raw_by[d.id], late.get(d.id)) for d in in_round
    ]
    return evaluated, excluded, raw_reviewers
