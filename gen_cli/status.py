"""Where each round stands, for ``gen status``: dossiers, reviews, and what blocks the next step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gen_cli.lifecycle import State
from gen_cli.loading import file_id
from gen_cli.models import DossierFacts, Review, ReviewCriterion, ReviewsRule
from gen_cli.records import record_text, same_record
from gen_cli.reviewing import assigned_to
from gen_cli.rounds import Checked, describe_state, round_of, score_rounds
from gen_cli.scoring import failed_rules


@dataclass(frozen=True)
class ReviewerProgress:
    """One reviewer's file in a round."""

    reviewer: str
    done: int  # evaluations with every criterion graded
    missing: int  # evaluations in the file that still lack a grade
    conflicts: int  # declared conflicts of interest
    #: With an assignments.yaml: the dossiers assigned, and how many of them are graded.
    assigned: int | None = None
    assigned_done: int = 0


@dataclass(frozen=True)
class RoundStatus:
    """Where one round stands."""

    round: str
    state: State
    received: int  # dossier files in the round's folder
    complete: int  # dossiers that read and validate without error
    eligible: int  # complete dossiers that pass the rules checked on one dossier, on time
    reviewers: list[ReviewerProgress]
    without_file: list[str]  # reviewers of the call with no file in this round
    below_minimum: list[str]  # eligible dossiers with fewer usable reviews than required
    minimum: int
    #: Reviewers whose sealed review gen could not open (no identity given).
    sealed: list[str] = field(default_factory=list)
    to_score: list[str] = field(default_factory=list)  # what prevents scoring
    to_close: list[str] = field(default_factory=list)  # what prevents closing

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "round": self.round,
            "state": str(self.state),
            "dossiers": {
                "received": self.received,
                "complete": self.complete,
                "eligible": self.eligible,
            },
            "reviewers": {
                r.reviewer: {
                    "done": r.done,
                    "missing": r.missing,
                    "conflicts": r.conflicts,
                    **(
                        {"assigned": r.assigned, "assigned_done": r.assigned_done}
                        if r.assigned is not None
                        else {}
                    ),
                }
                for r in self.reviewers
            },
            "reviewers_without_file": self.without_file,
            "sealed_not_opened": self.sealed,
            "min_reviews": self.minimum,
            "below_min_reviews": self.below_minimum,
            "blocks_scoring": self.to_score,
            "blocks_closing": self.to_close,
        }


def _graded(review: Review, dossier: str, criteria: list[str]) -> bool:
    evaluation = review.evaluations.get(dossier)
    return evaluation is not None and all(evaluation.grades.get(c) is not None for c in criteria)


def round_status(checked: Checked, round_id: str) -> RoundStatus:
    """Count a round's dossiers and reviews and say what blocks scoring and closing."""
    call = checked.call
    folder = checked.folder
    round_ = round_of(call, round_id)
    state = checked.state(round_id)
    files = {s.display for s in folder.round_files(round_id)}
    received = sum(1 for s in folder.dossier_sources if s.path.parent.name == round_id)
    with_errors = {
        d.path for d in checked.report.diagnostics if d.severity == "error" and d.path in files
    }
    dossiers = [
        d
        for s, d in folder.dossiers
        if s.display in files and d.round == round_id and s.display not in with_errors
    ]
    late = checked.late.get(round_id, {})
    eligible = [
        d
        for d in dossiers
        if not failed_rules(call, round_, DossierFacts.of_dossier(d)) and d.id not in late
    ]
    reviews = [r for s, r in folder.reviews if s.display in files and r.round == round_id]
    criteria = {
        theme: [c.id for c in grid.criteria if isinstance(c, ReviewCriterion)]
        for theme, grid in call.grids.items()
    }
    progress = []
    usable: dict[str, int] = {d.id: 0 for d in dossiers}
    by_reviewer = {r.reviewer: r for r in reviews}
    names = sorted(by_reviewer)
    if round_id in folder.assignments:
        names = sorted({*names, *folder.assignments[round_id][1].reviewers})
    sealed = {file_id(s.path) for s in folder.sealed_in(round_id)}
    for name in names:
        if name in sealed and name not in by_reviewer:
            continue  # listed as sealed, not opened: nothing to count
        review = by_reviewer.get(name) or Review(reviewer=name, round=round_id, evaluations={})
        done = missing = conflicts = 0
        for dossier in dossiers:
            evaluation = review.evaluations.get(dossier.id)
            if evaluation is None:
                continue
            if evaluation.conflict is not None:
                conflicts += 1
                continue
            if _graded(review, dossier.id, criteria.get(dossier.principal_theme, [])):
                done += 1
            else:
                missing += 1
            if any(g is not None for g in evaluation.grades.values()):
                usable[dossier.id] += 1
        mine = assigned_to(folder, round_id, review.reviewer)
        progress.append(
            ReviewerProgress(
                review.reviewer,
                done,
                missing,
                conflicts,
                None if mine is None else len(mine),
                0
                if mine is None
                else sum(
                    1
                    for d in dossiers
                    if d.id in mine and _graded(review, d.id, criteria.get(d.principal_theme, []))
                ),
            )
        )
    minimum = max((r.min for r in call.eligibility if isinstance(r, ReviewsRule)), default=0)
    below = sorted(d.id for d in eligible if usable[d.id] < minimum)
    with_file = {r.reviewer for r in reviews}
    status = RoundStatus(
        round=round_id,
        state=state,
        received=received,
        complete=len(dossiers),
        eligible=len(eligible),
        reviewers=progress,
        without_file=sorted(
            r.id for r in call.reviewers if r.id not in with_file and r.id not in sealed
        ),
        below_minimum=below,
        minimum=minimum,
        sealed=sorted(sealed),
    )
    _obstacles(checked, status)
    return status


def _obstacles(checked: Checked, status: RoundStatus) -> None:
    errors = len(checked.blocking(status.round))
    if status.state is State.open:
        status.to_score.append(
            "it still takes dossiers: set submissions: closed in call.yaml after the deadline"
        )
    if status.state is State.closed:
        status.to_score.append("it is closed: its decisions are final (gen amend to correct)")
    if errors:
        status.to_score.append(f"{errors} error(s) reported by gen validate")
    if status.below_minimum and status.state in {State.open, State.review}:
        status.to_score.append(
            f"{len(status.below_minimum)} dossier(s) below {status.minimum} review(s) would be "
            "incomplet"
        )
    if status.state is State.closed:
        status.to_close.append("it is closed already")
    elif status.state is not State.scored:
        status.to_close.append(f"it is {describe_state(status.state)}: score it first")
    else:
        if errors:
            status.to_close.append(f"{errors} error(s) reported by gen validate")
        elif status.sealed:
            status.to_close.append(
                f"{len(status.sealed)} sealed review(s) need the secretariat's identity"
            )
        elif not status.to_score:
            (scored,) = score_rounds(checked, [status.round])
            if not same_record(record_text(scored.path), scored.text):
                status.to_close.append(
                    "its record no longer matches its inputs, or was written by an earlier "
                    "version of gen: run gen score and commit it"
                )


def call_status(checked: Checked, round_ids: list[str]) -> list[RoundStatus]:
    """The status of the rounds asked, or of every round, in call order."""
    wanted = round_ids or [r.id for r in checked.call.rounds]
    return [round_status(checked, r) for r in wanted]


def render_status(statuses: list[RoundStatus]) -> str:
    """The statuses as text for the terminal."""
    lines: list[str] = []
    for s in statuses:
        lines.append(f"round {s.round}: {describe_state(s.state)}")
        lines.append(
            f"  dossiers: {s.received} received, {s.complete} complete, "
            f"{s.eligible} eligible so far"
        )
        for r in s.reviewers:
            assigned = (
                f"{r.assigned_done} of {r.assigned} assigned dossier(s) graded; "
                if r.assigned is not None
                else ""
            )
            lines.append(
                f"  reviewer {r.reviewer}: {assigned}{r.done} evaluation(s) done, {r.missing} "
                f"still missing a grade, {r.conflicts} conflict(s) declared"
            )
        if s.sealed:
            lines.append(f"  sealed, not opened without the identity: {', '.join(s.sealed)}")
        if s.without_file:
            lines.append(f"  no review file yet: {', '.join(s.without_file)}")
        if s.minimum:
            below = ", ".join(s.below_minimum) if s.below_minimum else "none"
            lines.append(f"  below {s.minimum} review(s): {below}")
        lines.append(
            "  to score: " + ("; ".join(s.to_score) if s.to_score else "nothing blocks it")
        )
        lines.append(
            "  to close: " + ("; ".join(s.to_close) if s.to_close else "nothing blocks it")
        )
    return "\n".join(lines)
