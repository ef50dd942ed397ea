"""The secretariat's acts on a round's record: ``gen close`` and ``gen amend``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gen_cli import __version__
from gen_cli.errors import EXIT_PROBLEMS, GenError, InvalidCall
from gen_cli.lifecycle import State, accepted_late, amend_record, changed_inputs, close_record
from gen_cli.records import (
    computed_part,
    record_text,
    render_record,
    same_record,
    write_record,
)
from gen_cli.rounds import (
    Checked,
    describe_state,
    require,
    score_round,
    score_rounds,
)
from gen_cli.rules import Report

#: Frozen-round errors that an amendment is there to resolve.
AMENDABLE = frozenset({"E401", "E402"})


def close_round(checked: Checked, round_id: str, *, by: str, on: date) -> Path:
    """Make a scored round's record final and write it; return its path.

    Raises:
        GenError: the round is not scored, or its record no longer matches its inputs.
        InvalidCall: errors concern the round.
    """
    state = checked.state(round_id)
    if state is not State.scored:
        raise GenError(f"round {round_id} is {describe_state(state)}: only a scored round closes")
    require(checked, [round_id], "close it")
    (scored,) = score_rounds(checked, [round_id])
    if not same_record(record_text(scored.path), scored.text):
        raise GenError(
            f"round {round_id}'s decision record no longer matches its inputs, or was written "
            f"by an earlier version of gen: run gen score --round {round_id}, review and "
            "commit the record, then close it",
            EXIT_PROBLEMS,
        )
    record = close_record(scored.record, by=by, on=on, version=__version__)
    write_record(scored.path, render_record(record))
    return scored.path


@dataclass(frozen=True)
class Amended:
    """What ``gen amend`` did."""

    path: Path
    files: list[str]  # the input files that changed
    decisions: list[str]  # the dossiers whose decision changed


def amend_round(
    checked: Checked, round_id: str, *, by: str, on: date, reason: str, late: list[str]
) -> Amended:
    """Recompute a closed round from its files as they are now and keep why in its record.

    Raises:
        GenError: the round is not closed, the reason is empty, nothing changed, or a
            dossier to accept late is not a late dossier of the round.
        InvalidCall: errors other than the changes being amended concern the round.
    """
    state = checked.state(round_id)
    if state is not State.closed:
        raise GenError(
            f"round {round_id} is {describe_state(state)}: only a closed round is amended"
            + (f"; run gen score --round {round_id} instead" if state is State.scored else "")
        )
    if not reason.strip():
        raise GenError("say why the round is amended: --reason TEXT")
    other = [d for d in checked.blocking(round_id) if d.code not in AMENDABLE]
    if other:
        raise InvalidCall(
            Report(other, checked.report.checked),
            f"refusing to amend: gen validate finds {len(other)} other error(s) in round "
            f"{round_id}; fix them first",
        )
    old = checked.records[round_id]
    if old is None:
        raise GenError(f"round {round_id} has no decision record to amend")
    known_late = checked.late.get(round_id, {})
    for ident in late:
        if ident not in known_late:
            accepted = ident in accepted_late(old)
            raise GenError(
                f"dossier {ident!r} is accepted already in round {round_id}"
                if accepted
                else f"dossier {ident!r} is not a late dossier of round {round_id}"
            )
    scored = score_round(checked, round_id, accept=late)
    new = scored.record
    files = changed_inputs(old, new["inputs"])
    current = computed_part(old)
    if current == new and not set(late) - accepted_late(old):
        raise GenError(f"nothing changed in round {round_id} since it was closed: nothing to amend")
    record = amend_record(
        old, new, by=by, on=on, reason=reason.strip(), version=__version__, late=late
    )
    write_record(scored.path, render_record(record))
    return Amended(scored.path, sorted(files), list(record["amendments"][-1]["decisions"]))
