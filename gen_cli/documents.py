"""What the people a decision concerns receive, from a round's record: explanations, letters, the jury's spreadsheet.

The pure parts live in ``showing`` (the explanation), ``letters`` (the letters' content)
and ``export`` (the sheets); this module gathers their inputs from a checked call folder
and writes the files, so that the command line only parses arguments and prints.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from gen_cli.errors import GenError
from gen_cli.export import jury_sheets, write_export
from gen_cli.history import is_final
from gen_cli.letters import LETTERS_MARKER, build_letters, letter_files
from gen_cli.publish import render_template, template_dirs, template_file, write_publication
from gen_cli.rounds import Checked, require, round_of, score_rounds
from gen_cli.sealing import IDENTITY_VARIABLE
from gen_cli.showing import Explanation, explain_record


def show_dossier(checked: Checked, dossier_id: str, lang: str, *, recompute: bool) -> Explanation:
    """Explain one dossier's decision, from its round's committed record.

    When the files no longer give the record's decisions, the explanation says so and
    keeps the record's; with ``recompute`` it shows what the files give, saying so. A
    round not scored yet is computed, and the explanation says it is not a decision.

    Raises:
        GenError: no such dossier, or its round's record has no decision for it.
        InvalidCall: errors stop the round from being computed when it must be.
    """
    dossier = next((d for _, d in checked.folder.dossiers if d.id == dossier_id), None)
    if dossier is None:
        raise GenError(f"no dossier {dossier_id!r} in {checked.folder.root}")
    round_id = dossier.round
    record = checked.records.get(round_id)
    fresh: dict[str, Any] | None = None
    if record is None or recompute or not checked.blocking(round_id):
        require(checked, [round_id], "show it")
        # Compared with the record in its own format: an earlier gen's record is not stale.
        (scored,) = score_rounds(checked, [round_id], as_committed=not recompute)
        fresh = scored.record
    note: str | None = None
    if record is None:
        record, note = fresh, "unscored"
    elif fresh is not None and recompute and fresh != record:
        record, note = fresh, "recomputed"
    elif fresh is not None and fresh.get("decisions") != record.get("decisions"):
        note = "stale"
    if record is None:
        raise GenError(f"round {round_id} has no decision record: run gen score")
    if dossier_id not in record.get("decisions", {}):
        raise GenError(f"the record of round {round_id} has no decision for {dossier_id!r}")
    return explain_record(checked.call, round_id, record, dossier, lang, note)


def write_letters(
    checked: Checked,
    round_id: str,
    target: Path,
    *,
    lang: str,
    templates: Path | None,
    sender: str,
) -> int:
    """Write the decision letters of a closed round into ``target``; return how many.

    Raises:
        GenError: the round is not closed, call.yaml lacks what letters need, or
            ``target`` is not gen's to replace.
    """
    round_ = round_of(checked.call, round_id)
    record = checked.records.get(round_id)
    if record is None or not is_final(record):
        raise GenError(
            f"round {round_id} is not closed: letters are written once its decisions are "
            f"final (gen close {round_id})"
        )
    letters = checked.call.letters
    if letters is not None and letters.share_comments:
        _opened(checked, round_id, "letters share the reviewers' comments")
    private = checked.folder.private_sealed_in(round_id)
    if private:
        raise GenError(
            f"round {round_id} has {len(private)} dossier(s) whose contact is sealed, and "
            "letters are addressed to it: give the secretariat's identity with --identity "
            f"FILE (or {IDENTITY_VARIABLE})"
        )
    root = checked.folder.root
    dossiers = [d for _, d in checked.folder.dossiers if d.round == round_id]
    reviews = [r for _, r in checked.folder.reviews if r.round == round_id]
    written = build_letters(checked.call, round_id, record, dossiers, reviews, lang)
    dirs = template_dirs(root, templates)
    if round_.decision_date is None:  # build_letters refuses it first
        raise GenError(f"round {round_id} has no decision_date in call.yaml")
    files = letter_files(
        written,
        lambda letter: render_template(dirs, "letter.md", letter=letter),
        template_file(dirs, "letter.typ"),
        sender,
        round_.decision_date,
    )
    write_publication(
        target,
        files,
        protected=[root / r.id for r in checked.call.rounds] + [root / "templates"],
        enclosing=[root],
        marker=LETTERS_MARKER,
    )
    return len(written)


def export_round(
    checked: Checked,
    round_id: str,
    target: Path,
    *,
    fmt: str,
    lang: str,
    private: bool,
    today: date,
    force: bool,
) -> None:
    """Write a round's full ranking for the jury meeting, from its committed record.

    Raises:
        GenError: the round has no record, or ``target`` exists and ``force`` is off.
    """
    round_of(checked.call, round_id)
    record = checked.records.get(round_id)
    if record is None:
        raise GenError(
            f"round {round_id} has no decision record: run gen score --round {round_id} first"
        )
    if private:
        _opened(checked, round_id, "--private adds the reviewers' comments")
    sheets = jury_sheets(
        checked.call,
        round_id,
        record,
        {d.id: d for _, d in checked.folder.dossiers},
        [r for _, r in checked.folder.reviews],
        lang,
        private,
    )
    write_export(target, sheets, fmt, lang, today, force=force)


def _opened(checked: Checked, round_id: str, why: str) -> None:
    """Refuse to go on without the reviews that are still sealed.

    Raises:
        GenError: the round holds sealed reviews gen could not open.
    """
    sealed = checked.folder.sealed_in(round_id)
    if sealed:
        raise GenError(
            f"round {round_id} holds {len(sealed)} sealed review(s) and {why}: give the "
            f"secretariat's identity with --identity FILE (or {IDENTITY_VARIABLE})"
        )
