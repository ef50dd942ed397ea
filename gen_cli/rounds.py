"""Running rounds from a call folder: check, evaluate, select, and compare records.

``check_call`` gathers everything gen knows about a call folder before anything is
computed: the validation report, each round's committed decision record and state, and
which dossiers came in after their round closed (from the default branch's history).
Problems are attributed to rounds, so that a problem confined to one round never blocks
scoring another.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from gen_cli import __version__
from gen_cli.batch import Batch, forked_chain, forked_map, memory_given_back
from gen_cli.deliberation import Refused, deliberate
from gen_cli.diagnostics import Diagnostic, Problem, listed
from gen_cli.errors import EXIT_PROBLEMS, GenError, InvalidCall
from gen_cli.history import History, is_final, record_on_branch
from gen_cli.layout import CALL_FILE, JURY_FILE, RECORD_FILE, REVIEWS_DIR
from gen_cli.lifecycle import (
    State,
    accepted_late,
    amendments_of,
    decided_part,
    frozen_problems,
    malformed,
    state_of,
)
from gen_cli.loading import (
    CallFolder,
    Source,
    file_id,
    folder_above,
    is_record_file,
    load_call_folder,
    load_rounds,
    whole_dossier,
)
from gen_cli.models import Call, Dossier, Round, SubmissionWindowRule
from gen_cli.proofs import keep_proof, may_be_proven, proof_key, proven
from gen_cli.records import (
    FORMAT,
    Part,
    RoundResult,
    build_record,
    changed_decisions,
    decision_of,
    decisions_of,
    granted_in,
    published_of,
    readable,
    record_digest,
    record_format,
    record_path,
    record_text,
    record_values_limit,
    recorded_grant,
    records_from_files,
    records_from_texts,
    render_record,
    rules_digest,
    rules_of,
    same_record,
    sha256_file,
)
from gen_cli.rules import Report, report, validate_folder
from gen_cli.scoring import ZERO, evaluate_round, failed_rules
from gen_cli.sealing import IDENTITY_VARIABLE
from gen_cli.selection import select

#: Errors that do not stop a round from being scored: the dossier is decided ineligible.
NOT_BLOCKING = frozenset({"E214", "E215"})
#: A record that cannot be trusted: it also stops the later rounds (what it granted counts).
UNTRUSTED_RECORD = frozenset({"E403", "E404"})

#: Where each eligibility rule that reads one dossier points in the dossier's file.
_RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "lead-kind": ("porteur", "kind"),
    "requested-amount": ("budget", "requested"),
    "cost-share": ("budget", "requested"),
    "submission-window": ("submitted",),
    "themes": ("themes",),
}


@dataclass
class Checked:
    """A call folder, validated, with its rounds' records and states."""

    folder: CallFolder
    report: Report
    records: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    late: dict[str, dict[str, str]] = field(default_factory=dict)  # round -> dossier -> why
    declared: dict[str, str] = field(default_factory=dict)  # display path -> its round: field
    #: Of an outline (``load_outline``): the digest of each file checked, by POSIX path,
    #: and the default branch's history, to read each round as it was checked.
    contents: dict[str, bytes] = field(default_factory=dict)
    history: History | None = None
    #: The records hold no decisions nor inputs (an outline's): ``record`` reads them.
    light: bool = False

    @property
    def call(self) -> Call:
        """The call (only a Checked whose call.yaml loaded is ever built)."""
        return loaded_call(self.folder)

    def record(self, round_id: str) -> dict[str, Any] | None:
        """A round's committed record, whole (an outline's are read again, as checked).

        Raises:
            GenError: the record is no longer the one that was checked.
        """
        return self.records_of([round_id])[round_id]

    def records_of(
        self, round_ids: Sequence[str], part: Part | None = None
    ) -> dict[str, dict[str, Any] | None]:
        """Rounds' committed records, whole or ``part`` of each (read side by side).

        Raises:
            GenError: a record is no longer the one that was checked.
        """
        found: dict[str, dict[str, Any] | None] = {}
        files: list[tuple[str, tuple[Path, str, int, bytes]]] = []  # of an outline: read again
        for round_id in round_ids:
            record = self.records.get(round_id)
            if record is None or not self.light:
                found[round_id] = part(record) if part is not None else record
                continue
            path = record_path(self.folder.root, round_id)
            shown = f"{round_id}/{path.name}"
            checked = self.contents.get(shown)
            if checked is None or record_digest(path) != checked:
                raise GenError(
                    f"{shown} changed while gen read the call folder: run the command again"
                )
            limit = record_values_limit(len(self.folder.round_files(round_id)))
            files.append((round_id, (path, shown, limit, checked)))
        read = records_from_files([file for _, file in files], self.folder.batch, part=part)
        found.update((round_id, record) for (round_id, _), record in zip(files, read, strict=True))
        return {round_id: found[round_id] for round_id in round_ids}

    def state(self, round_id: str) -> State:
        """Where a round stands."""
        round_ = round_of(self.call, round_id)
        return state_of(round_.submissions, self.records.get(round_id))

    def blocking(self, round_id: str) -> list[Diagnostic]:
        """The errors that stop the round from being scored, closed or published.

        Those of its own files and of call.yaml, and an earlier round's record that cannot
        be trusted: what the earlier rounds granted decides what this one may spend.
        """
        order = [r.id for r in self.call.rounds]
        earlier = set(order[: order.index(round_id)]) if round_id in order else set()
        return [
            d
            for d in self.report.diagnostics
            if d.severity == "error"
            and d.code not in NOT_BLOCKING
            and (
                round_id in self.rounds_of(d)
                or (d.code in UNTRUSTED_RECORD and self.rounds_of(d) & earlier)
            )
        ]

    def rounds_of(self, diagnostic: Diagnostic) -> set[str]:
        """The rounds a diagnostic concerns: its own, or its file's folder and round field."""
        if diagnostic.round is not None:
            return {diagnostic.round}
        if diagnostic.path == self.folder.call_source.display:
            return {r.id for r in self.call.rounds}
        prefix = self.folder.call_source.display.removesuffix(CALL_FILE)
        relative = diagnostic.path.removeprefix(prefix)
        found = {relative.split("/", 1)[0]}
        if diagnostic.path in self.declared:
            found.add(self.declared[diagnostic.path])
        return found


def loaded_call(folder: CallFolder) -> Call:
    """The folder's call; the commands that need it stop first when call.yaml is invalid.

    Raises:
        GenError: call.yaml could not be read (exit status 2).
    """
    if folder.call is None:
        raise GenError(f"{folder.call_source.display} could not be read: run gen validate")
    return folder.call


def round_of(call: Call, round_id: str) -> Round:
    """The round of call.yaml with this id; a usage error naming the known ones if none."""
    round_ = call.round(round_id)
    if round_ is None:
        known = ", ".join(r.id for r in call.rounds)
        raise GenError(f"no round {round_id!r} in call.yaml (rounds: {known})")
    return round_


def _read_records(
    folder: CallFolder, light: bool = False, digests: dict[str, bytes] | None = None
) -> tuple[dict[str, dict[str, Any] | None], list[Problem]]:
    """Each round's committed record, and the problems of those gen cannot use.

    Args:
        light: their outlines only (``outline_of``): ``Checked.record`` reads one whole.
        digests: filled with the SHA-256 of each record read, by its POSIX path in the
            call folder (what ``Checked.record`` makes sure it reads again).
    """
    call = loaded_call(folder)
    records: dict[str, dict[str, Any] | None] = {}
    problems = []
    prefix = folder.call_source.display.removesuffix(CALL_FILE)
    texts: list[tuple[int, str, Path, int]] = []  # (round's index, text, place, bound)
    for index, round_ in enumerate(call.rounds):
        path = record_path(folder.root, round_.id)
        try:
            text = record_text(path)
        except GenError as error:
            shown = f"{prefix}{round_.id}/{path.name}"
            problems.append(Problem(shown, "E404", error.message, round=round_.id))
            continue
        if text is None or not is_record_file(path):
            records[round_.id] = None  # a file gen did not write is reported as W002
            continue
        if digests is not None:
            digests[f"{round_.id}/{path.name}"] = hashlib.sha256(text.encode("utf-8")).digest()
        texts.append((index, text, path, record_values_limit(len(folder.round_files(round_.id)))))
    # every round's record parsed side by side: seconds each at 25,000 dossiers a round
    read = records_from_texts([(t, p, n) for _, t, p, n in texts], folder.batch, light)
    for (index, text, path, _), record in zip(texts, read, strict=True):
        round_ = call.rounds[index]
        shown = f"{prefix}{round_.id}/{path.name}"
        if record is None or (not light and not readable(record)):
            if "\nclosed:" in text or "\nseal:" in text:
                # a final record: never rewrite it, whatever happened to it
                problems.append(
                    Problem(
                        shown,
                        "E403",
                        f"round {round_.id} is closed and its decision record can no longer "
                        "be read (edited by hand?); restore it from git",
                        round=round_.id,
                    )
                )
                continue
            problems.append(
                Problem(
                    shown,
                    "E404",
                    f"cannot read round {round_.id}'s decision record (not valid, or written "
                    f"by another version of gen); run gen score --round {round_.id} to write "
                    "it again",
                    round=round_.id,
                )
            )
            continue
        records[round_.id] = record
        if not is_final(record) and ("seal" in record or "amendments" in record):
            problems.append(
                Problem(
                    shown,
                    "E403",
                    f"round {round_.id}'s decision record has a seal but no longer says it is "
                    "closed: its closing was removed by hand; restore it from git",
                    round=round_.id,
                )
            )
        if round_.submissions == "open":
            problems.append(
                Problem(
                    folder.call_source.display,
                    "E405",
                    f"round {round_.id} has a decision record but call.yaml says it still "
                    "takes dossiers; set submissions: closed",
                    loc=("rounds", index),
                    round=round_.id,
                )
            )
    return {r.id: records[r.id] for r in call.rounds if r.id in records}, problems  # in order


def _covered(round_: Round, ident: str, submitted: date, record: Mapping[str, Any] | None) -> bool:
    """True when a late dossier is accepted: by the round's accept_late, or an amendment."""
    if ident in accepted_late(record):
        return True
    late = round_.accept_late
    if late is None or not round_.opens <= submitted <= round_.closes:
        return False
    return late.dossiers == "all" or ident in late.dossiers


def _lateness(
    folder: CallFolder,
    records: Mapping[str, Mapping[str, Any] | None],
    history: History | None,
    whole: Callable[[str], Mapping[str, Any] | None] | None = None,
) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """Which dossiers came in after their round closed, from the default branch's history.

    A dossier's submission time is the committer date of the first-parent commit of the
    default branch that first brought its file in: the funder's merge, which the
    applicant does not control (the author date, and the ``submitted`` field, they do).

    Args:
        whole: a round's whole record, when ``records`` are outlines (``Checked.record``):
            whether a late dossier's refusal is recorded is in its decisions.
    """
    call = loaded_call(folder)
    late: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    if history is None or not any(isinstance(r, SubmissionWindowRule) for r in call.eligibility):
        return late, problems
    arrivals = history.arrivals
    zone = ZoneInfo(call.timezone)
    rule = next(r for r in call.eligibility if isinstance(r, SubmissionWindowRule))
    decided: tuple[str | None, dict[str, dict[str, Any]]] = (None, {})  # a round's, by id
    for source, facts, _ in folder.dossier_entries:
        ident, submitted = facts.id, facts.submitted
        if not facts.whole or ident is None or facts.round is None or submitted is None:
            continue  # a dossier that is not valid is not scored: its own errors say why
        round_ = call.round(facts.round)
        if round_ is None or source.path.parent.name != round_.id:
            continue
        record = records.get(round_.id)
        if _covered(round_, ident, submitted, record):
            continue
        arrival = arrivals.get(folder.relative(source))
        if arrival is not None:
            day = arrival.time.astimezone(zone).date()
            if day <= round_.closes:
                continue
            why = (
                f"brought in by commit {arrival.commit[:12]} on {day}, after round "
                f"{round_.id} closed on {round_.closes}"
            )
            code = "E214"
            message = (
                f"this dossier was merged by commit {arrival.commit[:12]} "
                f"({arrival.subject!r}) on {day}, after round {round_.id} closed on "
                f"{round_.closes}: it is ineligible, whatever its submitted date says "
                "(the deadline is the date the funder merged it). The refusal is recorded "
                "when the round is scored; if the dossier was on time, accept it with "
                "accept_late in call.yaml (its submitted date must be inside the window)"
            )
        elif round_.submissions == "closed":
            why = f"added after round {round_.id} stopped taking dossiers"
            code = "E215"
            message = (
                f"round {round_.id} no longer takes dossiers (submissions: closed in "
                "call.yaml): a dossier added now is ineligible"
            )
        else:
            continue
        late.setdefault(round_.id, {})[ident] = why
        if decided[0] != round_.id:  # a round's dossiers come together: its record read once
            whole_record = whole(round_.id) if whole is not None else record
            decided = (round_.id, decisions_of(whole_record or {}))
        decision = decided[1].get(ident) or {}
        reasons = decision.get("reasons") if decision.get("status") == "ineligible" else None
        if isinstance(reasons, list) and any(
            str(r).startswith(f"{rule.id}:") and why in str(r) for r in reasons
        ):
            continue  # the refusal, with this evidence, is recorded
        problems.append(Problem(source.display, code, message, loc=("submitted",)))
    return late, problems


def eligibility_warnings(folder: CallFolder, states: Mapping[str, State]) -> list[Problem]:
    """Warn on a dossier of a round still open that fails a rule checked on it alone.

    The applicant sees it in the pull request, while the dossier can still be fixed.
    """
    call = loaded_call(folder)
    problems = []
    first: dict[str, Round] = {}  # call.round's answer: the first round of an id
    for each in call.rounds:
        first.setdefault(each.id, each)
    open_rounds = {id_: r for id_, r in first.items() if states.get(id_) is State.open}
    for source, facts, _ in folder.dossier_entries:
        round_ = open_rounds.get(facts.round) if facts.whole and facts.round is not None else None
        if round_ is None:
            continue
        for rule, _ in failed_rules(call, round_, facts):
            loc = _RULE_FIELDS[rule.rule]
            problems.append(
                Problem(
                    source.display,
                    "W010",
                    f"{'.'.join(loc)}: {rule.message} (eligibility rule {rule.id}: as it "
                    "stands, the dossier is ineligible)",
                    loc=loc,
                )
            )
    return problems


def check_call(folder: CallFolder, history: History | None = None, light: bool = False) -> Checked:
    """Validate a loaded call folder, its records and its rounds' states.

    Args:
        history: what the default branch says (None: no git).
        light: hold the records' outlines only (``Checked.light``), for a check that
            needs its report alone: a record's decisions are read when a rule needs them
            (a closed round's, a late dossier's), not each time.
    """
    base = validate_folder(folder)
    if folder.call is None:
        return Checked(folder, base)
    # without a cache, an outline is cut from the whole record, read again where needed
    light = light and folder.batch.cache is not None
    digests: dict[str, bytes] = {}
    records, problems = _read_records(folder, light, digests if light else None)
    outline = Checked(folder, base, records, contents=digests, light=light)
    states = {r.id: state_of(r.submissions, records.get(r.id)) for r in folder.call.rounds}
    late, late_problems = _lateness(folder, records, history, outline.record)
    problems += late_problems
    if history is not None:
        problems += _anchored(folder, records, history)
        prefix = folder.call_source.display.removesuffix(CALL_FILE)
        problems += [
            Problem(
                f"{prefix}{path}",
                "W011",
                f"this template differs from the default branch ({history.branch}): templates "
                "are code that renders the published site; review the change as code",
            )
            for path in history.templates_changed
        ]
    problems += eligibility_warnings(folder, states)
    declared = {
        s.display: d.round for s, d, _ in folder.dossier_entries if d.whole and d.round is not None
    }
    declared.update({s.display: r.round for s, r, _ in folder.review_entries})
    checked = replace(outline, late=late, declared=declared)
    problems += _frozen(checked)
    problems += _jury_problems(checked)
    located = report(folder, problems)
    checked.report = Report(sorted([*base.diagnostics, *located.diagnostics]), base.checked)
    return checked


def _frozen(checked: Checked) -> list[Problem]:
    folder = checked.folder
    problems: list[Problem] = []
    prefix = folder.call_source.display.removesuffix(CALL_FILE)
    for index, round_ in enumerate(checked.call.rounds):
        record = checked.records.get(round_.id)
        if record is None or not is_final(record):
            continue
        record = checked.record(round_.id)  # whole: its inputs are checked
        if record is None:  # read again as it was checked: gone only if it changed
            raise GenError(f"round {round_.id}'s decision record changed while gen read it")
        files = folder.round_files(round_.id)
        envelope = round_.envelope.amount
        try:
            before = available_before(checked, round_.id, {})
        except GenError:
            continue  # an earlier record cannot be read: reported on that record
        record_display = f"{prefix}{round_.id}/{record_path(folder.root, round_.id).name}"
        inputs = {folder.relative(s): _digest(folder, s) for s in files}
        found = frozen_problems(
            record,
            round_id=round_.id,
            round_index=index,
            record_display=record_display,
            call_display=folder.call_source.display,
            shown={folder.relative(s): s.display for s in files},
            inputs=inputs,
            # the reviewers of the record's inputs: a review file added or removed is E401
            rules=rules_digest(checked.call, round_, _recorded_reviewers(record)),
            available=min(envelope, max(before, ZERO)),
            decided=decision_of(round_),
        )
        problems += found
        if not found and not folder.sealed_in(round_.id):  # sealed: opened by the secretariat
            proof = _closed_proof(checked, round_.id, record, inputs, before)
            problems += _recomputed(checked, round_.id, record, record_display, proof)
    return problems


def _closed_proof(
    checked: Checked,
    round_id: str,
    record: Mapping[str, Any],
    inputs: Mapping[str, str],
    before: Decimal,
) -> tuple[bytes, bytes] | None:
    """Where a closed round's record is kept as what its frozen files give: key and value.

    The value is the digest of the record's bytes; None when it is not at hand (no cache).
    The key covers what recomputing the round reads: gen's code, call.yaml, the round's
    files, its late dossiers and the budget left before it; the record's own bytes are
    the kept value. A round recomputed once is not recomputed at each check.
    """
    path = record_path(checked.folder.root, round_id)
    digest = checked.contents.get(f"{round_id}/{path.name}") if checked.light else None
    call_text = checked.folder.texts.get(checked.folder.call_source.display)
    late = checked.late.get(round_id, {})
    key = proof_key(call_text, f"{round_id}\0closed", record_format(record), inputs, late, before)
    return (key, digest) if key is not None and digest is not None else None


def _recomputed(
    checked: Checked,
    round_id: str,
    record: Mapping[str, Any],
    display: str,
    proof: tuple[bytes, bytes] | None = None,
) -> list[Problem]:
    """Recompute a closed round from its frozen inputs: its record must say the same.

    The seal only shows a careless edit (anyone can recompute a digest); this shows any
    edit of the decisions, and any record whose shape gen could not publish.

    Args:
        proof: where a record recomputed already is kept (``_closed_proof``).
    """
    cache = checked.folder.batch.cache
    if proof is not None and proven(cache, *proof):
        return []
    problem = malformed(record)
    if problem is None:
        rules = {r.id for r in checked.call.eligibility}
        now = score_round(
            checked, round_id, accept=accepted_late(record), fmt=record_format(record)
        ).record
        if decided_part(now, rules) == decided_part(record, rules):
            if proof is not None:
                keep_proof(cache, *proof)
            return []
        problem = "its decisions are not what its frozen files give"
        closed_by = (record.get("closed") or {}).get("gen")
        if closed_by != __version__:
            problem += (
                f" (it was closed with gen {closed_by}, this is gen {__version__}: check it "
                "with the version that closed it)"
            )
    return [
        Problem(
            display,
            "E403",
            f"round {round_id} is closed and its decision record was edited: {problem}; "
            "restore it from git",
            round=round_id,
        )
    ]


def _anchored(
    folder: CallFolder, records: Mapping[str, Mapping[str, Any] | None], history: History
) -> list[Problem]:
    """A round closed on the default branch stays closed, with its closing and amendments."""
    call = loaded_call(folder)
    problems = []
    prefix = folder.call_source.display.removesuffix(CALL_FILE)
    where = f"on the default branch ({history.branch})"
    branch_closed = history.closed(
        lambda files: folder.batch.run(record_on_branch, "record on the default branch", files)
    )
    for round_id in sorted(history.scored - set(branch_closed)):
        here = folder.root / round_id / RECORD_FILE
        if call.round(round_id) is not None and not is_record_file(here):
            # Deleting a record must not make a scored round look as if it were still in review.
            problems.append(
                Problem(
                    f"{prefix}{round_id}/{RECORD_FILE}",
                    "E406",
                    f"round {round_id} is scored {where} but its decision record is "
                    f"{'not one gen wrote' if here.exists() else 'missing'}: "
                    f"restore it (git checkout {history.branch} -- "
                    f"{prefix}{round_id}/{RECORD_FILE}) or score the round again "
                    f"(gen score --round {round_id})",
                    round=round_id,
                )
            )
    for round_id, closed in sorted(branch_closed.items()):
        shown = f"{prefix}{round_id}/{RECORD_FILE}"
        if call.round(round_id) is None:
            problems.append(
                Problem(
                    folder.call_source.display,
                    "E403",
                    f"round {round_id} is closed {where} and call.yaml no longer declares it; "
                    "restore it",
                    loc=("rounds",),
                    round=round_id,
                )
            )
            continue
        record = records.get(round_id)
        if record is None or not is_final(record):
            what = "its record is gone" if record is None else "its record is no longer closed"
            problems.append(
                Problem(
                    shown,
                    "E403",
                    f"round {round_id} is closed {where} but {what}; restore it from git",
                    round=round_id,
                )
            )
            continue
        kept = amendments_of(record)[: len(amendments_of(closed))]
        if record.get("closed") != closed.get("closed") or kept != amendments_of(closed):
            problems.append(
                Problem(
                    shown,
                    "E403",
                    f"round {round_id}'s closing or amendments differ from those {where}: "
                    "they are never rewritten, only added to (gen amend); restore them from git",
                    round=round_id,
                )
            )
    return problems


def load_checked(
    root: Path,
    shown_root: str | None = None,
    history: History | None = None,
    identities: Sequence[Any] = (),
    batch: Batch | None = None,
) -> Checked:
    """Load and check a call folder, opening sealed reviews with ``identities``.

    Raises:
        GenError: the folder or its call.yaml cannot be read (exit 2).
        InvalidCall: call.yaml itself does not load (nothing can be computed).
    """
    folder = load_call_folder(root, shown_root, identities, batch)
    checked = check_call(folder, history)
    if folder.call is None:
        raise InvalidCall(checked.report, "call.yaml has errors: fix them first")
    return checked


def load_outline(
    root: Path, shown_root: str, history: History | None, batch: Batch
) -> Checked | None:
    """A call folder's check, with its files listed and no round's files held.

    The check is the one ``gen validate`` kept for the folder as it stands, or is made and
    kept now. Each round's files are then read when it is computed (``with_round``), from
    the results kept of each file, so that a call of 100,000 dossiers is never held whole.

    Returns:
        None when the check cannot be kept (no cache, or a folder holding links): then
        the whole folder is loaded at once (``load_checked``).

    Raises:
        GenError: the folder or its call.yaml cannot be read (exit 2).
        InvalidCall: call.yaml itself does not load (nothing can be computed).
    """
    from gen_cli.memo import checked_report  # hashes the folder: only for this path

    if batch.cache is None:
        return None
    # made apart: the rounds computed next never share a process with the check
    whole = checked_report(root, shown_root, (), False, history, batch, each_file=True, apart=True)
    if not whole.contents:
        return None
    folder = load_call_folder(root, shown_root, (), batch, only=frozenset())
    report = Report(whole.diagnostics, whole.checked)
    if folder.call is None:
        raise InvalidCall(report, "call.yaml has errors: fix them first")
    records, _ = _read_records(folder, light=True)
    checked = Checked(folder, report, records, {}, whole.declared, whole.contents, history)
    checked.light = True
    return checked


def with_round(outline: Checked, round_id: str, lazy: bool = False) -> Checked:
    """The outline with one round's files read: what ``score_round`` needs of it.

    A call folder read whole is given back as it is.

    Args:
        lazy: the models left packed until read, for what reads few of them (the facts
            are enough to find a round's proof, or its laureates).

    Raises:
        GenError: a file of the round is not the one that was checked (it changed since).
    """
    if outline.folder.only is None:
        return outline
    # the results of the files as they were checked: those kept are not parsed again, and
    # no text is held; each file is hashed again, to refuse one changed since
    folder = load_rounds(outline.folder, frozenset({round_id}), lazy, outline.contents)
    for source in folder.round_files(round_id):
        if source.display not in folder.sources:
            continue  # listed, not read: not one of the round's inputs
        checked = outline.contents.get(folder.relative(source))
        try:
            now = sha256_file(source.path)
        except OSError:
            now = None  # gone, or no longer readable
        if checked is None or now != "sha256:" + checked.hex():
            raise GenError(
                f"{source.display} changed while gen read the call folder: run the command again"
            )
    late, _ = _lateness(folder, outline.records, outline.history)
    return replace(outline, folder=folder, late=late)


def require(
    checked: Checked, round_ids: Iterable[str], doing: str = "score", ignore: Iterable[str] = ()
) -> None:
    """Make sure nothing blocks these rounds.

    Args:
        ignore: codes that do not stop what is being done when they concern one of these
            rounds themselves (an unreadable record, for gen score, which rewrites it).

    Raises:
        InvalidCall: errors in call.yaml or in the rounds' files (carries only those).
    """
    wanted = set(round_ids)
    blocking: set[Diagnostic] = set()
    for round_id in wanted:
        blocking.update(
            d
            for d in checked.blocking(round_id)
            if not (d.code in set(ignore) and checked.rounds_of(d) <= wanted)
        )
    if blocking:
        rounds = ", ".join(sorted({r for d in blocking for r in checked.rounds_of(d)}))
        raise InvalidCall(
            Report(sorted(blocking), checked.report.checked),
            f"refusing to {doing}: gen validate finds {len(blocking)} error(s) that concern "
            f"round(s) {rounds}; fix them first",
        )


def chronological(call: Call) -> list[Round]:
    """The rounds in time: by closing date, then in call.yaml's order.

    "Earlier rounds", whose grants a round's budget depends on, are earlier in time.
    """
    order = {r.id: i for i, r in enumerate(call.rounds)}
    return sorted(call.rounds, key=lambda r: (r.closes, order[r.id]))


def available_before(checked: Checked, round_id: str, granted: Mapping[str, Decimal]) -> Decimal:
    """The call's budget left before a round: its budget less earlier rounds' grants.

    Args:
        granted: grants already computed in this run, by round (else read from records).
    """
    left = checked.call.budget
    for earlier in chronological(checked.call):
        if earlier.id == round_id:
            break
        if earlier.id in granted:
            left -= granted[earlier.id]
            continue
        record = checked.records.get(earlier.id)
        if record is None:
            continue
        spent = granted_in(record)
        if spent is None:
            raise GenError(
                f"cannot read what round {earlier.id} granted from its record; "
                f"run gen score --round {earlier.id} to rewrite it",
                EXIT_PROBLEMS,
            )
        left -= spent
    return left


class JuryRefused(GenError):
    """A round's jury.yaml cannot be applied to its outcome (E506)."""

    def __init__(self, refused: Refused, display: str) -> None:
        super().__init__(f"{display}: error E506 {refused}", EXIT_PROBLEMS)
        self.refused = refused


def _jury_problems(checked: Checked) -> list[Problem]:
    """Jury decisions that cannot be applied, such as those that overrun the envelope (E506).

    Only scoring the round tells: the round is computed when nothing else stops it.
    """
    problems = []
    for round_id, (source, _) in sorted(checked.folder.deliberations.items()):
        if checked.call.round(round_id) is None or checked.blocking(round_id):
            continue
        if is_final(checked.records.get(round_id)):
            continue  # closed: recomputed from its frozen files by the frozen checks
        try:
            score_round(checked, round_id)
        except JuryRefused as error:
            problems.append(
                Problem(
                    source.display,
                    "E506",
                    str(error.refused),
                    loc=error.refused.where,
                    round=round_id,
                )
            )
        except GenError:
            continue  # an earlier round's record cannot be read: reported on that record
    return problems


@dataclass(frozen=True)
class ScoredRound:
    """A computed round: the result, the record as data and as text, and where it goes."""

    result: RoundResult
    record: dict[str, Any]
    path: Path
    #: The key under which a proof that these inputs give this record is kept (None when
    #: it cannot be kept: late dossiers accepted by hand, call.yaml's text not at hand).
    proof: bytes | None = None

    @cached_property
    def text(self) -> str:
        """The record as written: made when asked (a dry run shows the ranking only)."""
        return render_record(self.record)


def _recorded_reviewers(record: Mapping[str, Any]) -> set[str]:
    """The reviewers whose review files a record lists among its inputs."""
    inputs = record.get("inputs")
    paths = inputs if isinstance(inputs, dict) else {}
    return {file_id(Path(str(p))) for p in paths if Path(str(p)).parent.name == "reviews"}


def score_round(
    checked: Checked,
    round_id: str,
    *,
    granted_before: Mapping[str, Decimal] | Callable[[], Mapping[str, Decimal]] | None = None,
    accept: Iterable[str] = (),
    fmt: int = FORMAT,
    granted_known: Callable[[Decimal], None] | None = None,
) -> ScoredRound:
    """Compute one round (whatever its state: callers check that).

    Args:
        granted_before: grants of earlier rounds computed in the same run; or what gives
            them, asked once the marks are computed (they do not depend on them).
        granted_known: told what the round granted, as its record says it, as soon as
            the decisions are made: before the record is built (a later round waits
            for it).
        accept: late dossiers accepted all the same (``gen amend --accept-late``).
        fmt: the record format to write (the committed record's, to compare with it).
    """
    folder = checked.folder
    call = checked.call
    round_ = round_of(call, round_id)
    sealed = folder.sealed_in(round_id)
    if sealed:
        raise GenError(
            f"round {round_id} holds {len(sealed)} sealed review(s) that gen cannot open: give "
            f"the secretariat's identity with --identity FILE (or {IDENTITY_VARIABLE})"
        )
    sources = folder.round_files(round_id)
    files = {s.display for s in sources}
    dossiers = [d for s, d in folder.dossiers if s.display in files and d.round == round_id]
    reviews = [r for s, r in folder.reviews if s.display in files and r.round == round_id]
    late = {k: v for k, v in checked.late.get(round_id, {}).items() if k not in set(accept)}
    evaluated, excluded, uncalibrated = evaluate_round(call, round_, dossiers, reviews, late)
    if callable(granted_before):
        granted_before = granted_before()
    available = available_before(checked, round_id, granted_before or {})
    inputs = _round_inputs(folder, sources)
    outcome = select(call, round_, evaluated, available)
    jury = folder.deliberations.get(round_id)
    try:
        outcome, departures = deliberate(outcome, jury[1] if jury else None)
    except Refused as refused:  # only a deliberation refuses
        shown = jury[0].display if jury else f"{round_id}/{JURY_FILE}"
        raise JuryRefused(refused, shown) from None
    if granted_known is not None:
        granted_known(recorded_grant(outcome.granted))
    result = RoundResult(
        round=round_,
        outcome=outcome,
        excluded=excluded,
        uncalibrated=uncalibrated,
        available=available,
        inputs=inputs,
        rules=rules_of(call, round_, {r.reviewer for s, r in folder.reviews if s.display in files}),
        deliberation=jury[1] if jury else None,
        departures=tuple(departures),
        sealed=call.sealing is not None and call.sealing.seals(round_id),
    )
    record = build_record(result, fmt)
    call_text = None if accept else folder.texts.get(folder.call_source.display)
    proof = proof_key(call_text, round_id, fmt, inputs, late, available)
    return ScoredRound(result, record, record_path(folder.root, round_id), proof)


def _round_inputs(folder: CallFolder, sources: Iterable[Source]) -> dict[str, str]:
    """The digest of each file of a round, by its path in the call folder."""
    return {folder.relative(s): _digest(folder, s) for s in sources}


def round_proof(
    checked: Checked, round_id: str, granted_before: Mapping[str, Decimal], fmt: int
) -> bytes | None:
    """The key ``score_round`` gives the round's proof, found without computing the round.

    ``checked`` holds the round's files (not an outline).
    """
    folder = checked.folder
    if folder.sealed_in(round_id):
        return None
    inputs = _round_inputs(folder, folder.round_files(round_id))
    available = available_before(checked, round_id, granted_before)
    late = checked.late.get(round_id, {})
    call_text = folder.texts.get(folder.call_source.display)
    return proof_key(call_text, round_id, fmt, inputs, late, available)


def score_rounds(
    checked: Checked, round_ids: Iterable[str], *, as_committed: bool = False
) -> list[ScoredRound]:
    """Compute several rounds in time order, each seeing what the earlier ones granted.

    Args:
        as_committed: write each record in the format of its committed record, to
            compare with it (a record written by an earlier gen is not stale for that).
    """
    return list(each_scored(checked, round_ids, as_committed=as_committed))


def each_scored(
    checked: Checked, round_ids: Iterable[str], *, as_committed: bool = False
) -> Iterator[ScoredRound]:
    """``score_rounds`` one round at a time; from an outline, each round read in turn.

    Only the round being computed is held: the one given before is let go by the caller.
    """
    granted: dict[str, Decimal] = {}
    for round_id in _in_time_order(checked.call, round_ids):
        fmt = record_format(checked.records.get(round_id)) if as_committed else FORMAT
        here = with_round(checked, round_id)
        one = score_round(here, round_id, granted_before=granted, fmt=fmt)
        granted[round_id] = _granted(one)
        yield one
        del here, one  # before the next round is read


def _in_time_order(call: Call, round_ids: Iterable[str]) -> list[str]:
    """These rounds once each, in time order.

    Raises:
        GenError: a round the call does not declare.
    """
    order = [r.id for r in chronological(call)]
    wanted = set(round_ids)
    for round_id in wanted:
        round_of(call, round_id)
    return sorted(wanted, key=order.index)


S = TypeVar("S")
#: From this many dossier files on, the rounds of an outline are computed on every core.
CHAINED_FROM = 2_000


def each_scored_as(
    checked: Checked, round_ids: Iterable[str], made: Callable[[ScoredRound], S]
) -> Iterator[tuple[S, Path, bytes | None]]:
    """``made(round)`` of each round computed, in time order (as ``each_scored``).

    With it, where the round's record goes, and the key of its proof (``ScoredRound``).

    The rounds of a large outline are computed on every core, each in a process of its
    own: a round reads its files and computes its marks while the one before it ends,
    then waits for what that one granted. ``made`` runs where its round was computed, so
    only what it makes comes back (a ranking's text, not 25,000 dossiers).
    """
    ordered = _in_time_order(checked.call, round_ids)

    def computed(
        round_id: str,
        granted: Callable[[], Mapping[str, Decimal]],
        granted_known: Callable[[Decimal], None],
    ) -> Any:
        here = with_round(checked, round_id)
        one = score_round(here, round_id, granted_before=granted, granted_known=granted_known)
        return _granted(one), (made(one), one.path, one.proof)

    yield from _chained(checked, ordered, {}, computed)


#: A round computed in a chain: given the round, what gives the grants before it and what
#: is told its own as soon as they are known, what it granted and what is handed back of it.
_Link = Callable[
    [str, Callable[[], Mapping[str, Decimal]], Callable[[Decimal], None]], tuple[Decimal, S]
]


def _chained(
    checked: Checked, ordered: Sequence[str], granted: Mapping[str, Decimal], link: _Link[S]
) -> Iterator[S]:
    """``link`` of each round in time order: on every core for a large outline, else here.

    Each round waits for what the rounds before it granted only when it asks (after
    its marks); ``granted`` are the grants of the rounds before these.
    """
    listing = checked.folder.listing  # an outline's: its rounds are read in turn
    large = listing is not None and len(listing.dossiers) >= CHAINED_FROM
    batch = checked.folder.batch
    here = os.getpid()

    def task(
        index: int, earlier: Callable[[], list[Decimal]], pass_on: Callable[[Decimal], None]
    ) -> tuple[Decimal, Any]:
        def before() -> dict[str, Decimal]:
            return {**granted, **dict(zip(ordered, earlier(), strict=False))}

        if os.getpid() != here:
            batch.jobs = 1  # the other cores compute the other rounds
        known = batch.cache.used if batch.cache is not None else frozenset()
        told, batch.progress = batch.progress, None  # the check counted the files read
        try:
            spent, made = link(ordered[index], before, pass_on)
        finally:
            batch.progress = told
        if os.getpid() != here:
            memory_given_back()  # before this process computes another round
        # the keys the round used, marked in this process's copy of the cache: handed
        # back to the process that prunes the cache
        used = batch.cache.used - known if batch.cache is not None else frozenset()
        return spent, (made, sorted(used))

    tell = batch.progress if large else None
    for made, used in forked_chain(task, len(ordered), batch.jobs if large else 1):
        if batch.cache is not None and used:
            batch.cache.put_many([], used)
        if tell is not None:
            tell("rounds", 1, len(ordered))
        yield made


def _granted(one: ScoredRound) -> Decimal:
    """What a computed round granted, as its record says it: what a later run reads."""
    return recorded_grant(one.result.outcome.granted)


def rounds_to_score(checked: Checked, round_ids: list[str], *, all_rounds: bool) -> list[str]:
    """The rounds ``gen score`` computes: those asked, and with ``all_rounds`` every round in review or scored.

    A closed round, or one that still takes dossiers, is refused.

    Raises:
        GenError: a round is closed or still open.
    """
    wanted = list(round_ids)
    if all_rounds:
        wanted += [
            r.id for r in checked.call.rounds if checked.state(r.id) in {State.review, State.scored}
        ]
    for round_id in wanted:
        state = checked.state(round_id)
        if state is State.closed:
            raise GenError(
                f"round {round_id} is closed: its decisions are final. To correct them, change "
                f"the files, then run gen amend {round_id} --reason '…'"
            )
        if state is State.open:
            raise GenError(
                f"round {round_id} still takes dossiers (submissions: open in call.yaml): "
                "set submissions: closed once its deadline has passed, then score it "
                "(gen score --dry-run shows the outcome so far without writing)"
            )
    return list(dict.fromkeys(wanted))


@dataclass(frozen=True)
class Staleness:
    """How a committed record differs from what its inputs give now."""

    round_id: str
    path: Path
    changed: list[str]  # dossiers whose decision differs
    inputs_changed: list[str]  # input files added, removed or modified
    #: The call's budget before this round, as recorded and as it is now, when they differ:
    #: an earlier round's result changed.
    budget_before: tuple[str, str] | None = None
    earlier: tuple[str, ...] = ()  # earlier rounds whose records are stale too


def _digest(folder: CallFolder, source: Source) -> str:
    """A file's digest, of the bytes its model was made from.

    Read now when gen did not keep it: a jury file, a sealed review.
    """
    return folder.digests.get(source.display) or sha256_file(source.path)


def sealed_changes(checked: Checked, round_id: str) -> list[str]:
    """What shows a round's record stale without opening its sealed reviews.

    The record lists the digest of every input file, sealed ones included, and of the
    rules: a changed, added or removed file, or a changed rule, is seen from outside.
    """
    record = checked.record(round_id) or {}  # whole: an outline's lacks the inputs
    folder = checked.folder
    files = folder.round_files(round_id)
    now = {folder.relative(s): _digest(folder, s) for s in files}
    found = record.get("inputs")
    recorded = {str(k): v for k, v in found.items()} if isinstance(found, dict) else {}
    changes = [p for p in sorted(now.keys() | recorded.keys()) if now.get(p) != recorded.get(p)]
    reviewers = {file_id(s.path) for s in files if s.path.parent.name == REVIEWS_DIR}
    if record.get("rules") != rules_digest(
        checked.call, round_of(checked.call, round_id), reviewers
    ):
        changes.append("call.yaml (the rules that decide the round)")
    return changes


#: What a publication keeps of each laureate's dossier (:func:`laureates_of`).
Kept = TypeVar("Kept")
#: What is taken of a round whose record a proof shows fresh (:func:`_proven_apart`).
Found = TypeVar("Found")


def check_records(checked: Checked, skip: Collection[str] = ()) -> list[Staleness]:
    """Check every scored round, in time order: its record must match byte for byte.

    A round whose proof shows its record is what its inputs give is not computed (see
    ``_proven_fresh``); the others are, each seeing what the earlier ones granted. A
    closed round is frozen: validation checks its files, its rules and its decisions; it
    is computed for what it granted.
    """
    with_record = [
        r.id
        for r in chronological(checked.call)
        if checked.records.get(r.id) is not None and r.id not in skip
    ]
    stale: list[Staleness] = []
    granted: dict[str, Decimal] = {}
    proven = _proven_apart(checked, with_record, lambda here, round_id: True)
    serial = False
    for round_id, fresh in zip(with_record, proven, strict=True):
        if fresh and not serial:
            granted[round_id] = granted_in(checked.records.get(round_id) or {}) or ZERO
            continue
        # from the first round not proven on, one after another, as each feeds the next
        serial = True
        scored = _stale(with_round(checked, round_id), round_id, granted)
        if scored is None or is_final(checked.records[round_id]):
            continue
        committed = checked.record(round_id) or {}
        found = committed.get("inputs")
        old_inputs: dict[str, Any] = found if isinstance(found, dict) else {}
        new_inputs = scored.record["inputs"]
        inputs_changed = sorted(
            k for k in set(old_inputs) | set(new_inputs) if old_inputs.get(k) != new_inputs.get(k)
        )
        old_budget = committed.get("call_budget")
        before = (
            old_budget.get("before") if isinstance(old_budget, dict) else None,
            scored.record["call_budget"]["before"],
        )
        stale.append(
            Staleness(
                round_id,
                scored.path,
                changed_decisions(committed, scored.record),
                inputs_changed,
                (str(before[0]), str(before[1])) if before[0] != before[1] else None,
                tuple(s.round_id for s in stale),
            )
        )
    return stale


def _proven_apart(
    checked: Checked, round_ids: Sequence[str], found: Callable[[Checked, str], Found]
) -> list[Found | None]:
    """For each round, ``found(round read, round id)`` if a proof shows its record fresh.

    Each round's proof is checked on its own, on every core (an outline's rounds are read
    in those processes): what the rounds before it granted is taken from their records,
    which holds as long as those are proven too. Callers go on one round after another
    from the first round not proven.
    """
    outline = checked.folder.only is not None
    # a round no proof could end at is not read (seconds at 25,000 dossiers a round)
    hoped = [r for r in round_ids if _proof_may_end_at(checked, r)]

    def proved(index: int) -> Found | None:
        round_id = hoped[index]
        here = with_round(checked, round_id, lazy=True)  # models built only if proven
        return found(here, round_id) if _proven_draft(here, round_id, {}) else None

    made = forked_map(proved, len(hoped), checked.folder.batch.jobs if outline else 1)
    found_by_round = dict(zip(hoped, made, strict=True))
    return [found_by_round.get(r) for r in round_ids]


def _proof_may_end_at(checked: Checked, round_id: str) -> bool:
    """Whether a proof kept may show the round's committed record fresh (``may_be_proven``)."""
    seen = _committed_digest(checked, round_id)
    return seen is not None and may_be_proven(checked.folder.batch.cache, seen)


def _proven_fresh(checked: Checked, round_id: str, granted: dict[str, Decimal]) -> bool:
    """Whether a proof shows the round's record fresh; if so, adds what it granted."""
    if not _proven_draft(checked, round_id, granted):
        return False
    granted[round_id] = granted_in(checked.records.get(round_id) or {}) or ZERO
    return True


def _fresh(checked: Checked, scored: ScoredRound) -> bool:
    """Whether the committed record is what was computed; its proof kept if byte for byte."""
    return _fresh_text(checked, scored.path, scored.text, scored.proof)


def _fresh_text(checked: Checked, path: Path, text: str, proof: bytes | None) -> bool:
    """Whether the record committed at ``path`` says ``text``; its proof kept if byte for byte."""
    committed = record_text(path)
    if not same_record(committed, text):
        return False
    if committed == text:
        keep_proof(checked.folder.batch.cache, proof, hashlib.sha256(text.encode("utf-8")).digest())
    return True


def _whole(dossier: Dossier) -> Dossier:
    return dossier


def check_publishable(checked: Checked, records: Mapping[str, Mapping[str, Any]]) -> None:
    """Make sure every round with laureates says when its grants were decided.

    Raises:
        InvalidCall: a round has laureates but no decision_date (E310), located in call.yaml.
    """
    folder = checked.folder
    problems = []
    for index, round_ in enumerate(checked.call.rounds):
        record = records.get(round_.id)
        if record is None or round_.decision_date is not None:
            continue
        if any(d.get("status") == "laureat" for d in decisions_of(record).values()):
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
class ForPublication(Generic[Kept]):
    """The decision records a publication is made from, and which of them are drafts."""

    records: dict[str, dict[str, Any]]
    drafts: frozenset[str]
    #: What is kept of the drafts' laureates' dossiers, by id, read to check their
    #: records: not read again.
    dossiers: dict[str, Kept] = field(default_factory=dict)


def records_for_publication(
    checked: Checked,
    round_ids: list[str],
    *,
    draft: bool,
    keep: Callable[[Dossier], Kept] = _whole,  # type: ignore[assignment]
) -> ForPublication[Kept]:
    """The committed records of the rounds to publish.

    By default the closed rounds; with ``draft``, the scored ones too (marked provisional).
    A round that has not been scored is never published. A scored round whose record no
    longer matches its inputs is refused.

    Raises:
        GenError: a round asked is not closed (nor scored, with ``draft``), or a record is stale.
        InvalidCall: errors concern a round to publish.
    """
    allowed = {State.closed, State.scored} if draft else {State.closed}
    if round_ids:
        for round_id in round_ids:
            state = checked.state(round_id)
            if state not in allowed:
                hint = (
                    "publish it with --draft, or close it with gen close"
                    if state is State.scored
                    else "score it first"
                )
                raise GenError(f"round {round_id} is {_STATE_WORDS[state]}: {hint}")
        wanted = list(dict.fromkeys(round_ids))
    else:
        wanted = [r.id for r in checked.call.rounds if checked.state(r.id) in allowed]
    require(checked, wanted, "publish")
    drafts = frozenset(r for r in wanted if checked.state(r) is State.scored)
    ordered = [r.id for r in chronological(checked.call) if r.id in drafts]
    # what the publication reads of each: a few megabytes each, not a hundred
    records = {r: found or {} for r, found in checked.records_of(ordered, published_of).items()}
    named = {r: _laureates(records[r]) for r in ordered}
    found = _proven_apart(checked, ordered, lambda here, r: _kept(here, r, named[r], keep))
    stale = []
    dossiers: dict[str, Kept] = {}
    granted: dict[str, Decimal] = {}
    proven_here = 0
    for round_id, kept in zip(ordered, found, strict=True):
        spent = granted_in(checked.records.get(round_id) or {})
        if kept is None or spent is None:
            break
        granted[round_id] = spent
        dossiers.update(kept)
        proven_here += 1
    # from the first round not proven on, in time order, as each feeds the next
    rest = ordered[proven_here:]
    hoped = {r for r, kept in zip(ordered, found, strict=True) if kept is not None}

    def drafted(
        round_id: str,
        before: Callable[[], Mapping[str, Decimal]],
        granted_known: Callable[[Decimal], None],
    ) -> tuple[Decimal, tuple[str | None, dict[str, Kept]]]:
        problem, laureates, spent = _draft_read(
            checked, round_id, before, named[round_id], keep, round_id in hoped, granted_known
        )
        return spent, (problem, laureates)

    for round_id, (problem, laureates) in zip(
        rest, _chained(checked, rest, granted, drafted), strict=True
    ):
        if problem is not None:
            stale.append(f"{round_id} ({problem})")
        dossiers.update(laureates)
    if stale:
        raise GenError(
            "decision records are stale for round(s) "
            + "; ".join(stale)
            + ": run gen score --round ROUND and commit the record",
            EXIT_PROBLEMS,
        )
    closed = checked.records_of([r for r in wanted if r not in records], published_of)
    records = {r: records[r] if r in records else closed[r] or {} for r in wanted}
    return ForPublication(records, drafts, dossiers)


def _draft_read(
    checked: Checked,
    round_id: str,
    granted_before: Callable[[], Mapping[str, Decimal]],
    named: Collection[str],
    keep: Callable[[Dossier], Kept],
    hoped: bool,
    granted_known: Callable[[Decimal], None] | None = None,
) -> tuple[str | None, dict[str, Kept], Decimal]:
    """A draft round read: why its record is stale (None: fresh), its laureates, its grants.

    Computed unless a proof shows the record fresh; then the round's models and outcome
    are let go before its record is written out and compared with the committed one (at
    25,000 dossiers, the models take 300 MB, the two texts 64 MB).

    Args:
        granted_before: what gives the grants of the rounds before, asked when needed.
        hoped: a proof of the record was found with the grants earlier records say: it
            is looked for again before the round is computed (found when they held).
        granted_known: told the round's grants as soon as they are known (``score_round``).
    """
    here = with_round(checked, round_id)
    kept = _kept(here, round_id, named, keep)
    if hoped:
        granted = dict(granted_before())
        if _proven_fresh(here, round_id, granted):
            return None, kept, granted[round_id]
    fmt = record_format(checked.records.get(round_id))
    one = score_round(
        here, round_id, granted_before=granted_before, fmt=fmt, granted_known=granted_known
    )
    spent = _granted(one)
    record, path, proof = one.record, one.path, one.proof
    del here, one  # only the record is compared
    if _fresh_text(checked, path, render_record(record), proof):
        return None, kept, spent
    changed = changed_decisions(checked.record(round_id) or {}, record)
    return listed(changed) or "inputs changed", kept, spent


def _kept(
    checked: Checked, round_id: str, named: Collection[str], keep: Callable[[Dossier], Kept]
) -> dict[str, Kept]:
    """What is kept of the dossiers of a round that ``named`` names, by id.

    Only those are built: found by their facts, the others stay packed.
    """
    kept: dict[str, Kept] = {}
    for source, facts, packed in checked.folder.dossier_entries:
        ident = facts.id
        if ident is None or ident not in named or not facts.whole or facts.round != round_id:
            continue
        if folder_above(source.path) == round_id:
            kept[ident] = keep(whole_dossier(packed))
    return kept


def _proven_draft(checked: Checked, round_id: str, granted: Mapping[str, Decimal]) -> bool:
    """Whether a proof shows a scored round's committed record is what its inputs give.

    Args:
        granted: what earlier rounds granted, computed in this run (the others' records
            say it).
    """
    fmt = record_format(checked.records.get(round_id))
    seen = _committed_digest(checked, round_id)
    if seen is None or granted_in(checked.records.get(round_id) or {}) is None:
        return False
    if not may_be_proven(checked.folder.batch.cache, seen):
        return False
    key = round_proof(checked, round_id, granted, fmt)
    return proven(checked.folder.batch.cache, key, seen)


def _committed_digest(checked: Checked, round_id: str) -> bytes | None:
    """The SHA-256 of a round's committed record, None when there is none.

    An outline's is the digest of the bytes that were checked (``Checked.record`` reads
    the record whole only if they still are); another's is read now.
    """
    path = record_path(checked.folder.root, round_id)
    if checked.light and checked.records.get(round_id) is not None:
        known = checked.contents.get(f"{round_id}/{path.name}")
        if known is not None:
            return known
    committed = record_text(path)
    if not committed:
        return None
    return hashlib.sha256(committed.encode("utf-8", "surrogateescape")).digest()


def _stale(checked: Checked, round_id: str, granted: dict[str, Decimal]) -> ScoredRound | None:
    """The round computed, when its committed record is not what it gives; None when it is.

    Fresh without computing when a proof says so (``_proven_fresh``); else computed and
    compared, its proof kept when found fresh. Adds what the round granted to ``granted``.
    """
    if _proven_fresh(checked, round_id, granted):
        return None
    fmt = record_format(checked.records.get(round_id))
    one = score_round(checked, round_id, granted_before=granted, fmt=fmt)
    granted[round_id] = _granted(one)
    return None if _fresh(checked, one) else one


def _laureates(record: Mapping[str, Any]) -> set[str]:
    """The ids a record makes laureates."""
    return {i for i, d in decisions_of(record).items() if d.get("status") == "laureat"}


def laureates_of(
    checked: Checked,
    records: Mapping[str, Mapping[str, Any]],
    read: Mapping[str, Kept] | None = None,
    read_rounds: Collection[str] = (),
    keep: Callable[[Dossier], Kept] = _whole,  # type: ignore[assignment]
) -> dict[str, Kept]:
    """The dossiers these records make laureates, by id: what a publication names.

    Of an outline, each round's files are read in turn and only its laureates kept.

    Args:
        read: the laureates of ``read_rounds``, by id, read already (those of the drafts,
            read to check their records): their rounds are not read again.
        keep: what is kept of each laureate's dossier (by default all of it).
    """
    named = {ident for record in records.values() for ident in _laureates(record)}
    if checked.folder.only is None:
        return {d.id: keep(d) for _, d in checked.folder.dossiers if d.id in named}
    found = {ident: d for ident, d in (read or {}).items() if ident in named}
    for round_id in records:
        if round_id in read_rounds:
            continue
        found.update(_kept(with_round(checked, round_id, lazy=True), round_id, named, keep))
    return found


_STATE_WORDS = {
    State.open: "still open (it takes dossiers)",
    State.review: "in review (not scored yet)",
    State.scored: "scored but not closed",
    State.closed: "closed",
}


def describe_state(state: State) -> str:
    """A round's state in words."""
    return _STATE_WORDS[state]
