"""The command line: parse arguments, call the library, print, exit with a documented status."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gen_cli import diagnostics
from gen_cli.diagnostics import Format
from gen_cli.errors import EXIT_BUG, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, GenError
from gen_cli.git import GitError, last_commit_time
from gen_cli.loading import CallFolder
from gen_cli.models import SCHEMAS
from gen_cli.publication import build_publication
from gen_cli.publish import generation_date, render_publication, template_dirs, write_publication
from gen_cli.records import check_record_target, write_record
from gen_cli.report import explain, ranking
from gen_cli.rounds import (
    InvalidCall,
    check_publishable,
    check_records,
    closed_rounds,
    load_valid,
    records_for_publication,
    score_rounds,
)
from gen_cli.rules import validate_call_folder

app = typer.Typer(
    name="gen",
    help="Run a call for projects from a git repository of YAML files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

CallOption = Annotated[
    Path,
    typer.Option("--call", envvar="GEN_CALL", help="The call folder (holds call.yaml)."),
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


@contextmanager
def _reporting_errors() -> Iterator[None]:
    """Print a GenError as one line and exit with its status (like pre-commit's error_handler)."""
    try:
        yield
    except InvalidCall as error:
        diagnostics.write(error.report.diagnostics, error.report.checked, Format.text, sys.stderr)
        typer.echo(f"gen: error: {error.message}", err=True)
        raise typer.Exit(error.exit_code) from None
    except GenError as error:
        typer.echo(f"gen: error: {error.message}", err=True)
        raise typer.Exit(error.exit_code) from None


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Report only on these files or folders (all rules still run)."),
    ] = None,
    call: CallOption = Path("dossiers"),
    fmt: FormatOption = Format.text,
) -> None:
    """Check call.yaml, every dossier and every review; report every problem.

    Exit status: 0 clean (warnings allowed), 1 problems found, 2 unreadable call folder
    or bad usage, 3 internal error.
    """
    with _reporting_errors():
        report = validate_call_folder(call, str(call), only=paths or ())
    diagnostics.write(report.diagnostics, report.checked, fmt, sys.stdout)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEMS)


class ScoreFormat(StrEnum):
    """Output formats of gen score."""

    text = "text"
    json = "json"


@app.command()
def score(
    round_ids: Annotated[
        list[str] | None, typer.Option("--round", help="The round to score (repeatable).")
    ] = None,
    all_rounds: Annotated[
        bool, typer.Option("--all", help="Every round whose submission window has ended.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Recompute every committed record; exit 1 if one is stale."),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print without writing.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Score a round that is still open.")
    ] = False,
    call: CallOption = Path("dossiers"),
    fmt: Annotated[
        ScoreFormat, typer.Option("--format", help="text, or json: the record on stdout.")
    ] = ScoreFormat.text,
) -> None:
    """Score rounds: eligibility, marks, ranking, selection; write <round>/results.yaml.

    Exit status: 0 done, 1 the call has validation errors or (with --check) a record is
    stale, 2 usage error, 3 internal error.
    """
    with _reporting_errors():
        folder = load_valid(call, str(call))
        assert folder.call is not None
        if check:
            _check(folder)
            return
        today = date.today()
        wanted = list(round_ids or [])
        if all_rounds:
            wanted += closed_rounds(folder.call, today)
        if not wanted:
            raise GenError("say which round to score: --round ID (repeatable) or --all")
        scored = score_rounds(folder, wanted, today=today, force=force)
    if fmt is ScoreFormat.json:
        records = [s.record for s in scored]
        typer.echo(
            json.dumps(
                records[0] if len(records) == 1 else records,
                indent=2,
                ensure_ascii=False,
                sort_keys=True,
            )
        )
    else:
        for one in scored:
            typer.echo(ranking(one) + "\n")
    if dry_run:
        return
    with _reporting_errors():
        for one in scored:
            check_record_target(one.path)
        for one in scored:
            write_record(one.path, one.text)
            if fmt is ScoreFormat.text:
                typer.echo(f"wrote {Path(str(call)) / one.path.relative_to(folder.root)}")


def _check(folder: CallFolder) -> None:
    stale = check_records(folder)
    for item in stale:
        shown = Path(folder.call_source.display).parent / item.path.relative_to(folder.root)
        if item.changed:
            detail = f"decisions differ for {', '.join(item.changed)}"
        elif item.inputs_changed:
            detail = "no decision differs, but its inputs do"
        else:
            detail = "it differs from what its inputs give (edited by hand, or by another gen)"
        typer.echo(f"{shown}: stale record for round {item.round_id}: {detail}")
        if item.inputs_changed:
            typer.echo(f"  inputs changed: {', '.join(item.inputs_changed)}")
    if stale:
        typer.echo(f"{len(stale)} stale record(s); run gen score --round ID and commit the result")
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo("every decision record matches its inputs")


@app.command()
def show(
    dossier_id: Annotated[str, typer.Argument(help="The dossier's id.")],
    call: CallOption = Path("dossiers"),
) -> None:
    """Show one dossier's scoring breakdown and status, explained in words."""
    with _reporting_errors():
        folder = load_valid(call, str(call))
        assert folder.call is not None
        dossier = next((d for _, d in folder.dossiers if d.id == dossier_id), None)
        if dossier is None:
            raise GenError(f"no dossier {dossier_id!r} in {call}")
        (scored,) = score_rounds(folder, [dossier.round], today=date.max, force=True)
    decision = next(
        d for d in scored.result.outcome.decisions if d.evaluated.dossier.id == dossier_id
    )
    typer.echo(explain(decision, dossier.round))


class Language(StrEnum):
    """Languages of published documents."""

    fr = "fr"
    en = "en"


@app.command()
def publish(
    round_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--round", help="A round to publish (repeatable); default: all closed rounds."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="The folder to write (replaced whole).")
    ] = Path("public"),
    lang: Annotated[
        Language, typer.Option("--lang", help="Language of the documents.")
    ] = Language.fr,
    templates: Annotated[
        Path | None,
        typer.Option("--templates", help="Templates overriding the packaged ones by name."),
    ] = None,
    rescore: Annotated[
        bool, typer.Option("--rescore", help="Rewrite stale decision records instead of refusing.")
    ] = False,
    date_from_git: Annotated[
        bool, typer.Option("--date-from-git", help="Date the publication with the last commit.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Publish a round named with --round that is still open.")
    ] = False,
    call: CallOption = Path("dossiers"),
) -> None:
    """Render the laureates and the budget to Markdown, a static HTML site and open data.

    Exit status: 0 written, 1 the call has errors or a decision record is stale, 2 usage
    error or an output folder gen will not replace, 3 internal error.
    """
    with _reporting_errors():
        folder = load_valid(call, str(call))
        assert folder.call is not None
        chosen = records_for_publication(
            folder, list(round_ids or []), today=date.today(), rescore=rescore, force=force
        )
        check_publishable(folder, chosen.records)
        dossiers = {d.id: d for _, d in folder.dossiers}
        publication = build_publication(folder.call, chosen.records, dossiers)
        stamp = os.environ.get("SOURCE_DATE_EPOCH")
        if date_from_git and not stamp:
            try:
                stamp = str(last_commit_time(call))
            except GitError as error:
                raise GenError(str(error)) from None
        files = render_publication(
            publication, lang.value, template_dirs(call, templates), generation_date(stamp)
        )
        write_publication(out, files, protected=[call])
        for path, text in chosen.to_write:
            write_record(path, text)
            typer.echo(f"wrote {Path(str(call)) / path.relative_to(folder.root)}")
    budget = publication.budget
    typer.echo(
        f"published {budget.laureates} laureate(s) of {len(publication.rounds)} round(s), "
        f"{len(files)} files in {out}; open {out / 'index.html'}"
    )


@app.command()
def schema(
    kind: Annotated[
        str | None, typer.Argument(help="call, dossier or review; all three when omitted.")
    ] = None,
) -> None:
    """Print the JSON Schema of the file formats, for editors and the YAML language server."""
    with _reporting_errors():
        document = _schema_document(kind)
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True))


def _schema_document(kind: str | None) -> dict[str, object]:
    if kind is None:
        return {name: model.model_json_schema() for name, model in SCHEMAS.items()}
    if kind in SCHEMAS:
        return SCHEMAS[kind].model_json_schema()
    raise GenError(f"unknown kind {kind!r}: choose call, dossier or review")


def _log_crash() -> str:
    with tempfile.NamedTemporaryFile(
        "w", prefix="gen-crash-", suffix=".log", delete=False, encoding="utf-8"
    ) as log:
        traceback.print_exc(file=log)
        return log.name


def main(argv: list[str] | None = None) -> int:
    """Run gen and return its exit status; an unexpected error is logged, not shown."""
    try:
        app(args=argv, prog_name="gen")
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or EXIT_OK
        return EXIT_USAGE
    except Exception as error:
        log = _log_crash()
        sys.stderr.write(
            f"gen: internal error ({type(error).__name__}); this is a bug in gen. "
            f"The traceback is in {log}\n"
        )
        return EXIT_BUG
    return EXIT_OK
