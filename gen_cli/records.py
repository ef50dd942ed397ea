"""Decision records: a round's outcome as a deterministic YAML file, and its inputs' digests.

The record holds no timestamp and sorts everything, so the same inputs give the same
bytes and a pull request that changes a record shows exactly which decisions moved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from gen_cli.errors import GenError
from gen_cli.loading import RECORD_FILE, RECORD_HEADER, is_record_file
from gen_cli.models import Call, Round
from gen_cli.scoring import Evaluated, Exclusion
from gen_cli.selection import STATUSES, Outcome
from gen_cli.yamlload import dump, parse_yaml, read_text

FORMAT = 1
HEADER = (
    RECORD_HEADER + " --round {round}`. Do not edit by hand:\n"
    "# change the inputs and run gen score again; `gen score --check` verifies it.\n"
)


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, as ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def rules_digest(call: Call, round_: Round) -> str:
    """A digest of everything in call.yaml that decides a round's outcome."""
    rules = call.model_dump(
        mode="json",
        include={"eligibility", "grids", "scoring", "selection", "themes", "reviewers", "budget"},
    )
    rules["round"] = round_.model_dump(mode="json")
    canonical = json.dumps(rules, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _criteria(item: Evaluated) -> dict[str, Any]:
    return {
        c.id: {
            "weight": str(c.weight),
            **({"grades": [str(g) for g in c.grades]} if c.grades else {}),
            "value": _num(c.value),
            "points": str(c.points),
            **({"spread": str(c.spread)} if c.spread is not None else {}),
        }
        for c in item.criteria
    }


@dataclass(frozen=True)
class RoundResult:
    """Everything gen score computed for a round."""

    round: Round
    outcome: Outcome
    excluded: Sequence[Exclusion]
    uncalibrated: Sequence[str]
    available: Decimal  # the call's budget left before this round
    inputs: dict[str, str]  # relative path -> sha256
    rules: str


def build_record(result: RoundResult) -> dict[str, Any]:
    """The decision record as plain data (strings, lists and mappings only)."""
    outcome = result.outcome
    decisions = []
    counts = dict.fromkeys(STATUSES, 0)
    requested = Decimal(0)
    for decision in outcome.decisions:
        item = decision.evaluated
        counts[decision.status] += 1
        requested += item.dossier.budget.requested
        entry: dict[str, Any] = {
            "dossier": item.dossier.id,
            "status": decision.status,
            "rank": decision.rank,
            "mark": _num(item.mark),
            "theme": item.dossier.principal_theme,
            "requested": _money(item.dossier.budget.requested),
            "granted": _money(decision.granted),
            "reasons": list(decision.reasons),
            "reviews": item.reviews,
            "criteria": _criteria(item),
        }
        if item.disagreements:
            entry["disagreements"] = list(item.disagreements)
        decisions.append(entry)
    eligible = sum(1 for d in outcome.decisions if d.status not in {"ineligible"})
    return {
        "format": FORMAT,
        "round": result.round.id,
        "rules": result.rules,
        "inputs": dict(sorted(result.inputs.items())),
        "envelope": {
            "amount": _money(result.round.envelope.amount),
            "available": _money(outcome.envelope),
            "granted": _money(outcome.granted),
            "left": _money(outcome.envelope - outcome.granted),
            "lapsed": _money(outcome.lapsed),
        },
        "call_budget": {
            "before": _money(result.available),
            "after": _money(result.available - outcome.granted),
        },
        "totals": {
            "dossiers": len(outcome.decisions),
            "eligible": eligible,
            "statuses": counts,
            "requested": _money(requested),
            "granted": _money(outcome.granted),
        },
        "excluded_reviews": [
            {"dossier": e.dossier, "reviewer": e.reviewer, "conflict": e.reason}
            for e in result.excluded
        ],
        "uncalibrated_reviewers": list(result.uncalibrated),
        "decisions": decisions,
    }


def render_record(record: dict[str, Any]) -> str:
    """The record's text: a header comment and sorted YAML."""
    return HEADER.format(round=record["round"]) + dump(record)


def record_path(root: Path, round_id: str) -> Path:
    """Where a round's decision record lives."""
    return root / round_id / RECORD_FILE


def _check_writable(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise GenError(f"{path} is not a regular file: remove it so gen can write the record")


def check_record_target(path: Path) -> None:
    """Make sure a record may be written at ``path``.

    Raises:
        GenError: a folder, a link, or a file gen did not write is in the way.
    """
    _check_writable(path)
    if path.exists() and not is_record_file(path):
        raise GenError(f"{path} is not a decision record written by gen: move it away first")


def write_record(path: Path, text: str) -> None:
    """Write a record atomically: a temporary file renamed over the old one.

    Raises:
        GenError: the record's place holds a folder, a link or a file gen did not write,
            or cannot be written.
    """
    check_record_target(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise GenError(f"cannot write {path}: {error.strerror}") from None


def record_text(path: Path) -> str | None:
    """A committed record's text; None when there is none, "" when it cannot be read.

    Raises:
        GenError: the record's place holds a folder or a link.
    """
    if not path.exists() and not path.is_symlink():
        return None
    _check_writable(path)
    text, _ = read_text(path, str(path))
    return "" if text is None else text


def read_record(path: Path) -> dict[str, Any] | None:
    """A committed record as plain data, or None when absent or unreadable."""
    text = record_text(path)
    if not text:
        return None
    data, _ = parse_yaml(text, str(path))
    return data if isinstance(data, dict) else None


#: No grant total is ever this large; a record saying so has been tampered with.
_MAX_AMOUNT = Decimal("1e15")


def granted_in(record: dict[str, Any]) -> Decimal | None:
    """The total granted in a record, or None when the record does not say it clearly."""
    try:
        value = Decimal(str(record["envelope"]["granted"]))
    except (KeyError, TypeError, ArithmeticError):
        return None
    if not value.is_finite() or not 0 <= value < _MAX_AMOUNT:
        return None
    return value


def changed_decisions(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The dossiers whose status, rank, mark or grant differ between two records."""
    fields = ("status", "rank", "mark", "granted")

    def index(record: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        entries = record.get("decisions")
        if not isinstance(entries, list):
            return {}
        return {
            str(e.get("dossier")): tuple(str(e.get(f)) for f in fields)
            for e in entries
            if isinstance(e, dict)
        }

    before, after = index(old), index(new)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
