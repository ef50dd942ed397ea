"""Validation rules that a schema cannot express: within a file, across files, in call.yaml.

Every function here collects problems and returns them; none raises for bad data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from gen_cli.deliberation import deliberation_problems
from gen_cli.diagnostics import Diagnostic, Problem, cap_problems
from gen_cli.errors import GenError
from gen_cli.loading import NOT_ROUNDS, CallFolder, Source, file_id, load_call_folder
from gen_cli.models import (
    SIRET_COUNTRIES,
    Call,
    Dossier,
    IndicatorCriterion,
    RequestedAmountRule,
    Review,
    ReviewCriterion,
)
from gen_cli.names import conflict_of_interest, scripts
from gen_cli.reviewing import assignment_problems
from gen_cli.sealing import IDENTITY_VARIABLE
from gen_cli.yamlload import locate


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


def call_problems(call: Call, display: str) -> list[Problem]:
    """Check call.yaml's own consistency: ids, grids, bounds, envelopes."""
    problems: list[Problem] = []

    def add(code: str, message: str, *loc: str | int, at_key: bool = False) -> None:
        problems.append(Problem(display, code, message, loc=loc, at_key=at_key))

    for section, ids in (
        ("themes", [t.id for t in call.themes]),
        ("rounds", [r.id for r in call.rounds]),
        ("reviewers", [r.id for r in call.reviewers]),
        ("eligibility", [r.id for r in call.eligibility]),
    ):
        for index, ident in _duplicates(ids):
            add("E301", f"{section}: id {ident!r} is declared twice", section, index, "id")

    theme_ids = {t.id for t in call.themes}
    for index, reviewer in enumerate(call.reviewers):
        for position, theme_id in enumerate(reviewer.themes):
            if theme_id not in theme_ids:
                add(
                    "E603",
                    f"reviewer {reviewer.id!r}: theme {theme_id!r} is not declared under "
                    f"'themes' ({', '.join(sorted(theme_ids))})",
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
                f"avoid: reviewer {pair.reviewer!r} is not declared under 'reviewers'",
                "assignment",
                "avoid",
                index,
                "reviewer",
            )
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
            where: tuple[str | int, ...] = ("grids", theme_id, "criteria", index)
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

    for index, rule in enumerate(call.eligibility):
        if isinstance(rule, RequestedAmountRule) and rule.max is not None and rule.min > rule.max:
            add(
                "E304",
                f"rule {rule.id!r}: min {rule.min} is above max {rule.max}",
                "eligibility",
                index,
                "min",
            )
    return problems


#: How far from its submission a project's dates may plausibly lie, in years.
PLAUSIBLE_YEARS_BEFORE, PLAUSIBLE_YEARS_AFTER = 2, 10


def _implausible_timeline(dossier: Dossier, display: str) -> list[Problem]:
    """A warning for a start or end date far from the dossier's submission: a mistyped year."""
    submitted = dossier.submitted
    problems = []
    for field, day in (("start", dossier.timeline.start), ("end", dossier.timeline.end)):
        years = (day - submitted).days / 365.25
        if -PLAUSIBLE_YEARS_BEFORE <= years <= PLAUSIBLE_YEARS_AFTER:
            continue
        when = "before" if years < 0 else "after"
        problems.append(
            Problem(
                display,
                "W013",
                f"timeline.{field} {day} is {abs(years):.0f} years {when} the dossier was "
                f"submitted ({submitted}): check the year",
                loc=("timeline", field),
            )
        )
    return problems


def dossier_problems(dossier: Dossier, display: str) -> list[Problem]:
    """Check one dossier's internal consistency (dates, budget)."""
    problems: list[Problem] = []
    if dossier.timeline.end < dossier.timeline.start:
        problems.append(
            Problem(
                display,
                "E107",
                f"timeline.end {dossier.timeline.end} is before timeline.start {dossier.timeline.start}",
                loc=("timeline", "end"),
            )
        )
    problems += _implausible_timeline(dossier, display)
    for index, partner in enumerate(dossier.partners):
        if partner.siret is None and partner.country in SIRET_COUNTRIES:
            # Without a SIRET, only the name could reveal a conflict of interest.
            problems.append(
                Problem(
                    display,
                    "E101",
                    f"partners.{index}: {partner.name!r} has no siret: a partner registered "
                    "in France (overseas included) gives its SIRET (14 digits, see annuaire-entreprises.data.gouv.fr); "
                    "for one registered abroad, write its country instead, such as country: BE",
                    loc=("partners", index),
                )
            )
    organisations = [(("porteur", "name"), dossier.porteur.name)] + [
        (("partners", index, "name"), partner.name)
        for index, partner in enumerate(dossier.partners)
    ]
    for loc, name in organisations:
        found = scripts(name)
        if len(found) > 1:
            problems.append(
                Problem(
                    display,
                    "W012",
                    f"{'.'.join(map(str, loc))}: {name!r} mixes alphabets "
                    f"({', '.join(sorted(found)).lower()}): write the organisation's name in "
                    "one alphabet, as it is registered",
                    loc=loc,
                )
            )
    budget = dossier.budget
    if budget.requested > budget.total_cost:
        problems.append(
            Problem(
                display,
                "E108",
                f"budget.requested {budget.requested} is above budget.total_cost {budget.total_cost}",
                loc=("budget", "requested"),
            )
        )
    elif budget.requested + budget.other_funding != budget.total_cost:
        problems.append(
            Problem(
                display,
                "W001",
                f"budget.requested {budget.requested} + budget.other_funding {budget.other_funding} = {budget.requested + budget.other_funding}, not budget.total_cost {budget.total_cost}",
                loc=("budget",),
                at_key=True,
            )
        )
    return problems


def folder_problems(folder: CallFolder) -> list[Problem]:
    """Check the rules that span files: ids, rounds, themes, reviews against grids."""
    problems: list[Problem] = []
    call = folder.call
    by_id: dict[str, list[tuple[Source, Dossier]]] = defaultdict(list)
    for source, dossier in folder.dossiers:
        by_id[dossier.id].append((source, dossier))
        problems.extend(dossier_problems(dossier, source.display))
        stem, round_folder = source.path.stem, source.path.parent.name
        if dossier.id != stem:
            problems.append(
                Problem(
                    source.display,
                    "E202",
                    f"id {dossier.id!r} does not match the file name {source.path.name!r}",
                    loc=("id",),
                )
            )
        if call is None:
            continue
        round_ = call.round(dossier.round)
        if round_ is None:
            problems.append(
                Problem(
                    source.display,
                    "E204",
                    f"round {dossier.round!r} is not declared in call.yaml (rounds: {', '.join(r.id for r in call.rounds)})",
                    loc=("round",),
                )
            )
        if dossier.round != round_folder:
            problems.append(
                Problem(
                    source.display,
                    "E203",
                    f"dossier of round {dossier.round!r} is in folder {round_folder!r}; move it to {dossier.round}/",
                    loc=("round",),
                )
            )
        theme_ids = {t.id for t in call.themes}
        for index, theme in enumerate(dossier.themes):
            if theme not in theme_ids:
                problems.append(
                    Problem(
                        source.display,
                        "E205",
                        f"theme {theme!r} is not declared in call.yaml (themes: {', '.join(sorted(theme_ids))})",
                        loc=("themes", index),
                    )
                )
    for ident, entries in by_id.items():
        if len(entries) > 1:
            others = [s.display for s, _ in entries]
            for source, _ in entries:
                elsewhere = ", ".join(o for o in others if o != source.display)
                problems.append(
                    Problem(
                        source.display,
                        "E201",
                        f"dossier id {ident!r} is also used by {elsewhere}",
                        loc=("id",),
                    )
                )
    if call is not None:
        dossiers = {d.id: d for entries in by_id.values() for _, d in entries[:1]}
        for source, review in folder.reviews:
            problems.extend(
                review_problems(
                    call, review, source, dossiers, frozenset(folder.unreadable_dossiers)
                )
            )
    return problems


def review_problems(
    call: Call,
    review: Review,
    source: Source,
    dossiers: dict[str, Dossier],
    unreadable: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Check one reviewer's file against the call, its round and the dossiers."""
    problems: list[Problem] = []
    display = source.display

    def add(code: str, message: str, *loc: str | int, at_key: bool = False) -> None:
        problems.append(Problem(display, code, message, loc=loc, at_key=at_key))

    if review.reviewer != file_id(source.path):
        add(
            "E212",
            f"reviewer {review.reviewer!r} does not match the file name {source.path.name!r}",
            "reviewer",
        )
    round_folder = source.path.parent.parent.name
    if review.round != round_folder:
        add("E212", f"review of round {review.round!r} is in folder {round_folder!r}", "round")
    reviewers = {r.id: r for r in call.reviewers}
    reviewer = reviewers.get(review.reviewer)
    if reviewer is None:
        add("E207", f"reviewer {review.reviewer!r} is not declared in call.yaml", "reviewer")
    if call.round(review.round) is None:
        add("E204", f"round {review.round!r} is not declared in call.yaml", "round")
    for dossier_id, evaluation in review.evaluations.items():
        where = ("evaluations", dossier_id)
        dossier = dossiers.get(dossier_id)
        if dossier is None and dossier_id in unreadable:
            continue  # the dossier's own file reports why it could not be read
        if dossier is None or dossier.round != review.round:
            add(
                "E206",
                f"dossier {dossier_id!r} is not a dossier of round {review.round}",
                *where,
                at_key=True,
            )
            continue
        if evaluation.conflict is not None:
            if any(g is not None for g in evaluation.grades.values()):
                add(
                    "E213",
                    f"dossier {dossier_id!r}: a declared conflict of interest excludes grades; remove them",
                    *where,
                    "grades",
                    at_key=True,
                )
            continue
        if reviewer is not None:
            conflict = conflict_of_interest(reviewer, dossier)
            if conflict is not None:
                add(
                    "E210",
                    f"reviewer {reviewer.id} is affiliated with {conflict}; declare the conflict (conflict: <why>) instead of grading",
                    *where,
                    at_key=True,
                )
        grid = call.grids.get(dossier.principal_theme)
        if grid is None:
            continue
        criteria = {c.id: c for c in grid.criteria}
        for criterion_id, grade in evaluation.grades.items():
            criterion = criteria.get(criterion_id)
            if criterion is None:
                add(
                    "E208",
                    f"dossier {dossier_id!r}: criterion {criterion_id!r} is not in the grid of theme {dossier.principal_theme!r} ({', '.join(c for c, k in criteria.items() if isinstance(k, ReviewCriterion))})",
                    *where,
                    "grades",
                    criterion_id,
                    at_key=True,
                )
            elif isinstance(criterion, IndicatorCriterion):
                add(
                    "E208",
                    f"dossier {dossier_id!r}: criterion {criterion_id!r} is computed from the dossier, not graded",
                    *where,
                    "grades",
                    criterion_id,
                    at_key=True,
                )
            elif grade is not None and not criterion.scale.min <= grade <= criterion.scale.max:
                add(
                    "E209",
                    f"dossier {dossier_id!r}: grade {grade} for {criterion_id!r} is outside its scale {criterion.scale.min}–{criterion.scale.max}",
                    *where,
                    "grades",
                    criterion_id,
                )
        missing = [
            c.id
            for c in grid.criteria
            if isinstance(c, ReviewCriterion) and evaluation.grades.get(c.id) is None
        ]
        if missing:
            add(
                "W003",
                f"dossier {dossier_id!r}: no grade for {', '.join(missing)}",
                *where,
                at_key=True,
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
    problems = list(folder.problems)
    if folder.call is not None:
        problems.extend(call_problems(folder.call, folder.call_source.display))
    problems.extend(folder_problems(folder))
    if folder.call is not None:
        for round_id, (source, deliberation) in sorted(folder.deliberations.items()):
            dossiers = [d for s, d in folder.dossiers if s.path.parent.name == round_id]
            problems += deliberation_problems(
                folder.call, round_id, deliberation, dossiers, source.display
            )
    problems += assignment_problems(folder)
    problems += sealing_problems(folder)
    return filtered(report(folder, problems), folder, only)


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
    selected = [_selected(folder, p) for p in paths]
    if not selected:
        return full
    kept = [d for d in full.diagnostics if _within(folder.sources.get(d.path), d.path, selected)]
    return Report(kept, full.checked)


def _selected(folder: CallFolder, path: Path) -> Path:
    if not path.exists():
        raise GenError(f"{path}: no such file or folder")
    resolved = path.resolve()
    root = folder.root.resolve()
    if resolved != root and root not in resolved.parents:
        raise GenError(f"{path} is not inside the call folder {folder.root}")
    return resolved


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
    texts = {}
    for problem in problems:
        source = folder.sources.get(problem.path)
        if (
            problem.loc
            and problem.mark is None
            and source is not None
            and problem.path not in texts
        ):
            opened = folder.opened.get(problem.path)
            texts[problem.path] = (
                opened
                if opened is not None
                else source.path.read_text(encoding="utf-8").removeprefix("\ufeff")
            )
    diagnostics = sorted(set(locate(problems, texts)))
    checked = {
        "call file": 1,
        "round": len(folder.call.rounds) if folder.call else 0,
        "dossier": folder.dossier_files,
        "review": folder.review_files,
    }
    return Report(diagnostics, checked)


def _within(source: Source | None, display: str, selected: list[Path]) -> bool:
    path = (source.path if source else Path(display)).resolve()
    return any(path == s or s in path.parents for s in selected)
