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
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Literal, get_args

from gen_cli.models import Call, RequestedAmountRule, Round
from gen_cli.scoring import CENT, ZERO, Evaluated, q2

Status = Literal[
    "laureat", "liste-complementaire", "non-retenu", "ineligible", "incomplet", "desiste"
]
"""A dossier's decision: the words of decision records, in the order they are shown."""
STATUSES: tuple[Status, ...] = get_args(Status)


@dataclass(frozen=True)
class Decision:
    """The outcome for one dossier."""

    evaluated: Evaluated
    status: Status
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


@dataclass
class _Purse:
    """The round's money while it is spent: the common pot, theme reserves and caps."""

    common: Decimal
    reserves: dict[str, Decimal]
    caps: dict[str, Decimal]
    spent_by_theme: dict[str, Decimal] = field(default_factory=dict)
    granted: dict[str, Decimal] = field(default_factory=dict)
    #: Why a ranked dossier was not funded.
    blocked: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, round_: Round, envelope: Decimal) -> _Purse:
        """The envelope split into theme reserves (rounded down to the cent) and the rest."""
        themes = round_.envelope.themes
        reserves = {
            theme: (envelope * spec.min_share / 100).quantize(CENT, rounding=ROUND_DOWN)
            for theme, spec in themes.items()
            if spec.min_share is not None
        }
        caps = {theme: spec.max for theme, spec in themes.items() if spec.max is not None}
        return cls(envelope - sum(reserves.values(), ZERO), reserves, caps)

    def cap_left(self, theme: str) -> Decimal | None:
        """What a capped theme may still receive; None for a theme without a cap."""
        if theme not in self.caps:
            return None
        return self.caps[theme] - self.spent_by_theme.get(theme, ZERO)

    def fund(self, item: Evaluated, amount: Decimal) -> None:
        """Grant ``amount`` to a dossier."""
        theme = item.dossier.principal_theme
        self.granted[item.dossier.id] = amount
        self.spent_by_theme[theme] = self.spent_by_theme.get(theme, ZERO) + amount


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
    purse = _Purse.of(round_, envelope)
    _fund_from_reserves(purse, ranked)
    lapsed = _release_reserves(purse, round_)
    _fund_in_rank_order(call, purse, ranked)
    decisions = _ranked_decisions(call, purse, ranked) + _unranked_decisions(evaluated, ranked)
    total = sum(purse.granted.values(), ZERO)
    return Outcome(tuple(decisions), envelope, total, lapsed)


def _fund_from_reserves(purse: _Purse, ranked: Sequence[Evaluated]) -> None:
    """Pass 1: each theme's reserve funds its own dossiers in rank order, while they fit."""
    for theme in sorted(purse.reserves):
        for item in ranked:
            if item.dossier.principal_theme != theme or item.dossier.id in purse.granted:
                continue
            need = item.dossier.budget.requested
            room = purse.cap_left(theme)
            if need <= purse.reserves[theme] and (room is None or need <= room):
                purse.reserves[theme] -= need
                purse.fund(item, need)


def _release_reserves(purse: _Purse, round_: Round) -> Decimal:
    """What the reserves leave goes to the common pot (pool) or lapses; returns the lapsed."""
    lapsed = ZERO
    for left in purse.reserves.values():
        if round_.envelope.unspent_theme == "pool":
            purse.common += left
        else:
            lapsed += left
    return lapsed


def _fund_in_rank_order(call: Call, purse: _Purse, ranked: Sequence[Evaluated]) -> None:
    """Pass 2: the common pot funds the dossiers not yet funded, in rank order."""
    floor = _floor(call)
    stopped_at: int | None = None
    for rank, item in enumerate(ranked, start=1):
        if item.dossier.id in purse.granted:
            continue
        if stopped_at is not None:
            purse.blocked[item.dossier.id] = f"selection stopped at rank {stopped_at}"
            continue
        need = item.dossier.budget.requested
        theme = item.dossier.principal_theme
        room = purse.cap_left(theme)
        limit = purse.common if room is None else min(purse.common, room)
        if need <= limit:
            purse.common -= need
            purse.fund(item, need)
            continue
        if room is not None and room < need and room < purse.common:
            purse.blocked[item.dossier.id] = (
                f"theme {theme} envelope exhausted ({q2(room)} left) at rank {rank}"
            )
            continue
        if call.selection.partial_funding and limit > 0 and limit >= floor:
            purse.common -= limit
            purse.fund(item, limit)
            continue
        purse.blocked[item.dossier.id] = (
            f"envelope exhausted at rank {rank} ({q2(purse.common)} left, {need} requested)"
        )
        if call.selection.when_too_large == "stop":
            stopped_at = rank


def _ranked_decisions(call: Call, purse: _Purse, ranked: Sequence[Evaluated]) -> list[Decision]:
    """Laureates, the waiting list, and the ranked dossiers not selected, in rank order."""
    decisions: list[Decision] = []
    waiting = call.selection.waiting_list
    for rank, item in enumerate(ranked, start=1):
        ident = item.dossier.id
        if ident in purse.granted:
            amount = purse.granted[ident]
            reasons: tuple[str, ...] = (f"rank {rank}, mark {item.mark}",)
            if amount < item.dossier.budget.requested:
                reasons += (
                    f"partial grant: {amount} of {item.dossier.budget.requested} requested",
                )
            decisions.append(Decision(item, "laureat", rank, amount, reasons))
        elif waiting > 0:
            waiting -= 1
            decisions.append(
                Decision(item, "liste-complementaire", rank, ZERO, (purse.blocked[ident],))
            )
        else:
            decisions.append(Decision(item, "non-retenu", rank, ZERO, (purse.blocked[ident],)))
    return decisions


def _unranked_decisions(
    evaluated: Sequence[Evaluated], ranked: Sequence[Evaluated]
) -> list[Decision]:
    """The dossiers that did not compete (ineligible, incomplete, below a minimum), by id."""
    ranked_ids = {e.dossier.id for e in ranked}
    unranked = (e for e in evaluated if e.dossier.id not in ranked_ids)
    decisions: list[Decision] = []
    for item in sorted(unranked, key=lambda e: e.dossier.id):
        if item.ineligible:
            reasons = tuple(f"{rule}: {message}" for rule, message in item.ineligible)
            decisions.append(Decision(item, "ineligible", None, ZERO, reasons))
        elif item.incomplete:
            decisions.append(Decision(item, "incomplet", None, ZERO, (item.incomplete,)))
        else:
            decisions.append(Decision(item, "non-retenu", None, ZERO, item.below))
    return decisions
