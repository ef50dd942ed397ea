"""Who reviews what: a round's dossiers given to reviewers, solved as a minimum-cost flow.

Each dossier needs ``assignment.reviews_per_dossier`` reviewers; a reviewer never gets a
dossier they have a conflict of interest with (the matching of validation, the conflicts
reviewers declared in their files, and the pairs call.yaml says to avoid), nor more than
``max_load`` dossiers. Within that, in this order of priority: pairs assigned before stay;
loads are balanced (each reviewer's share is the same, or their ``max_load`` when lower);
reviewers with expertise in the dossier's principal theme are preferred.

These are the constraints of a transportation problem: a network flow from the dossiers
(each supplying its reviews) to the reviewers (each taking its load), whose optimum is
integral. OR-Tools' minimum-cost flow solves it exactly (there is no gap to report), and
the same inputs give the same assignment. When no assignment exists, the flow's minimum
cut names the dossiers that cannot all be served and the reviewers who could serve them.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from gen_cli.models import AssignmentPolicy, Assignments, Call, Dossier, Review
from gen_cli.names import affiliation_keys, keys_conflict, organisation_keys

#: Costs, in order of priority: keeping a pair costs nothing and a new pair NEW, so pairs
#: stay unless a constraint moves them; a unit of load above a reviewer's share costs
#: ABOVE_SHARE (above their rounded-up share, ABOVE_CEILING), more than expertise saves.
NEW = 100
NOT_EXPERT = 1
ABOVE_SHARE = 2
ABOVE_CEILING = 20


@dataclass(frozen=True)
class Pairing:
    """What an assignment must satisfy, in the solver's terms (ids only, sorted)."""

    round: str
    per_dossier: int
    themes: Mapping[str, str]  # dossier -> principal theme, for every dossier to assign
    capacity: Mapping[str, int]  # available reviewer -> the most dossiers they take
    allowed: Mapping[str, tuple[str, ...]]  # dossier -> reviewers who may review it
    expert: frozenset[tuple[str, str]]  # (dossier, reviewer): expertise in its theme
    kept: frozenset[tuple[str, str]]  # (dossier, reviewer): assigned before, or graded


@dataclass(frozen=True)
class Move:
    """A dossier that changed reviewers between two assignments."""

    dossier: str
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    """The reviewers of each dossier, and what it costs in expertise and balance."""

    by_reviewer: dict[str, list[str]]  # every available reviewer, even with no dossier
    experts: int  # pairs where the reviewer has expertise in the dossier's theme
    pairs: int
    loads: dict[str, int] = field(default_factory=dict)


class Unassignable(ValueError):
    """No assignment meets every constraint; the message names the one that fails."""


def pairing(
    call: Call,
    round_id: str,
    dossiers: Sequence[Dossier],
    reviews: Sequence[Review],
    previous: Assignments | None,
) -> Pairing:
    """The constraints of the round's assignment, from call.yaml, its dossiers and reviews.

    Pairs kept from before: those of the round's assignments.yaml, and the dossiers a
    reviewer has already graded in their review file.
    """
    policy = call.assignment or AssignmentPolicy()
    per_dossier = policy.reviews_per_dossier
    required = policy.expertise == "required"
    avoided = {(a.dossier, a.reviewer) for a in policy.avoid}
    in_round = sorted((d for d in dossiers if d.round == round_id), key=lambda d: d.id)
    available = sorted((r for r in call.reviewers if r.available), key=lambda r: r.id)
    declared: set[tuple[str, str]] = set()
    graded: set[tuple[str, str]] = set()
    for review in reviews:
        if review.round != round_id:
            continue
        for ident, evaluation in review.evaluations.items():
            if evaluation.conflict is not None:
                declared.add((ident, review.reviewer))
            elif any(g is not None for g in evaluation.grades.values()):
                graded.add((ident, review.reviewer))
    before = set(graded)
    if previous is not None and previous.round == round_id:
        before |= {(d, r) for r, ids in previous.reviewers.items() for d in ids}
    count = len(in_round)
    capacity = {r.id: min(r.max_load, count) if r.max_load else count for r in available}
    allowed: dict[str, tuple[str, ...]] = {}
    expert: set[tuple[str, str]] = set()
    # Each organisation's keys once, not once a pair: 10,000 dossiers x 300 reviewers.
    affiliated = {r.id: affiliation_keys(r) for r in available if r.affiliations}
    for dossier in in_round:
        theme = dossier.principal_theme
        organisations = organisation_keys(dossier)
        fit = []
        for reviewer in available:
            pair = (dossier.id, reviewer.id)
            if pair in declared or pair in avoided:
                continue
            keys = affiliated.get(reviewer.id)
            if keys is not None and keys_conflict(keys, organisations):
                continue
            knows = theme in reviewer.themes
            if required and not knows:
                continue
            if knows:
                expert.add(pair)
            fit.append(reviewer.id)
        allowed[dossier.id] = tuple(fit)
    return Pairing(
        round=round_id,
        per_dossier=per_dossier,
        themes={d.id: d.principal_theme for d in in_round},
        capacity=capacity,
        allowed=allowed,
        expert=frozenset(expert),
        kept=frozenset(p for p in before if p[1] in capacity and p[1] in allowed.get(p[0], ())),
    )


def shares(capacity: Mapping[str, int], total: int) -> dict[str, Fraction]:
    """Each reviewer's fair share of ``total`` reviews: the same for all, or their capacity.

    The level is found by water-filling: reviewers whose capacity is below the common
    level take their capacity, the others share the rest equally.
    """
    left = Fraction(total)
    share: dict[str, Fraction] = {}
    ordered = sorted(capacity.items(), key=lambda item: (item[1], item[0]))
    for index, (reviewer, cap) in enumerate(ordered):
        share[reviewer] = min(Fraction(cap), left / (len(ordered) - index))
        left -= share[reviewer]
    return share


def solve(task: Pairing) -> Assignment:
    """The assignment of least cost that meets every constraint.

    Raises:
        Unassignable: no assignment exists; the message names the constraint that fails.
    """
    # Imported here: only gen assign pays for loading the solver.
    import numpy as np
    from ortools.graph.python import min_cost_flow

    dossiers = sorted(task.themes)
    reviewers = sorted(task.capacity)
    k = task.per_dossier
    total = k * len(dossiers)
    source, sink = 0, 1
    d_node = {d: 2 + i for i, d in enumerate(dossiers)}
    r_node = {r: 2 + len(dossiers) + i for i, r in enumerate(reviewers)}
    # Machine integers, not Python objects: millions of arcs at 10,000 x 300.
    tails, heads, caps, costs = (array("q") for _ in range(4))

    def arc(tail: int, head: int, cap: int, cost: int) -> None:
        tails.append(tail)
        heads.append(head)
        caps.append(cap)
        costs.append(cost)

    for dossier in dossiers:
        arc(source, d_node[dossier], k, 0)
    first_pair = len(tails)
    for dossier in dossiers:
        node = d_node[dossier]
        for reviewer in task.allowed[dossier]:
            pair = (dossier, reviewer)
            cost = 0 if pair in task.kept else NEW + (0 if pair in task.expert else NOT_EXPERT)
            arc(node, r_node[reviewer], 1, cost)
    pair_end = len(tails)
    fair = shares(task.capacity, total)
    for reviewer in reviewers:
        cap = task.capacity[reviewer]
        low, high = math.floor(fair[reviewer]), min(cap, math.ceil(fair[reviewer]))
        arc(r_node[reviewer], sink, low, 0)
        arc(r_node[reviewer], sink, high - low, ABOVE_SHARE)
        arc(r_node[reviewer], sink, cap - high, ABOVE_CEILING)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        *(np.frombuffer(a, dtype=np.int64) for a in (tails, heads, caps, costs))
    )
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise Unassignable(f"round {task.round}: the assignment could not be computed ({status})")
    flows = flow.flows(np.arange(len(tails), dtype=np.int64))
    if flow.maximum_flow() < total:
        raise Unassignable(_shortfall(task, dossiers, reviewers, tails, heads, caps, flows))
    by_reviewer: dict[str, list[str]] = {r: [] for r in reviewers}
    experts = 0
    first_reviewer = 2 + len(dossiers)
    for index in np.flatnonzero(flows[first_pair:pair_end] > 0):
        arc_index = first_pair + int(index)
        pair = (dossiers[tails[arc_index] - 2], reviewers[heads[arc_index] - first_reviewer])
        by_reviewer[pair[1]].append(pair[0])
        experts += pair in task.expert
    return Assignment(
        by_reviewer={r: sorted(ids) for r, ids in by_reviewer.items()},
        experts=experts,
        pairs=total,
        loads={r: len(ids) for r, ids in by_reviewer.items()},
    )


def _shortfall(
    task: Pairing,
    dossiers: list[str],
    reviewers: list[str],
    tails: Sequence[int],
    heads: Sequence[int],
    caps: Sequence[int],
    flows: Sequence[int],
) -> str:
    """Name the constraint that fails, from the minimum cut of the maximum flow.

    The dossiers still reachable from the source in the residual network cannot all get
    their reviews: together they need more than the reviewers who may review them can
    give (each reviews a dossier once, within their max_load).
    """
    adjacent: dict[int, list[int]] = {}
    for tail, head, cap, used in zip(tails, heads, caps, flows, strict=True):
        if used < cap:
            adjacent.setdefault(tail, []).append(head)
        if used > 0:
            adjacent.setdefault(head, []).append(tail)
    seen = {0}
    queue = deque([0])
    while queue:
        node = queue.popleft()
        for nxt in adjacent.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    stuck = [d for i, d in enumerate(dossiers) if 2 + i in seen]
    # What the reviewers of those dossiers can give them: one review a dossier each,
    # within their max_load (Hall's condition for this flow, which the cut violates).
    degree: dict[str, int] = {}
    for ident in stuck:
        for reviewer in task.allowed[ident]:
            degree[reviewer] = degree.get(reviewer, 0) + 1
    able = sorted(degree)
    k = task.per_dossier
    load = sum(min(task.capacity[r], n) for r, n in degree.items())
    themes = {task.themes[d] for d in stuck}
    where = f"theme {next(iter(themes))}" if len(themes) == 1 else f"round {task.round}"
    names = _few(stuck)
    who = (
        f"the {len(able)} reviewer(s) who may review them ({_few(able)})"
        if able
        else "no reviewer who may review them"
    )
    return (
        f"{where}: {len(stuck)} dossier(s) ({names}) × {k} reviews = {len(stuck) * k} > "
        f"total load {load} of {who}; raise max_load, add reviewers, or lower "
        "assignment.reviews_per_dossier (a reviewer with a conflict of interest, or "
        "without the theme's expertise when it is required, cannot review a dossier)"
    )


def _few(ids: Sequence[str], shown: int = 5) -> str:
    head = ", ".join(ids[:shown])
    return head if len(ids) <= shown else f"{head} and {len(ids) - shown} more"


def moves(before: Mapping[str, Iterable[str]], after: Mapping[str, Iterable[str]]) -> list[Move]:
    """The dossiers whose reviewers changed, by dossier id (reviewer -> dossiers maps)."""

    def by_dossier(assigned: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for reviewer, ids in assigned.items():
            for ident in ids:
                found.setdefault(ident, set()).add(reviewer)
        return found

    old, new = by_dossier(before), by_dossier(after)
    return [
        Move(
            ident,
            tuple(sorted(old.get(ident, set()) - new.get(ident, set()))),
            tuple(sorted(new.get(ident, set()) - old.get(ident, set()))),
        )
        for ident in sorted(old.keys() | new.keys())
        if old.get(ident, set()) != new.get(ident, set())
    ]
