"""Validation rules that a schema cannot express: within a file, across files, in call.yaml.

Every function here collects problems and returns them; none raises for bad data.
"""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from gen_cli.deliberation import deliberation_problems
from gen_cli.diagnostics import Diagnostic, Problem, cap_problems, diagnostics_within, listed
from gen_cli.keptchecks import KeptReview, review_problems_kept
from gen_cli.layout import NOT_ROUNDS
from gen_cli.loading import (
    CallFolder,
    DossierEntry,
    Source,
    file_id,
    folder_above,
    load_call_folder,
    whole_dossier,
)
from gen_cli.logo import logo_problem
from gen_cli.models import (
    Call,
    Criterion,
    DossierFacts,
    DossierParts,
    Evaluation,
    Grid,
    IndicatorCriterion,
    RequestedAmountRule,
    Review,
    ReviewCriterion,
    ReviewFacts,
)
from gen_cli.names import person_digests, screened_conflict
from gen_cli.packed import Packed
from gen_cli.reviewing import assignment_problems
from gen_cli.sealing import IDENTITY_VARIABLE
from gen_cli.suggest import allowed, did_you_mean, hint
from gen_cli.yamlload import Table, locate, table_of_bytes


@dataclass(frozen=True)
class Report:
    """The outcome of validating a call folder."""

    diagnostics: list[Diagnostic]
    checked: dict[str, int]

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error."""
        return all(d.severity != "error" for d in self.diagnostics)


def _duplicates(ids: Iterable[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            yield index, ident
        seen.add(ident)


class _Add(Protocol):
    def __call__(self, code: str, message: str, *loc: str | int, at_key: bool = False) -> None:
        """Report a problem at a key path of call.yaml."""


def call_problems(call: Call, display: str) -> list[Problem]:
    """Check call.yaml's own consistency: ids, grids, bounds, envelopes."""
    problems: list[Problem] = []

    def add(code: str, message: str, *loc: str | int, at_key: bool = False) -> None:
        problems.append(Problem(display, code, message, loc=loc, at_key=at_key))

    for step in (
        _duplicate_ids,
        _reviewer_settings,
        _grids,
        _calibration,
        _tie_breaks,
        _envelopes,
        _eligibility_bounds,
    ):
        step(call, add)
    return problems


def _duplicate_ids(call: Call, add: _Add) -> None:
    """Two themes, rounds, reviewers or rules with one id (E301)."""
    for section, ids in (
        ("themes", [t.id for t in call.themes]),
        ("rounds", [r.id for r in call.rounds]),
        ("reviewers", [r.id for r in call.reviewers]),
        ("eligibility", [r.id for r in call.eligibility]),
    ):
        for index, ident in _duplicates(ids):
            add("E301", f"{section}: id {ident!r} is declared twice", section, index, "id")


def _reviewer_settings(call: Call, add: _Add) -> None:
    """Reviewers' themes and the pairs to avoid name what call.yaml declares (E603)."""
    theme_ids = {t.id for t in call.themes}
    for index, reviewer in enumerate(call.reviewers):
        for position, theme_id in enumerate(reviewer.themes):
            if theme_id not in theme_ids:
                add(
                    "E603",
                    f"reviewer {reviewer.id!r}: theme {theme_id!r} is not declared under "
                    f"'themes'{hint(theme_id, sorted(theme_ids), 'themes')}",
                    "reviewers",
                    index,
                    "themes",
                    position,
                )
    reviewer_ids = {r.id for r in call.reviewers}
    for index, pair in enumerate(call.assignment.avoid if call.assignment else []):
        if pair.reviewer not in reviewer_ids:
            add(
                "E603",
                f"avoid: reviewer {pair.reviewer!r} is not declared under 'reviewers'"
                f"{did_you_mean(pair.reviewer, reviewer_ids)}",
                "assignment",
                "avoid",
                index,
                "reviewer",
            )


def _grids(call: Call, add: _Add) -> None:
    """A grid for each theme and a theme for each grid (E305); criteria's ids and bounds."""
    theme_ids = {t.id for t in call.themes}
    for index, theme in enumerate(call.themes):
        if theme.id not in call.grids:
            add(
                "E305",
                f"theme {theme.id!r} has no scoring grid under 'grids'",
                "themes",
                index,
                "id",
            )
    for theme_id, grid in call.grids.items():
        if theme_id not in theme_ids:
            add(
                "E305",
                f"grid {theme_id!r} is for a theme not declared under 'themes'",
                "grids",
                theme_id,
                at_key=True,
            )
        for index, ident in _duplicates(c.id for c in grid.criteria):
            add(
                "E301",
                f"criterion {ident!r} appears twice in grid {theme_id!r}",
                "grids",
                theme_id,
                "criteria",
                index,
                "id",
            )
        for index, criterion in enumerate(grid.criteria):
            _criterion_bounds(criterion, ("grids", theme_id, "criteria", index), add)


def _criterion_bounds(criterion: Criterion, where: tuple[str | int, ...], add: _Add) -> None:
    """A scale's, a minimum's and an indicator's bounds in order (E304)."""
    if isinstance(criterion, ReviewCriterion):
        if criterion.scale.min >= criterion.scale.max:
            add(
                "E304",
                f"criterion {criterion.id!r}: scale min {criterion.scale.min} is not below max {criterion.scale.max}",
                *where,
                "scale",
            )
        elif (
            criterion.minimum is not None
            and not criterion.scale.min <= criterion.minimum <= criterion.scale.max
        ):
            add(
                "E304",
                f"criterion {criterion.id!r}: minimum {criterion.minimum} is outside the scale {criterion.scale.min}–{criterion.scale.max}",
                *where,
                "minimum",
            )
    elif criterion.indicator.low == criterion.indicator.high:
        add(
            "E304",
            f"criterion {criterion.id!r}: indicator bounds low and high are both {criterion.indicator.low}",
            *where,
            "indicator",
        )
    elif criterion.indicator.low > criterion.indicator.high:
        add(
            "E304",
            f"criterion {criterion.id!r}: indicator low {criterion.indicator.low} is above high {criterion.indicator.high} (use better: lower to reverse the direction)",
            *where,
            "indicator",
            "low",
        )


def _calibration(call: Call, add: _Add) -> None:
    """A criterion id means one thing across the call's grids (E309)."""
    # Calibration pools a reviewer's grades on a criterion across themes: see #3.
    first_seen: dict[str, tuple[str, object]] = {}
    for theme_id, grid in call.grids.items():
        for index, criterion in enumerate(grid.criteria):
            kind = criterion.scale if isinstance(criterion, ReviewCriterion) else "indicator"
            if criterion.id not in first_seen:
                first_seen[criterion.id] = (theme_id, kind)
            elif first_seen[criterion.id][1] != kind:
                other = first_seen[criterion.id][0]
                add(
                    "E309",
                    f"criterion {criterion.id!r} differs from the one in grid {other!r}: a criterion id means one thing across the call; rename one",
                    "grids",
                    theme_id,
                    "criteria",
                    index,
                    "id",
                )


def _tie_breaks(call: Call, add: _Add) -> None:
    """A tie-break on a criterion names one every grid has (E302)."""
    for index, key in enumerate(call.scoring.tie_break):
        if key.startswith("criterion:"):
            criterion_id = key.removeprefix("criterion:")
            lacking = sorted(
                t for t, g in call.grids.items() if criterion_id not in {c.id for c in g.criteria}
            )
            if lacking:
                add(
                    "E302",
                    f"tie_break names criterion {criterion_id!r}, which is not in the grid of {', '.join(lacking)}",
                    "scoring",
                    "tie_break",
                    index,
                )


def _envelopes(call: Call, add: _Add) -> None:
    """Rounds' dates and envelopes, against each other and the call's budget."""
    theme_ids = {t.id for t in call.themes}
    total = Decimal(0)
    for index, round_ in enumerate(call.rounds):
        place: tuple[str | int, ...] = ("rounds", index)
        if round_.id in NOT_ROUNDS:
            add(
                "E104",
                f"round id {round_.id!r} is reserved for the call's own {round_.id}/ folder",
                *place,
                "id",
            )
        if round_.closes < round_.opens:
            add(
                "E107",
                f"round {round_.id}: closes {round_.closes} before it opens {round_.opens}",
                *place,
                "closes",
            )
        total += round_.envelope.amount
        for theme_id in round_.envelope.themes:
            if theme_id not in theme_ids:
                add(
                    "E205",
                    f"round {round_.id}: envelope for undeclared theme {theme_id!r}",
                    *place,
                    "envelope",
                    "themes",
                    theme_id,
                    at_key=True,
                )
        reserved = sum((t.min_share or 0 for t in round_.envelope.themes.values()), Decimal(0))
        if reserved > 100:
            add(
                "E308",
                f"round {round_.id}: theme shares reserve {reserved}% of the envelope, above 100%",
                *place,
                "envelope",
                "themes",
            )
        for theme_id, theme_envelope in round_.envelope.themes.items():
            if theme_envelope.max is not None and theme_envelope.max > round_.envelope.amount:
                add(
                    "E308",
                    f"round {round_.id}: theme {theme_id!r} max {theme_envelope.max} is above the round's envelope {round_.envelope.amount}",
                    *place,
                    "envelope",
                    "themes",
                    theme_id,
                    "max",
                )
    if total > call.budget:
        add(
            "E307",
            f"the rounds' envelopes add up to {total}, above the call's budget of {call.budget}",
            "budget",
        )


def _eligibility_bounds(call: Call, add: _Add) -> None:
    """An eligibility rule's bounds in order (E304)."""
    for index, rule in enumerate(call.eligibility):
        if isinstance(rule, RequestedAmountRule) and rule.max is not None and rule.min > rule.max:
            add(
                "E304",
                f"rule {rule.id!r}: min {rule.min} is above max {rule.max}",
                "eligibility",
                index,
                "min",
            )


def _round_problems(call: Call, dossier: DossierFacts, source: Source) -> list[Problem]:
    """The dossier's round: declared in call.yaml, and the one of its folder (E204, E203)."""
    if dossier.round is None:
        return []
    declared = [r.id for r in call.rounds]
    folder = source.path.parent.name
    if dossier.round == folder:
        if call.round(dossier.round) is not None:
            return []
        return [
            Problem(
                source.display,
                "E204",
                f"round {dossier.round!r} is not declared in call.yaml"
                f"{hint(dossier.round, declared, 'call.yaml', close=False)}",
                loc=("round",),
            )
        ]
    if folder in declared and call.round(dossier.round) is None:
        fix = f"write round: {folder}, the round of the folder it is in"
    elif folder not in declared and call.round(dossier.round) is not None:
        fix = f"move the file to {dossier.round}/"
    elif folder in declared:
        fix = (
            f"write round: {folder} to leave it in this round, or move the file to {dossier.round}/"
        )
    else:
        return [
            Problem(
                source.display,
                "E204",
                f"round {dossier.round!r} is not declared in call.yaml, nor is the folder "
                f"{folder!r} ({allowed(declared, 'call.yaml')})",
                loc=("round",),
            )
        ]
    return [
        Problem(
            source.display,
            "E203",
            f"dossier of round {dossier.round!r} is in folder {folder!r}: {fix}",
            loc=("round",),
        )
    ]


def _placement_problems(call: Call | None, dossier: DossierFacts, source: Source) -> list[Problem]:
    """The dossier against its file and the call: id, round, themes (E202–E205)."""
    problems: list[Problem] = []
    if dossier.id is not None and dossier.id != source.stem:
        problems.append(
            Problem(
                source.display,
                "E202",
                f"id {dossier.id!r} does not match the file name {source.path.name!r}: "
                f"write id: {source.stem}, or rename the file {dossier.id}.yaml",
                loc=("id",),
            )
        )
    if call is None:
        return problems
    problems += _round_problems(call, dossier, source)
    theme_ids = [t.id for t in call.themes]
    for index, theme in enumerate(dossier.themes or []):
        if theme not in theme_ids:
            problems.append(
                Problem(
                    source.display,
                    "E205",
                    f"theme {theme!r} is not declared in call.yaml"
                    f"{hint(theme, theme_ids, 'call.yaml')}",
                    loc=("themes", index),
                )
            )
    return problems


def _well_placed(
    dossier: DossierFacts, source: Source, rounds: frozenset[str], themes: frozenset[str]
) -> bool:
    """Whether the dossier is where it belongs, so that _placement_problems finds nothing.

    Its id is its file's name, its round is declared and is its folder's, and its themes
    are declared: most dossiers, checked here without building a message.
    """
    return (
        dossier.id == source.stem
        and dossier.round in rounds
        and dossier.round == folder_above(source.path)
        and all(theme in themes for theme in dossier.themes or ())
    )


def folder_problems(folder: CallFolder) -> list[Problem]:
    """Check the rules that span files: ids, rounds, themes, reviews against grids.

    Every dossier file is checked for what is known of it, valid or not.
    """
    problems: list[Problem] = []
    call = folder.call
    by_id: dict[str, list[DossierEntry]] = defaultdict(list)
    rounds = frozenset(r.id for r in call.rounds) if call is not None else frozenset()
    themes = frozenset(t.id for t in call.themes) if call is not None else frozenset()
    for entry in folder.dossier_entries:
        source, facts, _ = entry
        if facts.id is not None:
            by_id[facts.id].append(entry)
        if call is None or not _well_placed(facts, source, rounds, themes):
            problems += _placement_problems(call, facts, source)
    for ident, entries in by_id.items():
        if len(entries) > 1:
            others = [s.display for s, _, _ in entries]
            for source, _, _ in entries:
                elsewhere = listed(o for o in others if o != source.display)
                problems.append(
                    Problem(
                        source.display,
                        "E201",
                        f"dossier id {ident!r} is also used by {elsewhere}",
                        loc=("id",),
                    )
                )
    if call is None:
        return problems
    dossiers = FirstDossiers({ident: entries[0] for ident, entries in by_id.items()})
    known = {s.stem for s, _, _ in folder.dossier_entries}
    unreadable = frozenset(folder.unreadable_dossiers - known) | frozenset(
        s.stem for s, facts, _ in folder.dossier_entries if facts.id is None
    )
    reviews: list[KeptReview] = [
        (s, facts, packed, frozenset[str]()) for s, facts, packed in folder.review_entries
    ]
    reviews += [
        (s, ReviewFacts.of(r), Packed.holding(r), incomplete)
        for s, r, incomplete in folder.partial_reviews
    ]

    def check(
        source: Source, review: Review, incomplete: frozenset[str]
    ) -> tuple[list[Problem], frozenset[str]]:
        watched = dossiers.watched()
        found = review_problems(call, review, source, watched, unreadable, incomplete)
        return found, frozenset(watched.read)

    first_files = {ident: entries[0][0] for ident, entries in by_id.items()}
    found, read = review_problems_kept(folder, reviews, first_files, unreadable, check)
    folder.parts_read |= read
    return problems + found


class FirstDossiers(Mapping[str, DossierFacts]):
    """The facts of the dossier that each id names first; its parts unpacked when needed."""

    def __init__(self, entries: dict[str, DossierEntry]) -> None:
        self._entries = entries
        #: The round of each: what "did you mean" lists.
        self.rounds = {ident: facts.round for ident, (_, facts, _) in entries.items()}
        #: The ids whose parts were read through this view (``watched``).
        self.read: set[str] = set()

    def watched(self) -> FirstDossiers:
        """The same dossiers, through a view that notes whose parts are read (in ``read``)."""
        view = copy.copy(self)
        view.read = set()
        return view

    def __getitem__(self, ident: str) -> DossierFacts:
        return self._entries[ident][1]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def parts(self, ident: str) -> DossierParts:
        """The known parts of the dossier ``ident`` names first, unpacked now."""
        self.read.add(ident)
        return self._entries[ident][2].get()[1]


def review_problems(
    call: Call,
    review: Review,
    source: Source,
    dossiers: FirstDossiers,
    unreadable: frozenset[str] = frozenset(),
    incomplete: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Check one reviewer's file against the call, its round and the dossiers.

    The dossiers' facts are enough, unless a reviewer's organisation may meet one of a
    dossier's: that dossier is then read, to be sure and to name the organisation.

    Args:
        unreadable: file names of dossiers that could not be read (their files say why).
        incomplete: dossiers whose evaluation lost a part that failed validation: a grade
            it lacks is not reported as missing (its own error is).
    """
    display = source.display
    problems = _review_header_problems(call, review, source)
    grids = {theme: _criteria(grid) for theme, grid in call.grids.items()}
    reviewer = next((r for r in call.reviewers if r.id == review.reviewer), None)
    affiliated = person_digests(reviewer) if reviewer is not None else frozenset[bytes]()
    in_round: list[str] | None = None  # for "did you mean": listed once, and only if needed
    for dossier_id, evaluation in review.evaluations.items():
        where = ("evaluations", dossier_id)
        dossier = dossiers.get(dossier_id)
        if dossier is None and dossier_id in unreadable:
            continue  # the dossier's own file reports why it could not be read
        if dossier is None or dossier.round != review.round:
            if in_round is None:
                in_round = [d for d, r in dossiers.rounds.items() if r == review.round]
            problems.append(
                Problem(
                    display,
                    "E206",
                    f"dossier {dossier_id!r} is not a dossier of round {review.round}"
                    f"{did_you_mean(dossier_id, in_round)}",
                    loc=where,
                    at_key=True,
                )
            )
            continue
        if evaluation.conflict is not None:
            if any(g is not None for g in evaluation.grades.values()):
                problems.append(
                    Problem(
                        display,
                        "E213",
                        f"dossier {dossier_id!r}: a declared conflict of interest excludes grades; remove them",
                        loc=(*where, "grades"),
                        at_key=True,
                    )
                )
            continue
        if reviewer is not None:
            parts = functools.partial(dossiers.parts, dossier_id)
            conflict = screened_conflict(reviewer, affiliated, dossier.organisations, parts)
            if conflict is not None:
                problems.append(
                    Problem(
                        display,
                        "E210",
                        f"reviewer {reviewer.id} is affiliated with {conflict}; declare the conflict (conflict: <why>) instead of grading",
                        loc=where,
                        at_key=True,
                    )
                )
        problems += _grade_problems(
            grids,
            dossier.principal_theme,
            dossier_id,
            evaluation,
            display,
            dossier_id in incomplete,
        )
    return problems


def _review_header_problems(call: Call, review: Review, source: Source) -> list[Problem]:
    """The review's reviewer and round: its file's, and declared in call.yaml."""
    display = source.display
    problems = []
    if review.reviewer != file_id(source.path):
        problems.append(
            Problem(
                display,
                "E212",
                f"reviewer {review.reviewer!r} does not match the file name {source.path.name!r}",
                loc=("reviewer",),
            )
        )
    round_folder = source.path.parent.parent.name
    if review.round != round_folder:
        problems.append(
            Problem(
                display,
                "E212",
                f"review of round {review.round!r} is in folder {round_folder!r}",
                loc=("round",),
            )
        )
    reviewer_ids = [r.id for r in call.reviewers]
    if review.reviewer not in reviewer_ids:
        problems.append(
            Problem(
                display,
                "E207",
                f"reviewer {review.reviewer!r} is not declared in call.yaml"
                f"{did_you_mean(review.reviewer, reviewer_ids)}",
                loc=("reviewer",),
            )
        )
    if call.round(review.round) is None:
        declared = [r.id for r in call.rounds]
        problems.append(
            Problem(
                display,
                "E204",
                f"round {review.round!r} is not declared in call.yaml"
                f"{did_you_mean(review.round, declared, close=False)}",
                loc=("round",),
            )
        )
    return problems


#: A grid's criteria by id, and the ids of those reviewers grade.
GridCriteria = tuple[dict[str, Criterion], list[str]]


def _criteria(grid: Grid) -> GridCriteria:
    criteria = {c.id: c for c in grid.criteria}
    return criteria, [c for c, k in criteria.items() if isinstance(k, ReviewCriterion)]


def _grade_problems(
    grids: Mapping[str, GridCriteria],
    theme: str | None,
    dossier_id: str,
    evaluation: Evaluation,
    display: str,
    incomplete: bool,
) -> list[Problem]:
    """Grades against the grid of the dossier's principal theme (E208, E209, W003)."""
    if theme is None or theme not in grids:
        return []
    problems = []
    where = ("evaluations", dossier_id, "grades")
    criteria, graded = grids[theme]
    for criterion_id, grade in evaluation.grades.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            problems.append(
                Problem(
                    display,
                    "E208",
                    f"dossier {dossier_id!r}: criterion {criterion_id!r} is not in the grid of "
                    f"theme {theme!r}{hint(criterion_id, graded, f'the grid of {theme} in call.yaml')}",
                    loc=(*where, criterion_id),
                    at_key=True,
                )
            )
        elif isinstance(criterion, IndicatorCriterion):
            problems.append(
                Problem(
                    display,
                    "E208",
                    f"dossier {dossier_id!r}: criterion {criterion_id!r} is computed from the dossier, not graded; remove it",
                    loc=(*where, criterion_id),
                    at_key=True,
                )
            )
        elif grade is not None and not criterion.scale.min <= grade <= criterion.scale.max:
            problems.append(
                Problem(
                    display,
                    "E209",
                    f"dossier {dossier_id!r}: grade {grade} for {criterion_id!r} is outside its scale {criterion.scale.min}–{criterion.scale.max}",
                    loc=(*where, criterion_id),
                )
            )
    missing = [c for c in graded if evaluation.grades.get(c) is None]
    if missing and not incomplete:
        problems.append(
            Problem(
                display,
                "W003",
                f"dossier {dossier_id!r}: no grade for {listed(missing)}",
                loc=("evaluations", dossier_id),
                at_key=True,
            )
        )
    return problems


def validate_call_folder(
    root: Path, shown_root: str | None = None, only: Iterable[Path] = ()
) -> Report:
    """Validate a whole call folder; report on ``only`` these files or folders if given.

    Raises:
        GenError: the call folder cannot be read (exit status 2).
    """
    return validate_folder(load_call_folder(root, shown_root), only)


def validate_folder(folder: CallFolder, only: Iterable[Path] = ()) -> Report:
    """Validate an already loaded call folder.

    Raises:
        GenError: a path of ``only`` does not exist or is outside the call folder (exit 2).
    """
    if folder.only is not None:
        raise ValueError("a folder holding some rounds only cannot be validated as a whole")
    problems = list(folder.problems)
    if folder.call is not None:
        problems.extend(call_problems(folder.call, folder.call_source.display))
        problems.extend(logo_problems(folder.call, folder.root, folder.call_source.display))
    problems.extend(folder_problems(folder))
    if folder.call is not None:
        for round_id, (source, deliberation) in sorted(folder.deliberations.items()):
            dossiers = [
                whole_dossier(packed)
                for s, facts, packed in folder.dossier_entries
                if facts.whole and s.path.parent.name == round_id
            ]
            problems += deliberation_problems(
                folder.call, round_id, deliberation, dossiers, source.display
            )
    problems += assignment_problems(folder)
    problems += sealing_problems(folder)
    return filtered(report(folder, problems), folder, only)


def logo_problems(call: Call, root: Path, display: str) -> list[Problem]:
    """A declared logo gen cannot publish: missing, a link, too large, not an image (E311)."""
    name = call.publication.logo
    problem = logo_problem(root, name) if name is not None else None
    if problem is None:
        return []
    return [Problem(display, "E311", problem, loc=("publication", "logo"))]


def sealing_problems(folder: CallFolder) -> list[Problem]:
    """Sealed reviews gen could not open (N001), and plain reviews a sealed call forbids (W017)."""
    problems = [
        Problem(
            source.display,
            "N001",
            "sealed review: present, not checked; the secretariat checks it with its identity "
            f"(--identity FILE or {IDENTITY_VARIABLE})",
            round=source.path.parent.parent.name,
        )
        for source in folder.sealed
    ]
    problems += [
        Problem(
            source.display,
            "N002",
            "sealed private part of a dossier: present, not checked; the secretariat checks it "
            f"with its identity (--identity FILE or {IDENTITY_VARIABLE})",
            round=source.path.parent.name,
        )
        for source in folder.private_sealed
    ]
    sealing = folder.call.sealing if folder.call is not None else None
    if sealing is not None:
        problems += [
            Problem(
                source.display,
                "W017",
                "this review is in plain text, and the call seals this round's reviews: run "
                f"gen seal {source.display} before committing it, so that only the "
                "secretariat reads it",
            )
            for source in folder.review_sources
            if sealing.seals(source.path.parent.parent.name)
        ]
    return problems


def filtered(full: Report, folder: CallFolder, paths: Iterable[Path]) -> Report:
    """The report on ``paths`` only (every file when none is given).

    Raises:
        GenError: a path does not exist or is outside the call folder (exit 2).
    """
    places = {display: source.path for display, source in folder.sources.items()}
    return Report(diagnostics_within(full.diagnostics, folder.root, places, paths), full.checked)


#: What a diagnostic in a sealed file says unless asked to reveal it: its message may quote
#: the plaintext (a grade, a comment), and CI logs and annotations may be public.
WITHHELD = (
    "(in a sealed review: what is wrong is not shown here; the secretariat sees it with "
    "gen validate --identity FILE --show-sealed)"
)


def report(folder: CallFolder, problems: list[Problem]) -> Report:
    """Locate problems found in a call folder's files, and count what was checked."""
    problems = cap_problems(problems)
    if not folder.reveal_sealed and folder.opened:
        problems = [
            replace(p, message=WITHHELD) if p.path in folder.opened else p for p in problems
        ]
    # Located in the text gen read: no file is read twice (one whose result was kept is
    # read now, and must hold the bytes that were hashed)
    folder.read_texts({p.path for p in problems if p.mark is None and p.loc})
    texts = {**folder.texts, **folder.opened}
    diagnostics = []
    for chunk in _chunks(problems, folder):
        diagnostics += locate(chunk, texts, _tables(folder, chunk))
    diagnostics = sorted(set(diagnostics))
    checked = {
        "call file": 1,
        "round": len(folder.call.rounds) if folder.call else 0,
        "dossier": folder.dossier_files,
        "review": folder.review_files,
    }
    return Report(diagnostics, checked)


#: How many bytes of files are located at once: their tables are held until then.
_LOCATED_AT_ONCE = 8_000_000


def _chunks(problems: list[Problem], folder: CallFolder) -> Iterator[list[Problem]]:
    """The problems in groups whose files hold at most _LOCATED_AT_ONCE bytes together."""
    by_path: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        by_path[problem.path].append(problem)
    chunk: list[Problem] = []
    size = 0
    for path, found in by_path.items():
        chunk += found
        size += len(folder.texts.get(path, ""))
        if size >= _LOCATED_AT_ONCE:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _tables(folder: CallFolder, problems: list[Problem]) -> dict[str, Table | None]:
    """Location tables of the files these problems need located, from the cache if kept.

    Sealed files opened in memory are located without it: nothing of them is kept.
    """
    wanted = sorted(
        {
            p.path
            for p in problems
            if p.mark is None and p.loc and p.path in folder.texts and p.path not in folder.opened
        }
    )
    files = [(folder.texts[path].encode("utf-8"), path) for path in wanted]
    return dict(zip(wanted, folder.batch.run(table_of_bytes, "where", files), strict=True))
