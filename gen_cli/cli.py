"""The command line: parse arguments, call the library, print, exit with a documented status."""

from __future__ import annotations

import json
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from gen_cli import diagnostics
from gen_cli.diagnostics import Format
from gen_cli.errors import EXIT_BUG, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, GenError
from gen_cli.models import SCHEMAS
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
