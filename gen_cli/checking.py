"""gen score --check: whether each committed decision record still matches its inputs.

The check itself is ``rounds.check_records``; this module decides which rounds can be
checked (not those with errors, nor sealed ones without the identity) and words the
report, so that the command only prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gen_cli.rounds import Checked, Staleness, check_records, sealed_changes
from gen_cli.sealing import IDENTITY_VARIABLE


@dataclass
class CheckReport:
    """What gen score --check says: lines for stdout, notes for stderr, and the verdict."""

    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: bool = False


def check_committed(checked: Checked) -> CheckReport:
    """Check each round with a record; one with errors is named, not checked."""
    report = CheckReport()
    unreadable = {d.round for d in checked.report.diagnostics if d.code in {"E403", "E404", "E406"}}
    recorded = [
        r.id for r in checked.call.rounds if checked.records.get(r.id) or r.id in unreadable
    ]
    errors = {r: len(checked.blocking(r)) for r in recorded}
    blocked = {r: n for r, n in errors.items() if n}
    for round_id, count in blocked.items():
        report.notes.append(
            f"round {round_id}: not checked: gen validate finds {count} error(s) that concern it"
        )
    sealed = {
        r: len(checked.folder.sealed_in(r))
        for r in recorded
        if r not in blocked and checked.folder.sealed_in(r)
    }
    changed_sealed = _sealed_rounds(checked, sealed, report)
    stale = check_records(checked, skip=set(blocked) | set(sealed))
    shown_root = Path(checked.folder.call_source.display).parent
    for item in stale:
        report.lines += _stale_lines(item, shown_root / item.path.relative_to(checked.folder.root))
    if stale:
        again = "--all" if len(stale) > 1 else f"--round {stale[0].round_id}"
        report.lines.append(
            f"{len(stale)} stale record(s); run gen score {again} and commit the result"
        )
    elif blocked or sealed:
        report.lines.append("every other decision record matches its inputs")
    report.failed = bool(stale or blocked or changed_sealed)
    if not report.failed and not sealed:
        report.lines.append("every decision record matches its inputs")
    return report


def _sealed_rounds(checked: Checked, sealed: dict[str, int], report: CheckReport) -> set[str]:
    """Rounds whose sealed reviews gen cannot open: stale by their inputs, or not checked."""
    changed = set()
    for round_id, count in sealed.items():
        changes = sealed_changes(checked, round_id)
        if changes:
            changed.add(round_id)
            report.lines.append(
                f"round {round_id}: stale record: its inputs changed since it was scored "
                f"({', '.join(changes)}); the secretariat scores it again with its identity"
            )
            continue
        report.notes.append(
            f"round {round_id}: not checked: it holds {count} sealed review(s), which the "
            f"secretariat opens with its identity (--identity FILE or {IDENTITY_VARIABLE}); "
            "its inputs are those it was scored from"
        )
    return changed


def _stale_lines(item: Staleness, shown: Path) -> list[str]:
    """What a stale record is: which decisions differ, or why it is stale all the same."""
    if item.changed:
        detail = f"decisions differ for {', '.join(item.changed)}"
    elif item.inputs_changed:
        detail = "no decision differs, but its inputs do"
    elif item.budget_before:
        detail = "no decision differs, but the call's budget left before it does"
    else:
        detail = "it differs from what its inputs give (edited by hand, or by another gen)"
    lines = [f"{shown}: stale record for round {item.round_id}: {detail}"]
    if item.budget_before:
        was, now = item.budget_before
        cause = (
            f"the result of round {', '.join(item.earlier)} changed"
            if item.earlier
            else "an earlier round's result changed"
        )
        lines.append(f"  call budget left before it: recorded {was}, now {now}: {cause}")
    if item.inputs_changed:
        lines.append(f"  inputs changed: {', '.join(item.inputs_changed)}")
    return lines
