"""The jury's deliberation: checking `<round>/jury.yaml` and applying it to a round's outcome.

The computed outcome (ranking and selection) is the jury's starting point. When the jury
departs from it, for a dossier, it says so in writing: a new status, perhaps a different
amount and conditions, and a justification. The record keeps both outcomes side by side.
Each departure needs `jury.quorum` members present who have no conflict of interest with
the dossier. After the departures, the round still spends at most what it could.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from gen_cli.diagnostics import Problem, listed
from gen_cli.models import (
    Call,
    Deliberation,
    Dossier,
    JuryDecision,
    RequestedAmountRule,
    Withdrawal,
)
from gen_cli.names import conflict_of_interest
from gen_cli.scoring import q2
from gen_cli.selection import Decision, Outcome

ZERO = Decimal(0)


def deliberation_problems(
    call: Call,
    round_id: str,
    deliberation: Deliberation,
    dossiers: Sequence[Dossier],
    display: str,
) -> list[Problem]:
    """What is wrong with a round's deliberation file, located at the offending key."""
    problems: list[Problem] = []

    def problem(code: str, message: str, *loc: str | int) -> None:
        problems.append(Problem(display, code, message, loc=loc, round=round_id))

    if deliberation.round != round_id:
        problem(
            "E501",
            f"round: {deliberation.round!r}, but this file is in the folder of round "
            f"{round_id}; write round: {round_id}",
            "round",
        )
    if call.jury is None:
        problem(
            "E502",
            "call.yaml declares no jury: add jury: {members: [...]} to say who deliberates",
            "present",
        )
        return problems
    members = {m.id: m for m in call.jury.members}
    present = []
    for index, ident in enumerate(deliberation.present):
        if ident not in members:
            known = ", ".join(sorted(members))
            problem(
                "E502",
                f"present: {ident!r} is not a jury member of call.yaml ({known})",
                "present",
                index,
            )
        else:
            present.append(members[ident])
    in_round = {d.id: d for d in dossiers}
    floors = [r.min for r in call.eligibility if isinstance(r, RequestedAmountRule)]
    ceilings = [
        r.max for r in call.eligibility if isinstance(r, RequestedAmountRule) and r.max is not None
    ]
    seen: set[str] = set()
    for index, decision in enumerate(deliberation.decisions):
        where = ("decisions", index)
        dossier = in_round.get(decision.dossier)
        if dossier is None:
            problem(
                "E503",
                f"dossier {decision.dossier!r} is not a dossier of round {round_id}",
                *where,
                "dossier",
            )
            continue
        if decision.dossier in seen:
            problem(
                "E503",
                f"dossier {decision.dossier!r} is decided twice: keep one decision",
                *where,
                "dossier",
            )
            continue
        seen.add(decision.dossier)
        free = [m.id for m in present if conflict_of_interest(m, dossier) is None]
        if len(free) < call.jury.quorum:
            conflicted = sorted(m.id for m in present if m.id not in free)
            problem(
                "E504",
                f"dossier {decision.dossier!r}: {len(free)} member(s) present without a conflict "
                f"of interest, the quorum is {call.jury.quorum}"
                + (f" ({', '.join(conflicted)} cannot take part)" if conflicted else ""),
                *where,
            )
        if not decision.justification.strip():
            problem(
                "E505",
                f"dossier {decision.dossier!r}: write the jury's justification",
                *where,
                "justification",
            )
        if decision.granted is None:
            continue
        requested = dossier.budget.requested
        if decision.status != "laureat":
            problem(
                "E505",
                f"dossier {decision.dossier!r}: an amount is granted only to a laureate; remove granted",
                *where,
                "granted",
            )
        elif decision.granted <= 0 or decision.granted > requested:
            problem(
                "E505",
                f"dossier {decision.dossier!r}: granted {decision.granted} must be above 0 and at "
                f"most the {requested} requested",
                *where,
                "granted",
            )
        elif (floors and decision.granted < max(floors)) or (
            ceilings and decision.granted > min(ceilings)
        ):
            problem(
                "E505",
                f"dossier {decision.dossier!r}: granted {decision.granted} is outside the amounts "
                "the call's eligibility rules allow",
                *where,
                "granted",
            )
    gone: set[str] = set()
    for index, withdrawal in enumerate(deliberation.withdrawn):
        if withdrawal.dossier not in in_round:
            problem(
                "E503",
                f"dossier {withdrawal.dossier!r} is not a dossier of round {round_id}",
                "withdrawn",
                index,
                "dossier",
            )
        elif withdrawal.dossier in gone:
            problem(
                "E503",
                f"dossier {withdrawal.dossier!r} withdrew twice: keep one entry",
                "withdrawn",
                index,
                "dossier",
            )
        gone.add(withdrawal.dossier)
        if not withdrawal.reason.strip():
            problem(
                "E505",
                f"dossier {withdrawal.dossier!r}: write why it withdrew",
                "withdrawn",
                index,
                "reason",
            )
    return problems


@dataclass(frozen=True)
class Departure:
    """One dossier whose final outcome is not the computed one: what changed it."""

    dossier: str
    computed_status: str
    computed_granted: Decimal
    decision: JuryDecision | None = None  # the jury's
    withdrawal: Withdrawal | None = None  # the laureate renounced
    promoted_after: tuple[str, ...] = ()  # promoted from the waiting list after these withdrew


class Refused(ValueError):
    """The jury's decisions cannot be applied as written.

    Attributes:
        where: the key of jury.yaml at fault (``("decisions", 0)``, ``("withdrawn", 1)``).
    """

    def __init__(self, message: str, where: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.where = where


class OverEnvelope(Refused):
    """The jury's decisions spend more than the round could."""

    def __init__(
        self, granted: Decimal, envelope: Decimal, adding: list[str], where: tuple[str | int, ...]
    ) -> None:
        super().__init__(
            f"after the jury's decisions the round grants {q2(granted)}, more than the "
            f"{q2(envelope)} it could spend; the decisions that add to it: {listed(adding)}",
            where,
        )


def deliberate(
    outcome: Outcome, deliberation: Deliberation | None
) -> tuple[Outcome, list[Departure]]:
    """The outcome after the jury's decisions and the withdrawals, and what departed.

    Withdrawn laureates give their grant back; the waiting list is then promoted in its
    order, each dossier that fits in what is left (one that does not fit is passed over).

    Raises:
        Refused: a decision concerns a dossier that did not compete (ineligible, incomplete),
            or a dossier withdrew that is not a laureate.
        OverEnvelope: the final grants exceed what the round could spend.
    """
    if deliberation is None or not (deliberation.decisions or deliberation.withdrawn):
        return outcome, []
    chosen = {d.dossier: d for d in deliberation.decisions}
    index_of = {d.dossier: i for i, d in enumerate(deliberation.decisions)}
    departed: dict[str, Departure] = {}
    decisions: list[Decision] = []
    for decision in outcome.decisions:
        ident = decision.evaluated.dossier.id
        jury = chosen.get(ident)
        if jury is None:
            decisions.append(decision)
            continue
        if decision.status in {"ineligible", "incomplet"}:
            raise Refused(
                f"dossier {jury.dossier!r} is {decision.status}: the jury decides among the "
                "dossiers that competed; remove its decision",
                ("decisions", index_of[ident]),
            )
        requested = decision.evaluated.dossier.budget.requested
        granted = (jury.granted or requested) if jury.status == "laureat" else ZERO
        departed[ident] = Departure(ident, decision.status, decision.granted, jury)
        decisions.append(
            replace(
                decision,
                status=jury.status,
                granted=granted,
                reasons=(*decision.reasons, f"jury: {jury.status}"),
            )
        )
    total = sum((d.granted for d in decisions), ZERO)
    if total > outcome.envelope:
        gaining = [d for d in departed.values() if _gain(d, decisions) > 0]
        adding = [f"{d.dossier} (+{q2(_gain(d, decisions))})" for d in gaining]
        first = min((index_of[d.dossier] for d in gaining), default=None)
        where: tuple[str | int, ...] = ("decisions", first) if first is not None else ()
        raise OverEnvelope(total, outcome.envelope, adding, where)
    decisions = _withdraw(decisions, deliberation.withdrawn, departed, outcome.envelope)
    total = sum((d.granted for d in decisions), ZERO)
    final = replace(outcome, decisions=tuple(decisions), granted=total)
    order = [d.evaluated.dossier.id for d in decisions]
    return final, sorted(departed.values(), key=lambda d: order.index(d.dossier))


def _withdraw(
    decisions: list[Decision],
    withdrawn: Sequence[Withdrawal],
    departed: dict[str, Departure],
    envelope: Decimal,
) -> list[Decision]:
    decisions = list(decisions)
    where = {d.evaluated.dossier.id: i for i, d in enumerate(decisions)}
    for position, withdrawal in enumerate(withdrawn):
        index = where[withdrawal.dossier]
        decision = decisions[index]
        if decision.status != "laureat":
            raise Refused(
                f"dossier {withdrawal.dossier!r} withdrew but is not a laureate "
                f"({decision.status}); remove it from withdrawn",
                ("withdrawn", position),
            )
        previous = departed.get(withdrawal.dossier) or Departure(
            withdrawal.dossier, decision.status, decision.granted
        )
        departed[withdrawal.dossier] = replace(previous, withdrawal=withdrawal)
        decisions[index] = replace(
            decision,
            status="desiste",
            granted=ZERO,
            reasons=(*decision.reasons, f"withdrew on {withdrawal.date}: {withdrawal.reason}"),
        )
    if not withdrawn:
        return decisions
    gone = tuple(w.dossier for w in withdrawn)
    left = envelope - sum((d.granted for d in decisions), ZERO)
    for index, decision in enumerate(decisions):  # in rank order
        need = decision.evaluated.dossier.budget.requested
        if decision.status != "liste-complementaire" or need > left:
            continue
        left -= need
        ident = decision.evaluated.dossier.id
        previous = departed.get(ident) or Departure(ident, decision.status, decision.granted)
        departed[ident] = replace(previous, promoted_after=gone)
        decisions[index] = replace(
            decision,
            status="laureat",
            granted=need,
            reasons=(
                *decision.reasons,
                f"promoted from the waiting list after {listed(gone)} withdrew",
            ),
        )
    return decisions


def _gain(departure: Departure, decisions: list[Decision]) -> Decimal:
    final = next(d.granted for d in decisions if d.evaluated.dossier.id == departure.dossier)
    return final - departure.computed_granted
