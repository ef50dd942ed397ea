"""Ranking and selection under the envelope (pure): statuses, grants, waiting list.

Selection in rank order, in two passes:

1. each theme with a reserved minimum share of the round's envelope funds its own
   dossiers from that reserve, in rank order, as long as they fit;
2. what the reserves leave goes back to the common pot (``unspent_theme: pool``) or is
   lost to the round (``lapse``); then every admissible dossier not yet funded is
   funded from the common pot in rank order. A dossier that does not fit is skipped
   (``when_too_large: skip``) or ends the selection (``stop``); with
   ``partial_funding``, the first one that does not fit gets what is left (if at least
   the eligibility floor) and the pot is exhausted.

A theme's cap (``max``) bounds what its dossiers get in both passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from gen_cli.models import Call, RequestedAmountRule, Round
from gen_cli.scoring import CENT, ZERO, Evaluated, q2

STATUSES = ("laureat", "liste-complementaire", "non-retenu", "ineligible", "incomplet", "desiste")


@dataclass(frozen=True)
class Decision:
    """The outcome for one dossier."""

    evaluated: Evaluated
    status: str
    rank: int | None
    granted: Decimal
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """The outcome of a round's selection."""

    decisions: tuple[Decision, ...]  # in rank order, then unranked by id
    envelope: Decimal  # what the round could spend
    granted: Decimal
    lapsed: Decimal  # reserved theme shares lost to the round


def tie_key(call: Call, item: Evaluated) -> tuple[object, ...]:
    """The sort key of the ranking: higher mark first, then the call's tie-break order.

    This is the one place the order is defined; the dossier id always comes last, so
    the ranking is a total order.
    """
    key: list[object] = [-(item.mark or ZERO)]
    for name in call.scoring.tie_break:
        if name.startswith("criterion:"):
            criterion_id = name.removeprefix("criterion:")
            # The exact share of the mark, never the points shown: those are apportioned
            # to the cent, and two equal grades must not be ordered by a rounding cent.
            exact = next((c.exact for c in item.criteria if c.id == criterion_id), ZERO)
            key.append(-exact)
        elif name == "requested":
            key.append(item.dossier.budget.requested)
        elif name == "submitted":
            key.append(item.dossier.submitted.toordinal())
        elif name == "id":
            key.append(item.dossier.id)
    key.append(item.dossier.id)
    return tuple(key)


def _floor(call: Call) -> Decimal:
    floors = [r.min for r in call.eligibility if isinstance(r, RequestedAmountRule)]
    return max(floors, default=ZERO)


def select(
    call: Call, round_: Round, evaluated: Sequence[Evaluated], available: Decimal | None = None
) -> Outcome:
    """Rank the admissible dossiers and choose the laureates under the envelope.

    Args:
        available: what remains of the call's budget before this round; the round
            spends at most the smaller of this and its envelope.
    """
    envelope = (
        round_.envelope.amount
        if available is None
        else min(round_.envelope.amount, max(available, ZERO))
    )
    ranked = sorted(
        (e for e in evaluated if not e.ineligible and not e.incomplete and not e.below),
        key=lambda e: tie_key(call, e),
    )
    reserves: dict[str, Decimal] = {
        theme: (envelope * spec.min_share / 100).quantize(CENT, rounding=ROUND_DOWN)
        for theme, spec in round_.envelope.themes.items()
        if spec.min_share is not None
    }
    caps = {
        theme: spec.max for theme, spec in round_.envelope.themes.items() if spec.max is not None
    }
    spent_by_theme: dict[str, Decimal] = {}
    common = envelope - sum(reserves.values(), ZERO)
    granted: dict[str, Decimal] = {}
    blocked: dict[str, str] = {}

    def cap_left(theme: str) -> Decimal | None:
        if theme not in caps:
            return None
        return caps[theme] - spent_by_theme.get(theme, ZERO)

    def fund(item: Evaluated, amount: Decimal) -> None:
        theme = item.dossier.principal_theme
        granted[item.dossier.id] = amount
        spent_by_theme[theme] = spent_by_theme.get(theme, ZERO) + amount

    for theme in sorted(reserves):
        for item in ranked:
            if item.dossier.principal_theme != theme or item.dossier.id in granted:
                continue
            need = item.dossier.budget.requested
            room = cap_left(theme)
            if need <= reserves[theme] and (room is None or need <= room):
                reserves[theme] -= need
                fund(item, need)
    lapsed = ZERO
    for left in reserves.values():
        if round_.envelope.unspent_theme == "pool":
            common += left
        else:
            lapsed += left
    floor = _floor(call)
    stopped_at: int | None = None
    for rank, item in enumerate(ranked, start=1):
        if item.dossier.id in granted:
            continue
        if stopped_at is not None:
            blocked[item.dossier.id] = f"selection stopped at rank {stopped_at}"
            continue
        need = item.dossier.budget.requested
        theme = item.dossier.principal_theme
        room = cap_left(theme)
        limit = common if room is None else min(common, room)
        if need <= limit:
            common -= need
            fund(item, need)
            continue
        if room is not None and room < need and room < common:
            blocked[item.dossier.id] = (
                f"theme {theme} envelope exhausted ({q2(room)} left) at rank {rank}"
            )
            continue
        if call.selection.partial_funding and limit > 0 and limit >= floor:
            common -= limit
            fund(item, limit)
            continue
        blocked[item.dossier.id] = (
            f"envelope exhausted at rank {rank} ({q2(common)} left, {need} requested)"
        )
        if call.selection.when_too_large == "stop":
            stopped_at = rank
    decisions: list[Decision] = []
    waiting = call.selection.waiting_list
    for rank, item in enumerate(ranked, start=1):
        ident = item.dossier.id
        if ident in granted:
            amount = granted[ident]
            reasons: tuple[str, ...] = (f"rank {rank}, mark {item.mark}",)
            if amount < item.dossier.budget.requested:
                reasons += (
                    f"partial grant: {amount} of {item.dossier.budget.requested} requested",
                )
            decisions.append(Decision(item, "laureat", rank, amount, reasons))
        elif waiting > 0:
            waiting -= 1
            decisions.append(Decision(item, "liste-complementaire", rank, ZERO, (blocked[ident],)))
        else:
            decisions.append(Decision(item, "non-retenu", rank, ZERO, (blocked[ident],)))
    ranked_ids = {e.dossier.id for e in ranked}
    unranked = (e for e in evaluated if e.dossier.id not in ranked_ids)
    for item in sorted(unranked, key=lambda e: e.dossier.id):
        if item.ineligible:
            reasons = tuple(f"{rule}: {message}" for rule, message in item.ineligible)
            decisions.append(Decision(item, "ineligible", None, ZERO, reasons))
        elif item.incomplete:
            decisions.append(Decision(item, "incomplet", None, ZERO, (item.incomplete,)))
        else:
            decisions.append(Decision(item, "non-retenu", None, ZERO, item.below))
    total = sum(granted.values(), ZERO)
    return Outcome(tuple(decisions), envelope, total, lapsed)


def round_closed(round_: Round, today: date) -> bool:
    """True once the round's submission window has ended."""
    return round_.closes < today
