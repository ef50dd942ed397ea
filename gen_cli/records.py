"""Decision records: a round's outcome as a deterministic YAML file, and its inputs' digests.

The record holds no timestamp and sorts everything, so the same inputs give the same
bytes and a pull request that changes a record shows exactly which decisions moved.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from gen_cli import __version__
from gen_cli.batch import Batch, Reading
from gen_cli.blockyaml import dump, dump_to
from gen_cli.deliberation import Departure
from gen_cli.errors import GenError
from gen_cli.layout import READ_IN_PLACE, RECORD_FILE, RECORD_HEADER
from gen_cli.loading import file_digest, is_record_file
from gen_cli.models import Call, Deliberation, Round
from gen_cli.resultcache import hashed_result_key
from gen_cli.scoring import Evaluated, Exclusion
from gen_cli.selection import STATUSES, Outcome
from gen_cli.swap import replace_file, write_beside
from gen_cli.yamlload import parse_written, read_bytes, read_text

#: The format gen writes. Format 3 added the version of gen, the decision's date and
#: reference, the rules in clear, calibrated grades, and no mark for an ineligible dossier.
FORMAT = 3
#: The formats gen reads: a record is checked in the format it was written in.
FORMATS = (2, 3)
#: A record lists every dossier of its round: it may be far larger than an input file.
RECORD_MAX_BYTES = 1_000_000_000
HEADER = (
    RECORD_HEADER + " --round {round}`. Do not edit by hand:\n"
    "# change the inputs and run gen score again; `gen score --check` verifies it.\n"
)


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, as ``sha256:<hex>``."""
    return file_digest(path.read_bytes())


def rules_of(call: Call, round_: Round, reviewers: Collection[str]) -> dict[str, Any]:
    """The parts of call.yaml that decide a round's outcome, and only those, as plain data.

    Labels, rule messages, reviewers' names, other rounds, decision dates and the
    reviewers who have no review file in the round are left out, so that adding the next
    round, a reviewer for it, or rewording a label leaves a decided round as it was. The
    call's budget enters through what the round could spend (``envelope.available`` in
    the record), which the frozen check compares separately.

    Args:
        reviewers: the ids of the reviewers with a review file in the round (their
            affiliations decide which reviews are excluded for a conflict of interest).
    """
    return {
        "round": round_.model_dump(
            mode="json", include={"id", "opens", "closes", "envelope", "accept_late"}
        ),
        "eligibility": [r.model_dump(mode="json", exclude={"message"}) for r in call.eligibility],
        "grids": {
            theme: [c.model_dump(mode="json", exclude={"label"}) for c in grid.criteria]
            for theme, grid in sorted(call.grids.items())
        },
        "themes": sorted(t.id for t in call.themes),
        "scoring": call.scoring.model_dump(mode="json"),
        "selection": call.selection.model_dump(mode="json"),
        "reviewers": [
            r.model_dump(mode="json", include={"id", "affiliations"})
            for r in call.reviewers
            if r.id in reviewers
        ],
        "timezone": call.timezone,
    }


def rules_digest(call: Call, round_: Round, reviewers: Collection[str]) -> str:
    """The digest of :func:`rules_of`: the ``rules`` line of a record."""
    return digest_rules(rules_of(call, round_, reviewers))


def digest_rules(rules: Mapping[str, Any]) -> str:
    """The sha256 of rules as canonical JSON (sorted keys, no spaces, UTF-8)."""
    return _digest(rules)


def _digest(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


#: Calibrated grades are written to four decimals: enough to re-derive every mark's cents.
_CALIBRATED = Decimal("0.0001")


def _criteria(item: Evaluated, fmt: int, sealed: bool) -> dict[str, Any]:
    # A round whose reviews are sealed keeps its grades sealed: the record, committed where
    # everyone reads it, gives each criterion's aggregated value, enough to re-derive points.
    criteria: dict[str, Any] = {}
    for c in item.criteria:
        entry: dict[str, Any] = {"weight": str(c.weight)}
        if c.grades and not sealed:
            entry["grades"] = [str(g) for g in c.grades]
        if c.calibrated and fmt >= 3 and not sealed:
            entry["calibrated"] = [str(g.quantize(_CALIBRATED)) for g in c.calibrated]
        entry["value"] = None if c.value is None else str(c.value)
        entry["points"] = str(c.points)
        if c.spread is not None:
            entry["spread"] = str(c.spread)
        criteria[c.id] = entry
    return criteria


@dataclass(frozen=True)
class RoundResult:
    """Everything gen score computed for a round."""

    round: Round
    outcome: Outcome
    excluded: Sequence[Exclusion]
    uncalibrated: Sequence[str]
    available: Decimal  # the call's budget left before this round
    inputs: dict[str, str]  # relative path -> sha256
    rules: Mapping[str, Any]  # what rules_of gives
    deliberation: Deliberation | None = None
    departures: Sequence[Departure] = ()
    #: The round's reviews are sealed: the record leaves out individual grades.
    sealed: bool = False


def build_record(result: RoundResult, fmt: int = FORMAT) -> dict[str, Any]:
    """The decision record as plain data (strings, integers, lists and mappings only).

    Decisions are keyed by dossier id, so that the file lists them in a stable order and
    ``git diff`` pairs each dossier with itself; the ranking is the ``rank`` field.

    Args:
        fmt: the record format to write (an earlier one to check a record written in it).
    """
    outcome = result.outcome
    departed = {d.dossier: d for d in result.departures}
    decisions: dict[str, Any] = {}
    counts = dict.fromkeys(STATUSES, 0)
    requested = Decimal(0)
    for decision in outcome.decisions:
        item = decision.evaluated
        counts[decision.status] += 1
        requested += item.dossier.budget.requested
        entry: dict[str, Any] = {
            "status": decision.status,
            "rank": decision.rank,
            # An ineligible dossier did not compete: its grades are kept, not a mark.
            "mark": None if decision.status == "ineligible" and fmt >= 3 else _num(item.mark),
            "theme": item.dossier.principal_theme,
            "requested": _money(item.dossier.budget.requested),
            "granted": _money(decision.granted),
            "reasons": list(decision.reasons),
            "reviews": item.reviews,
            "criteria": _criteria(item, fmt, result.sealed),
        }
        if item.disagreements:
            entry["disagreements"] = list(item.disagreements)
        departure = departed.get(item.dossier.id)
        if departure is not None:
            # Side by side: what the ranking gave, and what changed it and why.
            entry["computed"] = {
                "status": departure.computed_status,
                "granted": _money(departure.computed_granted),
            }
            jury = departure.decision
            if jury is not None:
                entry["jury"] = {
                    "justification": jury.justification,
                    "public": jury.public,
                    **({"conditions": jury.conditions} if jury.conditions else {}),
                }
            if departure.withdrawal is not None:
                entry["withdrawn"] = {
                    "date": departure.withdrawal.date.isoformat(),
                    "reason": departure.withdrawal.reason,
                }
            if departure.promoted_after:
                entry["promoted"] = {"after": list(departure.promoted_after)}
        decisions[item.dossier.id] = entry
    if not counts["desiste"]:
        del counts["desiste"]  # records written before withdrawals existed stay the same
    eligible = sum(1 for d in outcome.decisions if d.status not in {"ineligible"})
    record: dict[str, Any] = {
        "format": fmt,
        "round": result.round.id,
        "rules": digest_rules(result.rules),
        "inputs": dict(sorted(result.inputs.items())),
        "envelope": {
            "amount": _money(result.round.envelope.amount),
            "available": _money(outcome.envelope),
            "granted": _money(outcome.granted),
            # What the round could still spend: granted + left + lapsed = available.
            "left": _money(outcome.envelope - outcome.granted - outcome.lapsed),
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
    if fmt >= 3:
        record["gen"] = __version__
        record["rules_applied"] = dict(result.rules)
        decided = result.round.decision_date
        if decided is not None or result.round.decision_reference:
            record["decided"] = decision_of(result.round)
    if result.deliberation is not None:
        record["jury"] = {
            "date": result.deliberation.date.isoformat(),
            "present": sorted(result.deliberation.present),
            "departures": len(result.departures),
        }
    return record


def decision_of(round_: Round) -> dict[str, str]:
    """When and under which reference a round was decided, as call.yaml says."""
    decision = {}
    if round_.decision_date is not None:
        decision["date"] = round_.decision_date.isoformat()
    if round_.decision_reference:
        decision["reference"] = round_.decision_reference
    return decision


#: A record's version line: ignored when a record is compared with its recomputation.
_VERSION_LINE = re.compile(r'^gen: "[^"\n]*"$', re.MULTILINE)


def same_record(committed: str | None, computed: str) -> bool:
    """True when a committed record's text says what the recomputation says.

    The version of gen that wrote it may differ: upgrading gen alone does not make a
    record stale.
    """
    if committed is None:
        return False
    return committed == computed or _VERSION_LINE.sub("", committed) == _VERSION_LINE.sub(
        "", computed
    )


def record_format(record: Mapping[str, Any] | None) -> int:
    """The format a record was written in (the current one when there is none)."""
    found = record.get("format") if record is not None else None
    return found if isinstance(found, int) and found in FORMATS else FORMAT


def decisions_of(record: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A record's decisions by dossier id (empty when the record does not hold them)."""
    entries = record.get("decisions")
    if not isinstance(entries, dict):
        return {}
    return {str(k): v for k, v in entries.items() if isinstance(v, dict)}


def ranking_of(record: Mapping[str, Any]) -> list[str]:
    """The dossier ids of a record in rank order, then the unranked ones by id."""
    decisions = decisions_of(record)

    def key(ident: str) -> tuple[int, int, str]:
        rank = decisions[ident].get("rank")
        return (0, rank, ident) if isinstance(rank, int) else (1, 0, ident)

    return sorted(decisions, key=key)


#: The parts of a record that gen close and gen amend add; the rest is what gen score computes.
LIFECYCLE_KEYS = ("closed", "amendments", "seal")


def computed_part(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record without what closing and amending added: what ``gen score`` computes."""
    return {k: v for k, v in record.items() if k not in LIFECYCLE_KEYS}


def seal_of(record: Mapping[str, Any]) -> str:
    """The digest of a record's content, seal excluded: a hand edit no longer matches it."""
    return _digest({k: v for k, v in record.items() if k != "seal"})


def render_record(record: dict[str, Any]) -> str:
    """The record's text: a header comment and sorted YAML."""
    return HEADER.format(round=record["round"]) + dump(record)


def record_bytes(record: dict[str, Any]) -> bytes:
    """``render_record``'s text in UTF-8, made a few thousand lines at a time.

    The lines of a round of 25,000 dossiers, held at once, take a hundred megabytes more
    than its text.
    """
    pieces = [HEADER.format(round=record["round"]).encode("utf-8")]
    dump_to(lambda text: pieces.append(text.encode("utf-8")), record)
    return b"".join(pieces)


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
    replace_file(path, text)


class StagedRecords:
    """Records written beside their place as their rounds are computed, put in place together.

    A round's record is written to a temporary file as soon as it is computed, so that
    its text is not kept while the next round is computed; :meth:`put_in_place` renames
    them all once every round is done.
    Leaving the ``with`` block any other way removes them: a run that fails halfway writes
    no record.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def __enter__(self) -> StagedRecords:
        return self

    def __exit__(self, *exc: object) -> None:
        for _, temporary in self._staged:
            temporary.unlink(missing_ok=True)
        self._staged.clear()

    def add(self, path: Path, data: bytes) -> bytes:
        """Write a record's bytes (``record_bytes``) beside ``path``; their SHA-256.

        Raises:
            GenError: the record's place is taken (see ``check_record_target``) or cannot
                be written.
        """
        check_record_target(path)
        self._staged.append((path, write_beside(path, lambda write: write(data))))
        return hashlib.sha256(data).digest()

    def put_in_place(self) -> list[Path]:
        """Rename every staged record over its place, in the order added; their paths.

        Raises:
            GenError: a place was taken meanwhile, or a rename failed.
        """
        for path, _ in self._staged:
            check_record_target(path)
        done = []
        for path, temporary in self._staged:
            try:
                temporary.replace(path)
            except OSError as error:
                raise GenError(f"cannot write {path}: {error.strerror}") from None
            done.append(path)
        self._staged.clear()
        return done


def record_text(path: Path) -> str | None:
    """A committed record's text; None when there is none, "" when it cannot be read.

    Raises:
        GenError: the record's place holds a folder or a link, or its folder cannot be read.
    """
    try:
        if not path.exists() and not path.is_symlink():
            return None
    except OSError as error:
        raise GenError(f"cannot read {path}: {error.strerror}") from None
    _check_writable(path)
    text, _ = read_text(path, str(path), limit=RECORD_MAX_BYTES)
    return "" if text is None else text


def read_record(
    path: Path, max_values: int | None = None, batch: Batch | None = None
) -> dict[str, Any] | None:
    """A committed record as plain data, or None when absent, unreadable or too large.

    Args:
        max_values: how many values a record of this round may hold at most (a record
            grows with its round, so the caller who knows the round sets the bound).
        batch: how to read it (a cache keeps a large round's record from being parsed
            again while it has not changed).
    """
    return record_from_text(record_text(path), path, max_values, batch)


def record_from_text(
    text: str | None,
    path: Path,
    max_values: int | None = None,
    batch: Batch | None = None,
    light: bool = False,
) -> dict[str, Any] | None:
    """``read_record`` of the text already read from ``path`` (``record_text``).

    Args:
        light: only its outline (``outline_of``), kept apart in the cache.
    """
    return records_from_texts([(text, path, max_values)], batch, light)[0]


#: A part of a record (``outline_of``, ``published_of``): what a command holds of it.
Part = Callable[[dict[str, Any] | None], dict[str, Any] | None]


def records_from_texts(
    records: Sequence[tuple[str | None, Path, int | None]],
    batch: Batch | None = None,
    light: bool = False,
) -> list[dict[str, Any] | None]:
    """:func:`record_from_text` of several records (text, path, bound), on every core.

    A round of 25,000 dossiers has a record that takes seconds to parse: the records of
    a call are parsed side by side.

    Args:
        light: the outline of each (``outline_of``), kept apart in the cache.
    """
    part = outline_of if light else None
    if batch is None:  # here, one after another
        whole = [record_data(t.encode("utf-8"), str(p), n) if t else None for t, p, n in records]
        return [part(r) for r in whole] if part is not None else whole
    readings = [
        Reading(
            functools.partial(record_data, max_values=limit),
            f"record with at most {limit} values",
            [(text.encode("utf-8"), str(path))],
        )
        for text, path, limit in records
        if text
    ]
    made = batch.run_parts(readings, part) if part is not None else batch.run_all(readings)
    found = iter(results[0] for results in made)
    return [next(found) if text else None for text, _, _ in records]


def records_from_files(
    records: Sequence[tuple[Path, str, int | None, bytes]],
    batch: Batch,
    part: Part | None = None,
) -> list[dict[str, Any] | None]:
    """Records known by their SHA-256 (path, shown path, bound, digest), or ``part`` of each.

    A record is read only if what is asked of it is not kept (32 MB of text a round of
    25,000 dossiers: held by this process, it stays its memory after it is let go), and
    is parsed on every core.

    Raises:
        GenError: a record is no longer the bytes of its digest (it changed since).
    """
    readings = [
        Reading(
            functools.partial(record_data, max_values=limit),
            f"record with at most {limit} values",
            [(None, str(path))],
            [hashed_result_key(f"record with at most {limit} values", str(path), digest)],
            fill=functools.partial(_hashed_bytes, path, shown, digest),
            digests=[digest],
        )
        for path, shown, limit, digest in records
    ]
    made = batch.run_parts(readings, part) if part is not None else batch.run_all(readings)
    return [results[0] for results in made]


def record_digest(path: Path) -> bytes | None:
    """The SHA-256 of a record file's bytes, read a piece at a time; None if unreadable."""
    try:
        descriptor = os.open(path, READ_IN_PLACE)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return None
            return hashlib.file_digest(file, "sha256").digest()
        except OSError:
            return None


def _hashed_bytes(path: Path, shown: str, digest: bytes, index: int) -> bytes:
    """The bytes of a record known by its digest (``Reading.fill``).

    Raises:
        GenError: they are no longer those bytes.
    """
    raw, _ = read_bytes(path, shown, limit=RECORD_MAX_BYTES)
    if raw is None or hashlib.sha256(raw).digest() != digest:
        raise GenError(f"{shown} changed while gen read the call folder: run the command again")
    return raw


#: What a record's outline leaves out: a round's decisions and inputs, hundreds of
#: megabytes at 100,000 dossiers, read again when they are needed.
HEAVY = frozenset({"decisions", "inputs"})


def readable(record: dict[str, Any] | None) -> bool:
    """Whether ``record`` is a decision record gen reads: a format it knows, decisions."""
    return record is not None and record.get("format") in FORMATS and "decisions" in record


def outline_of(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record without its decisions and inputs; None when it is not a record gen reads.

    What is left says the round's state, what it granted, its closing and amendments.
    """
    if record is None or not readable(record):
        return None
    return {k: v for k, v in record.items() if k not in HEAVY}


#: What a publication reads of a laureate's decision, or of one the jury departed from.
PUBLISHED = ("status", "granted", "rank", "jury", "computed")


def published_of(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a publication reads of a record: its outline, and of its decisions a part.

    Of a laureate's decision, and of one where the jury departed from the computed
    outcome (a publication counts them), the fields in PUBLISHED; of the others, their
    status. At 25,000 dossiers a round, a whole record holds about a hundred megabytes;
    a publication reads every round's. A record gen does not read is given back whole.
    """
    outline = outline_of(record)
    if record is None or outline is None or not isinstance(record["decisions"], dict):
        return record  # what gen cannot read is said by its check, not cut here
    decisions: dict[str, Any] = {}
    for ident, decision in record["decisions"].items():
        if not isinstance(decision, dict):
            decisions[ident] = decision
        elif decision.get("status") == "laureat" or isinstance(decision.get("jury"), dict):
            decisions[ident] = {k: decision[k] for k in PUBLISHED if k in decision}
        else:
            decisions[ident] = {"status": decision.get("status")}
    return {**outline, "decisions": decisions}


def record_data(raw: bytes, display: str, max_values: int | None = None) -> dict[str, Any] | None:
    """A record's bytes as plain data, or None when they are not one mapping."""
    return parse_written(raw.decode("utf-8"), display, max_values)


def record_values_limit(files: int) -> int:
    """The most values a decision record of a round of ``files`` input files may hold.

    A decision takes a few dozen values (its criteria, grades and reasons): 400 a file
    is several times what gen writes, and bounds what a forged record can cost to read.
    """
    return 2_000 + 400 * files


#: No grant total is ever this large; a record saying so has been tampered with.
_MAX_AMOUNT = Decimal("1e15")


def recorded_grant(amount: Decimal) -> Decimal:
    """What a record of a round that granted ``amount`` says it granted (``granted_in``).

    What a later run reads, known before the record is built.
    """
    said = granted_in({"envelope": {"granted": _money(amount)}})
    return said if said is not None else amount


def granted_in(record: dict[str, Any]) -> Decimal | None:
    """The total granted in a record, or None when the record does not say it clearly."""
    try:
        value = Decimal(str(record["envelope"]["granted"]))
    except (KeyError, TypeError, ArithmeticError):
        return None
    if not value.is_finite() or not 0 <= value < _MAX_AMOUNT:
        return None
    return value


def changed_decisions(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The dossiers whose status, rank, mark or grant differ between two records."""
    fields = ("status", "rank", "mark", "granted")

    def index(record: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        return {
            ident: tuple(str(entry.get(f)) for f in fields)
            for ident, entry in decisions_of(record).items()
        }

    before, after = index(old), index(new)
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
