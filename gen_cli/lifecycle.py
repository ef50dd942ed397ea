"""The lifecycle of a round: open, in review, scored, closed; closing, amending, freezing.

A round's state is explicit, never inferred from today's date: call.yaml says whether it
still takes dossiers (``submissions: open`` or ``closed``), and the round's decision record
says whether it was scored and whether ``gen close`` made it final. A closed round is
frozen: its input files, the rules of call.yaml that decided it and its record may change
only through an amendment (``gen amend``), which the record keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from gen_cli.diagnostics import Problem
from gen_cli.history import is_final
from gen_cli.records import LIFECYCLE_KEYS, changed_decisions, seal_of


class State(StrEnum):
    """Where a round stands."""

    open = "open"  # takes dossiers
    review = "review"  # submissions closed, reviews coming in, not scored
    scored = "scored"  # a decision record exists, not final
    closed = "closed"  # the record is final (gen close)


def state_of(submissions: str, record: Mapping[str, Any] | None) -> State:
    """A round's state from call.yaml's ``submissions`` and its decision record."""
    if is_final(record):
        return State.closed
    if record is not None:
        return State.scored
    return State.open if submissions == "open" else State.review


def close_record(record: Mapping[str, Any], *, by: str, on: date, version: str) -> dict[str, Any]:
    """The record made final: who closed it, when, with which gen, and its seal."""
    closed = {**record, "closed": {"by": by, "on": on.isoformat(), "gen": version}}
    closed["seal"] = seal_of(closed)
    return closed


def accepted_late(record: Mapping[str, Any] | None) -> set[str]:
    """The dossiers that amendments of a closed round accepted although late."""
    accepted: set[str] = set()
    for amendment in amendments_of(record):
        ids = amendment.get("accepted_late")
        if isinstance(ids, list):
            accepted.update(str(i) for i in ids)
    return accepted


def amendments_of(record: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """A record's amendments, oldest first."""
    found = record.get("amendments") if record is not None else None
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def _inputs(record: Mapping[str, Any]) -> dict[str, str]:
    found = record.get("inputs")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _available(record: Mapping[str, Any]) -> str | None:
    envelope = record.get("envelope")
    value = envelope.get("available") if isinstance(envelope, dict) else None
    return None if value is None else str(value)


def changed_inputs(
    record: Mapping[str, Any], inputs: Mapping[str, str]
) -> dict[str, dict[str, str | None]]:
    """The input files added, removed or modified since the record: path -> before/after."""
    before = _inputs(record)
    return {
        path: {"before": before.get(path), "after": inputs.get(path)}
        for path in sorted(before.keys() | inputs.keys())
        if before.get(path) != inputs.get(path)
    }


def amend_record(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    by: str,
    on: date,
    reason: str,
    version: str,
    late: list[str],
) -> dict[str, Any]:
    """The closed record ``old`` replaced by the recomputed ``new``, with the amendment kept.

    The amendment says who, when, why, which files changed (their digests before and
    after), whether the rules or what the round could spend changed, which decisions
    moved, and which late dossiers it accepts.
    """
    amendment: dict[str, Any] = {
        "on": on.isoformat(),
        "by": by,
        "reason": reason,
        "gen": version,
        "files": changed_inputs(old, _inputs(new)),
        "decisions": changed_decisions(old, new),
    }
    if old.get("rules") != new.get("rules"):
        amendment["rules"] = {"before": old.get("rules"), "after": new.get("rules")}
    if old.get("format") != new.get("format"):
        amendment["format"] = {"before": old.get("format"), "after": new.get("format")}
    if _available(old) != _available(new):
        amendment["available"] = {"before": _available(old), "after": _available(new)}
    if late:
        amendment["accepted_late"] = sorted(late)
    record = {
        **new,
        "closed": old["closed"],
        "amendments": [*amendments_of(old), amendment],
    }
    record["seal"] = seal_of(record)
    return record


def frozen_problems(
    record: Mapping[str, Any],
    *,
    round_id: str,
    round_index: int,
    record_display: str,
    call_display: str,
    shown: Mapping[str, str],
    inputs: Mapping[str, str],
    rules: str,
    available: Decimal,
    decided: Mapping[str, str] | None = None,
) -> list[Problem]:
    """What changed in a closed round since it was closed (or last amended).

    Args:
        shown: how diagnostics name each input file (relative path -> display path).
        inputs: the digests of the round's input files now.
        rules: the digest of the rules that decide the round now.
        available: what the round could spend now.
        decided: the decision's date and reference as call.yaml says them now.
    """
    problems: list[Problem] = []
    # A round closed before call.yaml gave its decision date may get one later (publishing
    # needs it); once the record says when it was decided, call.yaml must say the same.
    if isinstance(record.get("decided"), dict) and record["decided"] != (decided or {}):
        problems.append(
            Problem(
                call_display,
                "E402",
                f"round {round_id} is closed and its record says it was decided with "
                f"{_describe(record.get('decided', {}))}, but call.yaml says "
                f"{_describe(decided or {})} (decision_date, decision_reference): restore "
                "call.yaml, or the record, from git",
                loc=("rounds", round_index),
                round=round_id,
            )
        )
    fix = f"undo the change, or record why with gen amend {round_id} --reason '…'"
    if record.get("seal") != seal_of(record):
        problems.append(
            Problem(
                record_display,
                "E403",
                f"round {round_id} is closed and its decision record was edited by hand "
                "(its seal no longer matches); restore it from git",
                round=round_id,
            )
        )
    for path, change in changed_inputs(record, inputs).items():
        if change["before"] is None:
            what = "was added"
        elif change["after"] is None:
            what = "was removed"
        else:
            what = "changed"
        where = shown.get(path, record_display) if change["after"] is not None else record_display
        subject = "this file" if where != record_display else path
        problems.append(
            Problem(
                where,
                "E401",
                f"round {round_id} is closed and {subject} {what} since; {fix}",
                round=round_id,
            )
        )
    if record.get("rules") != rules:
        problems.append(
            Problem(
                call_display,
                "E402",
                f"round {round_id} is closed and call.yaml changed a rule that decided it "
                f"(its envelope, eligibility, grids, scoring, selection or reviewers' "
                f"affiliations); {fix}",
                loc=("rounds", round_index),
                round=round_id,
            )
        )
    recorded = _available(record)
    try:
        same = recorded is not None and Decimal(recorded) == available
    except InvalidOperation:
        same = False
    if not same and record.get("rules") == rules:  # else the round's own rules changed
        problems.append(
            Problem(
                call_display,
                "E402",
                f"round {round_id} is closed and could spend {recorded} when it was decided; "
                f"with the call's budget and the earlier rounds' grants as they are now it "
                f"could spend {available:.2f}; {fix}",
                loc=("budget",),
                round=round_id,
            )
        )
    return problems


def _describe(decided: object) -> str:
    if not isinstance(decided, dict) or not decided:
        return "none"
    return ", ".join(f"{k} {v}" for k, v in sorted(decided.items()))


def _is_day(value: object) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def malformed(record: Mapping[str, Any]) -> str | None:
    """What is wrong with the shape of a closed record's closing and amendments, if anything."""
    closed = record.get("closed")
    if not isinstance(closed, dict) or not all(
        isinstance(closed.get(k), str) for k in ("by", "on", "gen")
    ):
        return "its closed: part is not what gen close writes"
    if not _is_day(closed["on"]):
        return "its closing date is not a date"
    decided = record.get("decided", {})
    if not isinstance(decided, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in decided.items()
    ):
        return "its decided: part is not what gen writes"
    found = record.get("amendments", [])
    if not isinstance(found, list):
        return "its amendments are not a list"
    for amendment in found:
        if not isinstance(amendment, dict) or not all(
            isinstance(amendment.get(k), str) for k in ("on", "by", "reason")
        ):
            return "an amendment is not what gen amend writes"
        if not _is_day(amendment["on"]):
            return "an amendment's date is not a date"
    return None


def decided_part(record: Mapping[str, Any], rule_ids: set[str]) -> dict[str, Any]:
    """What a record decides, to compare a closed record with its recomputation.

    Leaves out what may change without deciding anything: the call's budget around the
    round (E402 watches what the round could spend), the wording of eligibility rules
    in the reasons (a rule's message may be reworded; its id stays), the version of gen
    that wrote the record, and the decision's date and reference (E402 watches them).
    """
    decisions = record.get("decisions")
    kept: Any = decisions
    if isinstance(decisions, dict):
        kept = {
            ident: {
                **entry,
                "reasons": [_reason_key(r, rule_ids) for r in entry.get("reasons") or []],
            }
            if isinstance(entry, dict)
            else entry
            for ident, entry in decisions.items()
        }
    part = {
        k: v
        for k, v in record.items()
        if k not in {"call_budget", "decisions", "gen", "decided", *LIFECYCLE_KEYS}
    }
    part["decisions"] = kept
    return part


def _reason_key(reason: object, rule_ids: set[str]) -> object:
    text = str(reason)
    head = text.split(":", 1)[0]
    return f"{head}:" if head in rule_ids and ":" in text else reason
