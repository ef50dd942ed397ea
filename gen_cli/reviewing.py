"""The review process of a round: who reviews what (gen assign), and the checks on it.

A round's ``assignments.yaml`` lists, for each reviewer, the dossiers they are to grade.
``gen assign`` writes it (see ``assignment`` for how it is computed); the secretariat
reviews and merges it like any file. Validation checks it against the call and the
round (E601, E602), warns about dossiers short of reviewers (W016), and about reviews
that grade a dossier their reviewer was not given (W015). It is not an input of the
decision: changing it changes no decision record.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gen_cli.assignment import Assignment, Move, moves, pairing, solve
from gen_cli.blockyaml import dump
from gen_cli.diagnostics import Problem, listed
from gen_cli.errors import EXIT_PROBLEMS, GenError
from gen_cli.history import is_final
from gen_cli.layout import ASSIGNMENTS_FILE, REVIEWS_DIR
from gen_cli.loading import PRIVATE_SUFFIX, CallFolder, Source, load_model
from gen_cli.models import Assignments, Call, Dossier, DossierParts, Review
from gen_cli.names import person_digests, screened_conflict
from gen_cli.packed import Packed
from gen_cli.sealing import (
    IDENTITY_VARIABLE,
    MAX_SEALED_BYTES,
    SEALED_SUFFIX,
    Unopenable,
    seal,
    unseal,
)
from gen_cli.suggest import did_you_mean, hint
from gen_cli.swap import replace_file
from gen_cli.yamlload import read_bytes

if TYPE_CHECKING:
    from gen_cli.rounds import Checked

HEADER = (
    "# Who reviews what in round {round}: written by `gen assign {round}`.\n"
    "# Review it like any file. After a change (a reviewer withdraws, dossiers come in),\n"
    "# run gen assign again: it keeps these pairs where it can and says what moved.\n"
)


@dataclass(frozen=True)
class Assigned:
    """What gen assign computed for a round, and what it changed."""

    path: Path
    text: str
    assignment: Assignment
    moves: list[Move]
    had_file: bool
    per_dossier: int


def assign_round(checked: Checked, round_id: str) -> Assigned:
    """Compute the round's assignment, keeping the pairs of its assignments.yaml and reviews.

    Raises:
        GenError: the round is closed, has no dossier, or cannot be assigned (the message
            names the constraint that fails).
    """
    from gen_cli.assignment import Unassignable
    from gen_cli.rounds import require, round_of

    round_of(checked.call, round_id)
    if is_final(checked.records.get(round_id)):
        raise GenError(f"round {round_id} is closed: its reviews are in, nothing to assign")
    require(checked, [round_id], "assign it", ignore=["E601", "E602", "W015", "W016"])
    folder = checked.folder
    sealed = folder.sealed_in(round_id)
    if sealed:
        raise GenError(
            f"round {round_id} holds {len(sealed)} sealed review(s), whose grades and "
            "conflicts gen assign must see: give the secretariat's identity with --identity "
            f"FILE (or {IDENTITY_VARIABLE})"
        )
    dossiers = [d for _, d in folder.dossiers if d.round == round_id]
    if not dossiers:
        raise GenError(f"round {round_id} has no dossier yet: nothing to assign")
    reviews = [r for _, r in folder.reviews if r.round == round_id]
    previous = folder.assignments.get(round_id)
    task = pairing(checked.call, round_id, dossiers, reviews, previous[1] if previous else None)
    try:
        assignment = solve(task)
    except Unassignable as error:
        raise GenError(f"cannot assign round {round_id}: {error}") from None
    before = previous[1].reviewers if previous else {}
    return Assigned(
        path=folder.root / round_id / ASSIGNMENTS_FILE,
        text=render_assignments(round_id, task.per_dossier, assignment.by_reviewer),
        assignment=assignment,
        moves=moves(before, assignment.by_reviewer) if previous else [],
        had_file=previous is not None,
        per_dossier=task.per_dossier,
    )


def write_assignments(assigned: Assigned) -> None:
    """Write the round's assignments.yaml in one step.

    Raises:
        GenError: its place holds a link or a folder, or it cannot be written.
    """
    path = assigned.path
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise GenError(f"{path} is not a regular file: remove it so gen can write the assignment")
    replace_file(path, assigned.text)


def summary(assigned: Assigned, round_id: str) -> list[str]:
    """What gen assign says about an assignment: counts, loads, expertise, and what moved."""
    done = assigned.assignment
    loads = list(done.loads.values())
    working = [n for n in loads if n]
    lines = [
        f"round {round_id}: {done.pairs // assigned.per_dossier} dossier(s), "
        f"{done.pairs} review(s) given to {len(working)} of {len(loads)} available "
        f"reviewer(s), {min(working, default=0)} to {max(working, default=0)} each; "
        f"{done.experts} of {done.pairs} by a reviewer of the dossier's theme"
    ]
    if not assigned.had_file:
        return lines
    if not assigned.moves:
        lines.append("every pair of the previous assignment is kept")
    for move in assigned.moves:
        removed = listed(move.removed) or "nobody"
        added = listed(move.added) or "nobody"
        lines.append(f"  {move.dossier}: {removed} -> {added}")
    if assigned.moves:
        lines.append(f"{len(assigned.moves)} dossier(s) changed reviewers")
    return lines


def render_assignments(
    round_id: str, per_dossier: int, by_reviewer: Mapping[str, Sequence[str]]
) -> str:
    """The text of a round's assignments.yaml: a header comment and sorted YAML."""
    data = {
        "round": round_id,
        "reviews_per_dossier": per_dossier,
        "reviewers": {r: sorted(ids) for r, ids in sorted(by_reviewer.items())},
    }
    return HEADER.format(round=round_id) + dump(data)


def seal_review(call: Call, path: Path) -> Path:
    """Seal a plaintext review to the secretariat and its reviewer; remove the plaintext.

    Returns:
        The sealed file, ``<reviewer>.yaml.age`` beside the plaintext.

    Raises:
        GenError: the call seals nothing, the file is not a valid review of a declared
            reviewer, or it cannot be written or removed.
    """
    if call.sealing is None:
        raise GenError(
            "call.yaml names no key to seal reviews to: add sealing: {recipients: [age1…]} "
            "with the secretariat's public keys"
        )
    if path.suffix != ".yaml" or path.is_symlink() or not path.is_file():
        raise GenError(f"{path} is not a review file (<round>/reviews/<reviewer>.yaml)")
    round_id = path.resolve().parent.parent.name
    if path.resolve().parent.name != REVIEWS_DIR or call.round(round_id) is None:
        raise GenError(
            f"{path} is not in a round's reviews/ folder (<round>/reviews/<reviewer>.yaml)"
        )
    if not call.sealing.seals(round_id):
        raise GenError(
            f"call.yaml does not seal round {round_id}'s reviews (sealing.rounds): commit "
            "this review as it is"
        )
    review, problems = load_model(Source(path, str(path)), Review)
    if review is None:
        first = problems[0].message if problems else "it cannot be read"
        raise GenError(f"{path} is not a valid review ({first}): run gen validate {path}")
    reviewer = next((r for r in call.reviewers if r.id == review.reviewer), None)
    if reviewer is None:
        raise GenError(f"reviewer {review.reviewer!r} is not declared in call.yaml")
    recipients = list(call.sealing.recipients)
    if reviewer.age_recipient:
        recipients.append(reviewer.age_recipient)
    target = path.with_name(path.name + SEALED_SUFFIX)
    if target.exists() or target.is_symlink():
        raise GenError(
            f"{target} exists already: gen never replaces a sealed review; to replace it, "
            f"remove it first (git rm {target}), then seal again"
        )
    replace_file(target, seal(path.read_bytes(), recipients))
    try:
        path.unlink()
    except OSError as error:
        raise GenError(f"sealed {target}, but cannot remove {path}: {error.strerror}") from None
    return target


def seal_private(call: Call, path: Path) -> Path:
    """Move a dossier's private fields into a sealed ``<id>.private.yaml.age`` beside it.

    The fields (``sealing.private``, the contact by default) are cut from the dossier's
    file, lines and all, and sealed to the secretariat's keys; the rest stays public.

    Returns:
        The sealed private part.

    Raises:
        GenError: the call seals nothing, the file is not a dossier of a declared round,
            holds no private field, or a private part exists already.
    """
    if call.sealing is None:
        raise GenError(
            "call.yaml names no key to seal to: add sealing: {recipients: [age1…]} with the "
            "secretariat's public keys"
        )
    if path.suffix != ".yaml" or path.is_symlink() or not path.is_file():
        raise GenError(f"{path} is not a dossier file (<round>/<id>.yaml)")
    if call.round(path.resolve().parent.name) is None:
        raise GenError(f"{path} is not in a round's folder (<round>/<id>.yaml)")
    target = path.with_name(path.stem + PRIVATE_SUFFIX)
    if target.exists() or target.is_symlink():
        raise GenError(
            f"{target} exists already: gen never replaces a sealed private part; remove it "
            f"first (git rm {target}), then seal again"
        )
    text = path.read_text(encoding="utf-8")
    public, private = split_fields(text, set(call.sealing.private))
    if not private.strip():
        raise GenError(
            f"{path} holds none of the fields this call seals ({', '.join(call.sealing.private)})"
        )
    replace_file(target, seal(private.encode("utf-8"), call.sealing.recipients))
    replace_file(path, public)
    return target


def split_fields(text: str, names: set[str]) -> tuple[str, str]:
    """A YAML mapping's text cut in two: without the top-level ``names``, and with only them.

    Each field keeps its lines as written (comments inside it included).

    Raises:
        GenError: the text is not a YAML mapping.
    """
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        raise GenError("the file is not valid YAML: run gen validate on it first") from None
    if not isinstance(node, yaml.MappingNode):
        raise GenError("the file is not a mapping of fields: run gen validate on it first")
    lines = text.splitlines(keepends=True)
    starts = [key.start_mark.line for key, _ in node.value]
    ends = [*starts[1:], len(lines)]
    cut: set[int] = set()
    for (key, _), start, end in zip(node.value, starts, ends, strict=True):
        if key.value in names:
            cut.update(range(start, end))
    public = "".join(line for n, line in enumerate(lines) if n not in cut)
    private = "".join(line for n, line in enumerate(lines) if n in cut)
    return public, private


def open_sealed(path: Path, identities: Sequence[Any]) -> bytes:
    """A sealed file's plaintext, in memory.

    Raises:
        GenError: no identity (exit 2), the file cannot be read (exit 2), or the identities
            do not open it or it was altered (exit 1).
    """
    if not identities:
        raise GenError(f"give the identity that opens it: --identity FILE (or {IDENTITY_VARIABLE})")
    raw, problems = read_bytes(path, str(path), MAX_SEALED_BYTES)
    if raw is None:
        raise GenError(f"{path}: {problems[0].message}")
    try:
        return unseal(raw, identities)
    except Unopenable as error:
        raise GenError(f"cannot open {path}: {error}", EXIT_PROBLEMS) from None


def assignment_problems(folder: CallFolder) -> list[Problem]:
    """What is wrong with the rounds' assignments, and the reviews that stray from them."""
    call = folder.call
    if call is None:
        return []
    problems: list[Problem] = []
    for round_id, (source, assigned) in sorted(folder.assignments.items()):
        problems += _file_problems(folder, call, round_id, source.display, assigned)
    return problems


def _file_problems(
    folder: CallFolder, call: Call, round_id: str, display: str, assigned: Assignments
) -> list[Problem]:
    problems: list[Problem] = []

    def problem(code: str, message: str, *loc: str | int, at_key: bool = False) -> None:
        problems.append(Problem(display, code, message, loc=loc, at_key=at_key, round=round_id))

    if call.round(round_id) is None:
        return problems  # a folder that is no declared round is reported as such
    if assigned.round != round_id:
        problem(
            "E601",
            f"round: {assigned.round!r}, but this file is in the folder of round {round_id}; "
            f"write round: {round_id}",
            "round",
        )
    reviewers = {r.id: r for r in call.reviewers}
    # Every dossier file of the round counts, valid or not: its own errors say what to fix.
    # Its facts say whose organisations may meet a reviewer's: only those are unpacked.
    dossiers = {
        facts.id: (facts, packed)
        for _, facts, packed in folder.dossier_entries
        if facts.round == round_id and facts.id
    }
    reviews = {
        facts.reviewer: packed.get()
        for _, facts, packed in folder.review_entries
        if facts.round == round_id
    }
    avoided = {(a.reviewer, a.dossier) for a in (call.assignment.avoid if call.assignment else [])}
    affiliated: dict[str, frozenset[bytes]] = {}  # each reviewer's, when first needed
    count: dict[str, int] = dict.fromkeys(dossiers, 0)
    for reviewer_id, ids in assigned.reviewers.items():
        reviewer = reviewers.get(reviewer_id)
        if reviewer is None:
            problem(
                "E601",
                f"reviewer {reviewer_id!r} is not declared in call.yaml"
                f"{hint(reviewer_id, sorted(reviewers), 'call.yaml')}",
                "reviewers",
                reviewer_id,
            )
            continue
        seen: set[str] = set()
        for index, ident in enumerate(ids):
            where = ("reviewers", reviewer_id, index)
            dossier = dossiers.get(ident)
            if dossier is None:
                problem(
                    "E601",
                    f"dossier {ident!r} is not a dossier of round {round_id}"
                    f"{did_you_mean(ident, dossiers)}",
                    *where,
                )
                continue
            if ident in seen:
                problem("E601", f"dossier {ident!r} is listed twice for {reviewer_id}", *where)
                continue
            seen.add(ident)
            count[ident] += 1
            facts, packed = dossier
            if reviewer_id not in affiliated:
                affiliated[reviewer_id] = person_digests(reviewer)
            parts = functools.partial(_parts, packed)
            detected = screened_conflict(
                reviewer, affiliated[reviewer_id], facts.organisations, parts
            )
            review = reviews.get(reviewer_id)
            evaluation = review.evaluations.get(ident) if review else None
            why = (
                f"they are affiliated with {detected}"
                if detected
                else f"they declared a conflict ({evaluation.conflict})"
                if evaluation is not None and evaluation.conflict
                else "call.yaml says to avoid this pair"
                if (reviewer_id, ident) in avoided
                else None
            )
            if why is not None:
                problem(
                    "E602",
                    f"{reviewer_id} cannot review {ident}: {why}; run gen assign {round_id} "
                    "to give the dossier to another reviewer",
                    *where,
                )
    needed = assigned.reviews_per_dossier
    for ident, found in sorted(count.items()):
        if found < needed:
            problem(
                "W016",
                f"dossier {ident} has {found} reviewer(s) assigned, {needed} required: run "
                f"gen assign {round_id}",
                "reviewers",
                at_key=True,
            )
    problems += _stray_reviews(folder, round_id, assigned)
    return problems


def _parts(packed: Packed[tuple[Dossier | None, DossierParts]]) -> DossierParts:
    """A dossier entry's known parts, unpacked now."""
    return packed.get()[1]


def _stray_reviews(folder: CallFolder, round_id: str, assigned: Assignments) -> list[Problem]:
    """Reviews that grade a dossier their reviewer was not assigned (W015)."""
    problems = []
    for source, facts, packed in folder.review_entries:
        if facts.round != round_id or source.path.parent.parent.name != round_id:
            continue
        review = packed.get()
        mine = set(assigned.reviewers.get(review.reviewer, ()))
        for ident, evaluation in review.evaluations.items():
            graded = any(g is not None for g in evaluation.grades.values())
            if graded and ident not in mine:
                problems.append(
                    Problem(
                        source.display,
                        "W015",
                        f"{ident} is not assigned to {review.reviewer} in {round_id}/"
                        f"{ASSIGNMENTS_FILE}: grade only your assigned dossiers, or ask the "
                        "secretariat to assign it to you",
                        loc=("evaluations", ident),
                        at_key=True,
                        round=round_id,
                    )
                )
    return problems


def assigned_to(folder: CallFolder, round_id: str, reviewer_id: str) -> list[str] | None:
    """The dossiers assigned to a reviewer in a round; None when the round has no assignment."""
    found = folder.assignments.get(round_id)
    if found is None:
        return None
    return sorted(found[1].reviewers.get(reviewer_id, []))
