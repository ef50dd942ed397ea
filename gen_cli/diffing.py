"""What a change does to the call, for ``gen diff``: files, decisions, envelopes.

The call is read as it is at two git revisions (BASE from git objects into a temporary
folder, never by checking out over the user's work; HEAD from the work tree unless a
revision is given), checked and scored on both sides, and compared. Rounds that still
take dossiers, or that are in review and scored on neither side, are not computed: their
outcome means nothing yet, and reviewers should not watch it move as they grade.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from gen_cli.errors import EXIT_USAGE, GenError
from gen_cli.git import default_branch, export_folder, merge_base, repository_root, resolve
from gen_cli.history import History, submission_history
from gen_cli.layout import CALL_FILE, RECORD_FILE
from gen_cli.lifecycle import State
from gen_cli.records import decisions_of
from gen_cli.rounds import (
    NOT_BLOCKING,
    Checked,
    load_checked,
    score_rounds,
)

_OUTCOME = ("status", "rank", "mark", "granted")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: which revision, and the call checked there."""

    label: str  # "1a2b3c4d5e6f" or "working tree"
    checked: Checked


@dataclass(frozen=True)
class FileChange:
    """A dossier or review added, removed or changed, and what changed in it."""

    kind: str  # "dossier" or "review"
    path: str  # inside the call folder
    change: str  # "added", "removed" or "changed"
    fields: tuple[str, ...] = ()  # dossier: dotted fields; review: dossier ids


@dataclass(frozen=True)
class DecisionChange:
    """One dossier's outcome before and after (None: not in the round on that side)."""

    dossier: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class RoundChange:
    """A computed round on both sides."""

    round: str
    state_before: State
    state_after: State
    decisions: list[DecisionChange]
    envelope_before: dict[str, str] | None
    envelope_after: dict[str, str] | None
    budget_after_before: str | None  # the call's budget left after the round, on each side
    budget_after_after: str | None

    @property
    def changed(self) -> bool:
        """True when an outcome (even only a mark or a rank), the figures or the state differ."""
        return (
            bool(self.decisions)
            or self.envelope_before != self.envelope_after
            or self.state_before != self.state_after
        )

    @property
    def decisive(self) -> bool:
        """True when a status or a grant differs, or the round's figures, or its state."""
        return (
            self.envelope_before != self.envelope_after
            or self.state_before != self.state_after
            or any(
                (d.before or {}).get(k) != (d.after or {}).get(k)
                for d in self.decisions
                for k in ("status", "granted")
            )
        )


@dataclass
class Comparison:
    """Everything ``gen diff`` reports."""

    base: str
    head: str
    files: list[FileChange] = field(default_factory=list)
    call_sections: list[str] = field(default_factory=list)  # top-level keys of call.yaml
    rounds: list[RoundChange] = field(default_factory=list)
    not_computed: dict[str, str] = field(default_factory=dict)  # round -> why

    @property
    def decisive(self) -> bool:
        """True when a status, a grant or an envelope figure changes."""
        return any(r.decisive for r in self.rounds)


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): data}


def _changed_fields(before: Any, after: Any) -> tuple[str, ...]:
    old, new = _flatten(before), _flatten(after)
    return tuple(sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)))


def _files(base: Checked, head: Checked) -> list[FileChange]:
    changes: list[FileChange] = []
    for kind, attribute in (("dossier", "dossiers"), ("review", "reviews")):
        old = {base.folder.relative(s): m for s, m in getattr(base.folder, attribute)}
        new = {head.folder.relative(s): m for s, m in getattr(head.folder, attribute)}
        for path in sorted(old.keys() | new.keys()):
            if path not in old:
                changes.append(FileChange(kind, path, "added"))
            elif path not in new:
                changes.append(FileChange(kind, path, "removed"))
            else:
                a, b = old[path].model_dump(mode="json"), new[path].model_dump(mode="json")
                if a == b:
                    continue
                if kind == "review":
                    ev_a, ev_b = a["evaluations"], b["evaluations"]
                    fields = tuple(
                        sorted(k for k in ev_a.keys() | ev_b.keys() if ev_a.get(k) != ev_b.get(k))
                    )
                else:
                    fields = _changed_fields(a, b)
                changes.append(FileChange(kind, path, "changed", fields))
    return changes


def _contents(root: Path) -> dict[str, bytes]:
    """The templates and the decision records of a call folder, by path inside it."""
    found: dict[str, bytes] = {}
    templates = root / "templates"
    if templates.is_dir() and not templates.is_symlink():
        for path in sorted(templates.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    for path in sorted(root.glob(f"*/{RECORD_FILE}")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def _other_files(base: Checked, head: Checked) -> list[FileChange]:
    """Templates (code that renders the site: review them as such) and decision records."""
    old, new = _contents(base.folder.root), _contents(head.folder.root)
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path) == new.get(path):
            continue
        kind = "template" if path.startswith("templates/") else "record"
        change = "added" if path not in old else "removed" if path not in new else "changed"
        changes.append(FileChange(kind, path, change))
    return changes


def _call_sections(base: Checked, head: Checked) -> list[str]:
    a = base.call.model_dump(mode="json")
    b = head.call.model_dump(mode="json")
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _outcome(entry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if entry is None else {k: entry.get(k) for k in _OUTCOME}


def _rounds(comparison: Comparison, base: Checked, head: Checked) -> None:
    computed: list[str] = []
    for round_ in head.call.rounds:
        before = base.state(round_.id) if base.call.round(round_.id) else State.open
        after = head.state(round_.id)
        if State.open in {before, after}:
            comparison.not_computed[round_.id] = "it still takes dossiers"
        elif before is State.review and after is State.review:
            comparison.not_computed[round_.id] = (
                "it is in review: outcomes are computed once the secretariat scores it"
            )
        elif base.folder.sealed_in(round_.id) or head.folder.sealed_in(round_.id):
            comparison.not_computed[round_.id] = (
                "it holds sealed reviews: outcomes are computed with the secretariat's identity"
            )
        else:
            computed.append(round_.id)
    old = {s.result.round.id: s.record for s in score_rounds(base, computed)}
    new = {s.result.round.id: s.record for s in score_rounds(head, computed)}
    undecided = {State.open, State.review}
    for round_id in computed:
        # A round first scored by this change: every decision is new (and gone if unscored).
        a = {} if base.state(round_id) in undecided else decisions_of(old[round_id])
        b = {} if head.state(round_id) in undecided else decisions_of(new[round_id])
        decisions = [
            DecisionChange(ident, _outcome(a.get(ident)), _outcome(b.get(ident)))
            for ident in sorted(a.keys() | b.keys())
            if _outcome(a.get(ident)) != _outcome(b.get(ident))
        ]
        was, now = base.state(round_id) not in undecided, head.state(round_id) not in undecided
        comparison.rounds.append(
            RoundChange(
                round_id,
                base.state(round_id),
                head.state(round_id),
                decisions,
                old[round_id]["envelope"] if was else None,
                new[round_id]["envelope"] if now else None,
                old[round_id]["call_budget"]["after"] if was else None,
                new[round_id]["call_budget"]["after"] if now else None,
            )
        )


def _errors(checked: Checked) -> int:
    return sum(
        1
        for d in checked.report.diagnostics
        if d.severity == "error" and d.code not in NOT_BLOCKING
    )


def compare_revisions(
    root: Path,
    base: str | None,
    head: str | None,
    *,
    use_git: bool | None = None,
    identities: Sequence[Any] = (),
) -> Comparison:
    """Compare the call folder ``root`` at two revisions.

    Args:
        base: a revision; by default the merge base of HEAD with the default branch
            (else HEAD).
        head: a revision; by default the work tree.

    Raises:
        GenError: not a git repository, an unknown revision, a side without call.yaml, or
            a side that does not validate (exit status 2).
        GitError: git failed (the caller reports it with exit status 2).
    """
    if repository_root(root) is None:
        raise GenError(
            f"{root} is not inside a git repository: gen diff compares two git revisions",
            EXIT_USAGE,
        )
    if base is None:
        branch = default_branch(root)
        found = merge_base(root, branch, "HEAD") if branch else None
        base = found or "HEAD"
    base_sha = resolve(root, base)
    head_sha = resolve(root, head) if head is not None else None
    arrivals = submission_history(root, use_git)
    with tempfile.TemporaryDirectory(prefix="gen-diff-") as scratch:
        # The base is a past state: what the branch holds now (records since scored or
        # closed) says nothing about it, only when its files arrived.
        past = None if arrivals is None else replace(arrivals, records={})
        base_side = _side(root, base_sha, Path(scratch) / "base", past, "BASE", identities)
        if head_sha is None:
            checked = _checked(root, str(root), arrivals, "HEAD side", identities)
            head_side = Side("working tree", checked)
        else:
            head_side = _side(root, head_sha, Path(scratch) / "head", arrivals, "HEAD", identities)
        comparison = Comparison(base_side.label, head_side.label)
        comparison.files = _files(base_side.checked, head_side.checked)
        comparison.files += _other_files(base_side.checked, head_side.checked)
        comparison.call_sections = _call_sections(base_side.checked, head_side.checked)
        _rounds(comparison, base_side.checked, head_side.checked)
    return comparison


def _side(
    root: Path,
    sha: str,
    dest: Path,
    arrivals: History | None,
    name: str,
    identities: Sequence[Any],
) -> Side:
    dest.mkdir()
    export_folder(root, sha, dest)
    if not (dest / CALL_FILE).is_file():
        raise GenError(f"no {CALL_FILE} in {root} at {name} ({sha[:12]})", EXIT_USAGE)
    side = f"{name} side ({sha[:12]})"
    return Side(sha[:12], _checked(dest, f"{name}:{root}", arrivals, side, identities))


def _checked(
    folder: Path, shown: str, arrivals: History | None, name: str, identities: Sequence[Any]
) -> Checked:
    try:
        checked = load_checked(folder, shown, arrivals, identities)
    except GenError as error:
        raise GenError(f"the {name} cannot be read: {error.message}", EXIT_USAGE) from None
    errors = _errors(checked)
    if errors:
        raise GenError(
            f"the {name} does not validate: {errors} error(s); run gen validate there "
            "and fix them first",
            EXIT_USAGE,
        )
    return checked


# --- rendering ---------------------------------------------------------------------------


def _money(value: str | None) -> str:
    return "-" if value is None else f"{Decimal(value):,.2f}"


def _signed(value: Decimal) -> str:
    return f"{value:+,.2f}"


def _describe(change: DecisionChange) -> str:
    before = change.before or {}
    after = change.after or {}
    if change.before is None:
        return (
            f"{change.dossier}: new, {after.get('status')}, mark {after.get('mark') or '-'}, "
            f"rank {after.get('rank') or '-'}, granted {_money(after.get('granted'))} EUR"
        )
    if change.after is None:
        return f"{change.dossier}: removed (was {before.get('status')})"
    parts = []
    if before["status"] != after["status"]:
        parts.append(f"{before['status']} → {after['status']}")
    if before["mark"] != after["mark"]:
        parts.append(f"{before['mark'] or '-'} → {after['mark'] or '-'}")
    if before["rank"] != after["rank"]:
        parts.append(f"rank {before['rank'] or '-'} → {after['rank'] or '-'}")
    if before["granted"] != after["granted"]:
        delta = Decimal(after["granted"]) - Decimal(before["granted"])
        parts.append(f"{_signed(delta)} EUR")
    return f"{change.dossier}: {', '.join(parts)}"


def _envelope_line(r: RoundChange) -> str:
    a, b = r.envelope_before or {}, r.envelope_after or {}
    granted = Decimal(b.get("granted", "0")) - Decimal(a.get("granted", "0"))
    return (
        f"envelope {_money(b.get('available'))} EUR: granted {_money(a.get('granted'))} → "
        f"{_money(b.get('granted'))} ({_signed(granted)}), left {_money(a.get('left'))} → "
        f"{_money(b.get('left'))}"
    )


def render_text(c: Comparison) -> str:
    """The comparison for the terminal."""
    lines = [f"gen diff {c.base} → {c.head}", ""]
    lines += _files_text(c)
    changed = [r for r in c.rounds if r.changed]
    for r in changed:
        lines += ["", f"round {r.round} ({_states(r)})"]
        lines += [f"  {_describe(d)}" for d in r.decisions]
        if r.envelope_before != r.envelope_after:
            lines.append(f"  {_envelope_line(r)}")
        if r.budget_after_before != r.budget_after_after:
            lines.append(
                f"  call budget left after the round: {_money(r.budget_after_before)} → "
                f"{_money(r.budget_after_after)} EUR"
            )
    lines.append("")
    unchanged = [r.round for r in c.rounds if not r.changed]
    if not c.decisive:
        lines.append(
            "no decision changes: every status and grant stays as it is"
            + (" (marks or ranks move, above)" if changed else "")
        )
    if unchanged:
        lines.append(f"rounds without change: {', '.join(unchanged)}")
    for round_id, why in c.not_computed.items():
        lines.append(f"round {round_id} not computed: {why}")
    return "\n".join(lines)


def _states(r: RoundChange) -> str:
    if r.state_before == r.state_after:
        return str(r.state_after)
    return f"{r.state_before} → {r.state_after}"


def _files_text(c: Comparison) -> list[str]:
    if not c.files and not c.call_sections:
        return ["no file of the call changed"]
    lines = []
    for f in c.files:
        detail = ""
        if f.fields:
            label = "evaluations of" if f.kind == "review" else "fields"
            detail = f" ({label} {', '.join(f.fields)})"
        if f.kind == "template":
            detail = " (templates are code: review them as such)"
        lines.append(f"{f.kind} {f.change}: {f.path}{detail}")
    if c.call_sections:
        lines.append(f"call.yaml changed: {', '.join(c.call_sections)}")
    return lines


def _cell(value: Any) -> str:
    return "-" if value is None else str(value).replace("|", "\\|")


def render_markdown(c: Comparison) -> str:
    """The comparison as a pull-request comment: tables, unchanged rounds not repeated."""
    lines = [f"### gen diff: `{c.base}` → `{c.head}`", ""]
    if c.decisive:
        lines.append("**This change moves decisions.**")
    else:
        lines.append("**No decision changes:** every status and grant stays as it is.")
    lines.append("")
    lines += [f"- {line}" for line in _files_text(c)]
    for r in (r for r in c.rounds if r.changed):
        lines += ["", f"#### Round {r.round} ({_states(r)})", ""]
        if r.decisions:
            lines += [
                "| dossier | status | mark | rank | granted (EUR) |",
                "|---|---|---:|---:|---:|",
            ]
            for d in r.decisions:
                a, b = d.before or {}, d.after or {}
                row = [
                    _cell(d.dossier),
                    *(
                        f"{_cell(a.get(k))} → {_cell(b.get(k))}"
                        if a.get(k) != b.get(k)
                        else _cell(b.get(k))
                        for k in ("status", "mark", "rank")
                    ),
                    f"{_money(a.get('granted'))} → {_money(b.get('granted'))}"
                    if a.get("granted") != b.get("granted")
                    else _money(b.get("granted")),
                ]
                lines.append("| " + " | ".join(row) + " |")
            lines.append("")
        if r.envelope_before != r.envelope_after:
            lines.append(_envelope_line(r))
    unchanged = [r.round for r in c.rounds if not r.changed]
    if unchanged:
        lines += ["", f"Rounds without change: {', '.join(unchanged)}."]
    for round_id, why in c.not_computed.items():
        lines += ["", f"Round {round_id} not computed: {why}."]
    return "\n".join(lines)


def render_json(c: Comparison) -> str:
    """The comparison as JSON for tools."""
    document = {
        "base": c.base,
        "head": c.head,
        "decisive": c.decisive,
        "files": [
            {"kind": f.kind, "path": f.path, "change": f.change, "fields": list(f.fields)}
            for f in c.files
        ],
        "call_sections": c.call_sections,
        "rounds": {
            r.round: {
                "state": {"before": str(r.state_before), "after": str(r.state_after)},
                "changed": r.changed,
                "decisions": [
                    {"dossier": d.dossier, "before": d.before, "after": d.after}
                    for d in r.decisions
                ],
                "envelope": {"before": r.envelope_before, "after": r.envelope_after},
                "call_budget_after": {
                    "before": r.budget_after_before,
                    "after": r.budget_after_after,
                },
            }
            for r in c.rounds
        },
        "not_computed": c.not_computed,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
