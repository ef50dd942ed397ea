"""Running rounds from a call folder: validate, evaluate, select, and compare records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from gen_cli.diagnostics import Problem
from gen_cli.errors import EXIT_PROBLEMS, GenError
from gen_cli.loading import CallFolder, Source, load_call_folder
from gen_cli.models import Call, Round
from gen_cli.records import (
    RoundResult,
    build_record,
    changed_decisions,
    granted_in,
    read_record,
    record_path,
    record_text,
    render_record,
    rules_digest,
    sha256_file,
)
from gen_cli.rules import Report, report, validate_folder
from gen_cli.scoring import evaluate_round
from gen_cli.selection import round_closed, select


@dataclass(frozen=True)
class ScoredRound:
    """A computed round: the result, the record as data and as text, and where it goes."""

    result: RoundResult
    record: dict[str, Any]
    text: str
    path: Path


class InvalidCall(GenError):
    """The call folder has validation errors, so no round can be scored."""

    def __init__(self, report: Report, message: str | None = None) -> None:
        errors = sum(1 for d in report.diagnostics if d.severity == "error")
        super().__init__(
            message or f"refusing to score: gen validate finds {errors} error(s); fix them first",
            EXIT_PROBLEMS,
        )
        self.report = report


def load_valid(root: Path, shown_root: str | None = None) -> CallFolder:
    """Load a call folder and make sure it validates.

    Raises:
        InvalidCall: validation finds errors (carries the report).
    """
    folder = load_call_folder(root, shown_root)
    report = validate_folder(folder)
    if not report.ok or folder.call is None:
        raise InvalidCall(report)
    return folder


def _relative(folder: CallFolder, source: Source) -> str:
    return source.path.relative_to(folder.root).as_posix()


def _round(call: Call, round_id: str) -> Round:
    round_ = call.round(round_id)
    if round_ is None:
        known = ", ".join(r.id for r in call.rounds)
        raise GenError(f"no round {round_id!r} in call.yaml (rounds: {known})")
    return round_


def available_before(folder: CallFolder, round_id: str, granted: dict[str, Decimal]) -> Decimal:
    """The call's budget left before a round: its budget less earlier rounds' grants.

    Args:
        granted: grants already computed in this run, by round (else read from records).
    """
    assert folder.call is not None
    left = folder.call.budget
    for earlier in folder.call.rounds:
        if earlier.id == round_id:
            break
        if earlier.id in granted:
            left -= granted[earlier.id]
        else:
            path = record_path(folder.root, earlier.id)
            if record_text(path) is None:
                continue
            record = read_record(path)
            spent = granted_in(record) if record is not None else None
            if spent is None:
                raise GenError(
                    f"{path}: cannot read what round {earlier.id} granted; "
                    f"run gen score --round {earlier.id} to rewrite its record",
                    EXIT_PROBLEMS,
                )
            left -= spent
    return left


def score_round(
    folder: CallFolder,
    round_id: str,
    *,
    today: date,
    force: bool = False,
    granted_before: dict[str, Decimal] | None = None,
) -> ScoredRound:
    """Compute one round of a validated call folder.

    Raises:
        GenError: unknown round, or a round still open (without ``force``).
    """
    call = folder.call
    assert call is not None
    round_ = _round(call, round_id)
    if not force and not round_closed(round_, today):
        raise GenError(
            f"round {round_id} is still open (it closes on {round_.closes}); "
            "score it after that date, or give --force"
        )
    dossiers = [(s, d) for s, d in folder.dossiers if d.round == round_id]
    reviews = [(s, r) for s, r in folder.reviews if r.round == round_id]
    evaluated, excluded, uncalibrated = evaluate_round(
        call, round_, [d for _, d in dossiers], [r for _, r in reviews]
    )
    available = available_before(folder, round_id, granted_before or {})
    outcome = select(call, round_, evaluated, available)
    inputs = {_relative(folder, folder.call_source): sha256_file(folder.call_source.path)}
    for source, _ in [*dossiers, *reviews]:
        inputs[_relative(folder, source)] = sha256_file(source.path)
    result = RoundResult(
        round=round_,
        outcome=outcome,
        excluded=excluded,
        uncalibrated=uncalibrated,
        available=available,
        inputs=inputs,
        rules=rules_digest(call, round_),
    )
    record = build_record(result)
    return ScoredRound(result, record, render_record(record), record_path(folder.root, round_id))


def closed_rounds(call: Call, today: date) -> list[str]:
    """The rounds whose submission window has ended, in call order."""
    return [r.id for r in call.rounds if round_closed(r, today)]


def score_rounds(
    folder: CallFolder, round_ids: list[str], *, today: date, force: bool = False
) -> list[ScoredRound]:
    """Compute several rounds in call order, each seeing what the earlier ones granted."""
    assert folder.call is not None
    order = [r.id for r in folder.call.rounds]
    for round_id in round_ids:
        _round(folder.call, round_id)
    granted: dict[str, Decimal] = {}
    scored = []
    for round_id in sorted(set(round_ids), key=order.index):
        result = score_round(folder, round_id, today=today, force=force, granted_before=granted)
        granted[round_id] = result.result.outcome.granted
        scored.append(result)
    return scored


@dataclass(frozen=True)
class Staleness:
    """How a committed record differs from what its inputs give now."""

    round_id: str
    path: Path
    changed: list[str]  # dossiers whose decision differs
    inputs_changed: list[str]  # input files added, removed or modified


def check_records(folder: CallFolder) -> list[Staleness]:
    """Recompute every round that has a record; list those that no longer match."""
    assert folder.call is not None
    with_record = [
        r.id for r in folder.call.rounds if record_text(record_path(folder.root, r.id)) is not None
    ]
    stale = []
    for scored in score_rounds(folder, with_record, today=date.max, force=True):
        if record_text(scored.path) == scored.text:
            continue
        committed = read_record(scored.path) or {}
        found = committed.get("inputs")
        old_inputs: dict[str, Any] = found if isinstance(found, dict) else {}
        new_inputs = scored.record["inputs"]
        inputs_changed = sorted(
            k for k in set(old_inputs) | set(new_inputs) if old_inputs.get(k) != new_inputs.get(k)
        )
        stale.append(
            Staleness(
                scored.result.round.id,
                scored.path,
                changed_decisions(committed, scored.record),
                inputs_changed,
            )
        )
    return stale


def check_publishable(folder: CallFolder, records: dict[str, dict[str, Any]]) -> None:
    """Make sure every round with laureates says when its grants were decided.

    Raises:
        InvalidCall: a round has laureates but no decision_date (E310), located in call.yaml.
    """
    assert folder.call is not None
    problems = []
    for index, round_ in enumerate(folder.call.rounds):
        record = records.get(round_.id)
        if record is None or round_.decision_date is not None:
            continue
        if any(d.get("status") == "laureat" for d in record.get("decisions", [])):
            problems.append(
                Problem(
                    folder.call_source.display,
                    "E310",
                    f"round {round_.id} has laureates but no decision_date: the SCDL grants "
                    "file needs the date of the grant decision",
                    loc=("rounds", index, "id"),
                )
            )
    if problems:
        raise InvalidCall(report(folder, problems), "refusing to publish: fix call.yaml first")


@dataclass(frozen=True)
class RecordsForPublication:
    """The records a publication is made from, and those to write once it succeeds."""

    records: dict[str, dict[str, Any]]
    to_write: list[tuple[Path, str]]


def records_for_publication(
    folder: CallFolder, round_ids: list[str], *, today: date, rescore: bool, force: bool = False
) -> RecordsForPublication:
    """The current decision records of the rounds to publish.

    With no ``round_ids``, every round whose window has ended. A round without a record is
    scored, and so is a stale one with ``rescore`` (else refused); nothing is written here:
    the caller writes ``to_write`` once the publication itself has succeeded.

    Raises:
        GenError: a record no longer matches its inputs (exit status 1).
    """
    assert folder.call is not None
    wanted = round_ids or closed_rounds(folder.call, today)
    scored = score_rounds(folder, wanted, today=today, force=force)
    stale = []
    for one in scored:
        committed_text = record_text(one.path)
        if committed_text is not None and committed_text != one.text:
            committed = read_record(one.path) or {}
            changed = changed_decisions(committed, one.record)
            stale.append(f"{one.result.round.id} ({', '.join(changed) or 'inputs changed'})")
    if stale and not rescore:
        raise GenError(
            "decision records are stale for round(s) "
            + "; ".join(stale)
            + ": run gen score, or publish with --rescore",
            EXIT_PROBLEMS,
        )
    to_write = [(one.path, one.text) for one in scored if record_text(one.path) != one.text]
    return RecordsForPublication({one.result.round.id: one.record for one in scored}, to_write)
