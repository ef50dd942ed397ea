"""The command line: parse arguments, call the library, print, exit with a documented status."""

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.progress import TaskID

    from gen_cli.batch import Batch
    from gen_cli.rounds import Checked

from gen_cli import __version__, diagnostics
from gen_cli.clock import today
from gen_cli.diagnostics import Format
from gen_cli.errors import EXIT_BUG, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, GenError, InvalidCall
from gen_cli.git import GitError, in_repository, repository_root, user_name
from gen_cli.locking import LOCK_FILE, locked
from gen_cli.sealing import IDENTITY_VARIABLE, load_identities


class Colour(StrEnum):
    """When gen validate colours its text output."""

    auto = "auto"
    always = "always"
    never = "never"


#: -h as well as --help, as in most command-line tools.
HELP = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="gen",
    help="Run a call for projects from a git repository of YAML files.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=HELP,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print gen's version and exit."
        ),
    ] = False,
) -> None:
    """Run a call for projects from a git repository of YAML files."""


CallOption = Annotated[
    Path | None,
    typer.Option(
        "--call",
        metavar="DIR",
        envvar="GEN_CALL",
        help="The call folder (holds call.yaml); by default the current folder or the "
        "nearest parent holding call.yaml, else ./dossiers.",
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


@contextmanager
def _reporting_errors(brief: bool = False) -> Iterator[None]:
    """Print a GenError as one line and exit with its status (like pre-commit's error_handler).

    Args:
        brief: do not list the diagnostics of an InvalidCall (gen validate shows them).
    """
    try:
        yield
    except InvalidCall as error:
        if not brief:
            diagnostics.write(
                error.report.diagnostics, error.report.checked, Format.text, sys.stderr
            )
        typer.echo(f"gen: error: {error.message}", err=True)
        raise typer.Exit(error.exit_code) from None
    except GitError as error:
        typer.echo(f"gen: error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except GenError as error:
        typer.echo(f"gen: error: {error.message}", err=True)
        raise typer.Exit(error.exit_code) from None


IdentityOption = Annotated[
    Path | None,
    typer.Option(
        "--identity",
        metavar="FILE",
        envvar=IDENTITY_VARIABLE,
        help="The secretariat's age identity file: sealed reviews are opened in memory.",
    ),
]
GitOption = Annotated[
    bool | None,
    typer.Option(
        "--git/--no-git",
        help="Date each dossier by the default branch's history (default: on inside a git "
        "repository).",
        show_default=False,
    ),
]


def _checked(
    call: Path | None, use_git: bool | None = None, identity: Path | None = None
) -> "Checked":
    from gen_cli.history import submission_history
    from gen_cli.layout import find_call_folder
    from gen_cli.rounds import load_checked

    root = find_call_folder(call)
    history = submission_history(root, use_git)
    with _batch(root) as batch:
        return load_checked(root, str(root), history, load_identities(identity), batch)


@contextmanager
def _checked_by_round(
    call: Path | None, use_git: bool | None, identity: Path | None
) -> Iterator["Checked"]:
    """The call folder checked; when the check is kept, each round is read as it is used.

    A call of 100,000 dossiers is then never held whole. Sealed reviews, opened in memory
    with the identity and never kept, are read with the rest at once.
    """
    from gen_cli.history import submission_history
    from gen_cli.layout import find_call_folder
    from gen_cli.loading import collection_paused
    from gen_cli.rounds import load_checked, load_outline

    root = find_call_folder(call)
    history = submission_history(root, use_git)
    identities = load_identities(identity)
    # what a round computes lives until it is written, and holds no cycle: the collector
    # would go over millions of objects again and again
    with _batch(root) as batch, collection_paused():
        outline = None if identities else load_outline(root, str(root), history, batch)
        yield outline or load_checked(root, str(root), history, identities, batch)


#: Fewer files than this are read too fast for a progress bar to be more than a flicker.
PROGRESS_FROM = 2_000
#: What a progress bar says of the steps that are not files read (told only when long).
STEPS = {"rounds": "computing rounds", "pages": "writing pages"}


@contextmanager
def _batch(root: Path, jobs: int | None = None, no_cache: bool = False) -> Iterator["Batch"]:
    """How files are read: every core, the user's cache, a progress bar on a terminal.

    The cache is refused inside the call folder or its repository, where a pull request
    could have planted one.
    """
    from gen_cli.batch import Batch

    top = None
    with contextlib.suppress(GitError):
        top = repository_root(root)
    batch = Batch.default(outside=[root, *([top] if top else [])])
    batch.jobs = jobs or batch.jobs
    batch.cache = None if no_cache else batch.cache
    try:
        with _progress_shown(batch):
            yield batch
    finally:
        if batch.cache is not None:
            batch.cache.close()


@contextmanager
def _progress_shown(batch: "Batch") -> Iterator[None]:
    """A progress bar of the files the batch reads, on the standard error if a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    # refreshed by hand, with no thread of its own: the reading processes fork from this one
    with Progress(
        *columns, console=Console(stderr=True), transient=True, auto_refresh=False
    ) as bar:
        tasks: dict[str, TaskID] = {}
        shown = [0.0]  # when the bar was last drawn

        def tell(kind: str, done: int, total: int) -> None:
            if total < PROGRESS_FROM and kind not in STEPS:
                return
            if kind not in tasks:
                tasks[kind] = bar.add_task(STEPS.get(kind, f"reading {kind} files"), total=total)
            bar.advance(tasks[kind], done)
            now = time.monotonic()
            if now - shown[0] > 0.1:
                shown[0] = now
                bar.refresh()

        batch.progress = tell
        yield


#: The formats read by CI tools, which place annotations by the file's path in the repository.
_ANNOTATIONS = frozenset({Format.github, Format.gitlab, Format.sarif})


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH", help="Report only on these files or folders (all rules still run)."
        ),
    ] = None,
    call: CallOption = None,
    fmt: FormatOption = Format.text,
    use_git: GitOption = None,
    identity: IdentityOption = None,
    show_sealed: Annotated[
        bool,
        typer.Option(
            "--show-sealed",
            help="Say what is wrong in sealed reviews (hidden by default: logs may be public).",
        ),
    ] = False,
    color: Annotated[
        Colour,
        typer.Option(
            "--color", help="auto (a terminal, FORCE_COLOR, not NO_COLOR), always or never."
        ),
    ] = Colour.auto,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read every file again, not the results kept from earlier runs (see "
            "GEN_CACHE_DIR).",
        ),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            metavar="N",
            min=1,
            help="Processes reading files (default: one per core).",
        ),
    ] = None,
) -> None:
    """Check call.yaml, every dossier and every review; report every problem.

    Example: gen validate --format github (in CI), or gen validate 2022Q1/ (one round).

    Exit status: 0 clean (warnings allowed), 1 problems found, 2 unreadable call folder
    or bad usage, 3 internal error.
    """
    from gen_cli.diagnostics import diagnostics_within
    from gen_cli.history import submission_history
    from gen_cli.layout import find_call_folder, require_call_folder
    from gen_cli.memo import checked_report

    with _reporting_errors():
        root = find_call_folder(call)
        # CI tools place annotations by the path from the repository's top
        shown = (in_repository(root) if fmt in _ANNOTATIONS else None) or str(root)
        require_call_folder(root, shown)
        identities = load_identities(identity)
        history = submission_history(root, use_git)
        with _batch(root, jobs, no_cache) as batch:
            whole = checked_report(root, shown, identities, show_sealed, history, batch)
        shown_diagnostics = diagnostics_within(whole.diagnostics, root, whole.paths, paths or ())
    diagnostics.write(shown_diagnostics, whole.checked, fmt, sys.stdout, color.value)
    failed = any(d.severity == "error" for d in shown_diagnostics)
    raise typer.Exit(EXIT_PROBLEMS if failed else EXIT_OK)


class ScoreFormat(StrEnum):
    """Output formats of gen score."""

    text = "text"
    json = "json"


@app.command()
def score(
    round_ids: Annotated[
        list[str] | None,
        typer.Option("--round", metavar="ROUND", help="The round to score (repeatable)."),
    ] = None,
    all_rounds: Annotated[
        bool, typer.Option("--all", help="Every round in review or scored (not open, not closed).")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Check every committed record against its inputs; exit 1 if one is stale.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print without writing (an open round too, named with --round)."
        ),
    ] = False,
    call: CallOption = None,
    fmt: Annotated[
        ScoreFormat, typer.Option("--format", help="text, or json: the record on stdout.")
    ] = ScoreFormat.text,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Score rounds: eligibility, marks, ranking, selection; write <round>/results.yaml.

    Example: gen score --round 2022Q1 --dry-run, then gen score --round 2022Q1.

    Exit status: 0 done, 1 errors concern the rounds asked or (with --check) a record is
    stale, 2 usage error (such as a closed or open round), 3 internal error.
    """
    from gen_cli.proofs import keep_proof
    from gen_cli.records import StagedRecords, record_bytes
    from gen_cli.report import ranking
    from gen_cli.rounds import ScoredRound, each_scored_as, require, rounds_to_score

    if check:
        with _reporting_errors(brief=True), _checked_by_round(call, use_git, identity) as checked:
            _check(checked)
        return
    writing = nullcontext() if dry_run else _call_locked(call, "gen score")
    # each round is let go once computed: its table (and data, for --format json) is kept,
    # its record written beside its place, until every round is computed
    computed: list[tuple[str, dict[str, Any] | None]] = []
    with (
        _reporting_errors(),
        writing,
        StagedRecords() as staged,
        _checked_by_round(call, use_git, identity) as checked,
    ):
        if dry_run and round_ids and not all_rounds:
            wanted = list(round_ids)
        else:
            wanted = rounds_to_score(checked, list(round_ids or []), all_rounds=all_rounds)
        if not wanted and all_rounds:
            raise GenError(
                "no round to score: --all scores the rounds whose submissions are closed "
                "and that are not closed themselves (gen status says where each stands); "
                "gen score --round ROUND --dry-run shows an open round's outcome so far"
            )
        if not wanted:
            raise GenError("say which round to score: --round ID (repeatable) or --all")
        require(checked, wanted, ignore=["E404", "E406"])

        def what_of(one: ScoredRound) -> tuple[str, dict[str, Any] | None, bytes | None]:
            # made where the round is computed: what is shown of it, and its record's bytes
            table = ranking(one) if fmt is ScoreFormat.text else ""
            data = one.record if fmt is ScoreFormat.json else None
            return table, data, None if dry_run else record_bytes(one.record)

        for (table, data, record), path, proof in each_scored_as(checked, wanted, what_of):
            computed.append((table, data))
            if record is not None:
                digest = staged.add(path, record)
                keep_proof(checked.folder.batch.cache, proof, digest)
            del record
        if fmt is ScoreFormat.json:
            records = [data for _, data in computed]
            typer.echo(
                json.dumps(
                    records[0] if len(records) == 1 else records,
                    indent=2,
                    ensure_ascii=False,
                    sort_keys=True,
                )
            )
        else:
            for table, _ in computed:
                typer.echo(table + "\n")
        written = [] if dry_run else staged.put_in_place()
    root, shown = checked.folder.root, Path(checked.folder.call_source.display).parent
    if fmt is ScoreFormat.text:
        for path in written:
            typer.echo(f"wrote {shown / path.relative_to(root)}")


def _check(checked: "Checked") -> None:
    """Print what gen score --check finds; exit 1 when a record is stale or not checkable."""
    from gen_cli.checking import check_committed

    report = check_committed(checked)
    for line in report.notes:
        typer.echo(line, err=True)
    for line in report.lines:
        typer.echo(line)
    if report.failed:
        raise typer.Exit(EXIT_PROBLEMS)


class Language(StrEnum):
    """Languages of published documents."""

    fr = "fr"
    en = "en"


@app.command()
def letters(
    round_id: Annotated[str, typer.Argument(metavar="ROUND", help="The closed round.")],
    lang: Annotated[
        Language, typer.Option("--lang", help="Language of the letters.")
    ] = Language.fr,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="DIR", help="The folder to write (default: private/letters/ROUND)."
        ),
    ] = None,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", metavar="DIR", help="Templates overriding the packaged ones by name."
        ),
    ] = None,
    sender: Annotated[
        str, typer.Option("--from", metavar="EMAIL", help="The sender of the e-mails gen prepares.")
    ] = "secretariat@example.org",
    call: CallOption = None,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Write one decision letter a dossier of a closed round: Markdown, PDF and e-mail.

    Example: gen letters 2022Q1 --lang fr --from secretariat@example.org

    Exit status: 0 written, 2 the round is not closed, call.yaml lacks letters or a
    decision date, or the folder is not gen's to replace; 3 internal error.
    """
    from gen_cli.documents import write_letters  # jinja2, Babel: only for documents

    target = out if out is not None else Path("private") / "letters" / round_id
    with _reporting_errors(), _locked_beside(target, "gen letters"):
        checked = _checked(call, use_git, identity)
        count = write_letters(
            checked, round_id, target, lang=lang.value, templates=templates, sender=sender
        )
    typer.echo(
        f"wrote {count} letter(s) of round {round_id} in {target} (Markdown, PDF, "
        "e-mail, mailing.csv): they hold private data; gen does not send them"
    )


class ShowFormat(StrEnum):
    """Output formats of gen show."""

    text = "text"
    json = "json"


@app.command()
def show(
    dossier_id: Annotated[str, typer.Argument(metavar="DOSSIER", help="The dossier's id.")],
    lang: Annotated[
        Language, typer.Option("--lang", help="Language of the explanation.")
    ] = Language.fr,
    recompute: Annotated[
        bool,
        typer.Option(
            "--recompute", help="Show what the files give now, not the recorded decision."
        ),
    ] = False,
    fmt: Annotated[
        ShowFormat, typer.Option("--format", help="text, or json for tools.")
    ] = ShowFormat.text,
    call: CallOption = None,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Explain one dossier's decision to the person it concerns, from the decision record.

    Example: gen show mon-projet --lang en

    Exit status: 0 shown, 2 unknown dossier, a round without a record or unreadable call
    folder, 3 internal error.
    """
    from gen_cli.documents import show_dossier  # Babel: only for documents

    with _reporting_errors():
        checked = _checked(call, use_git, identity)
        explained = show_dossier(checked, dossier_id, lang.value, recompute=recompute)
    if fmt is ShowFormat.json:
        typer.echo(json.dumps(explained.data, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        typer.echo("\n".join(explained.lines))


class ExportFormat(StrEnum):
    """Formats of the jury's spreadsheet."""

    xlsx = "xlsx"
    csv = "csv"


@app.command()
def export(
    round_id: Annotated[str, typer.Argument(metavar="ROUND", help="The scored or closed round.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="xlsx, or csv for a French spreadsheet.")
    ] = ExportFormat.xlsx,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE", help="The file to write (default: private/ROUND-jury.FORMAT)."
        ),
    ] = None,
    private: Annotated[
        bool,
        typer.Option("--private", help="Add reviewers' names and comments (secretariat only)."),
    ] = False,
    lang: Annotated[
        Language, typer.Option("--lang", help="Language of the headers.")
    ] = Language.fr,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    call: CallOption = None,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Write a round's full ranking for the jury meeting, from its decision record.

    Example: gen export 2022Q1 --format csv --out private/2022Q1-jury.csv

    Exit status: 0 written, 2 the round has no record or the file exists, 3 internal error.
    """
    from gen_cli.documents import export_round  # Babel: only for documents

    target = out if out is not None else Path("private") / f"{round_id}-jury.{fmt.value}"
    with _reporting_errors():
        checked = _checked(call, use_git, identity)
        export_round(
            checked,
            round_id,
            target,
            fmt=fmt.value,
            lang=lang.value,
            private=private,
            today=today(),
            force=force,
        )
    typer.echo(
        f"wrote {target}: the ranking of round {round_id}"
        + (" with reviewers' names and comments: keep it private" if private else "")
    )


@app.command()
def publish(
    round_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--round",
            metavar="ROUND",
            help="A round to publish (repeatable); default: every closed round.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="The folder to write (replaced whole).")
    ] = Path("public"),
    langs: Annotated[
        list[Language] | None,
        typer.Option(
            "--lang",
            metavar="LANG",
            help="Language of the documents, fr or en; repeat it for one folder a language "
            "(--lang fr --lang en), each page linking to its translation. Default: the "
            "languages call.yaml declares (publication.languages), else fr.",
        ),
    ] = None,
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", metavar="DIR", help="Templates overriding the packaged ones by name."
        ),
    ] = None,
    draft: Annotated[
        bool,
        typer.Option(
            "--draft", help="Add the scored rounds that are not closed, marked provisional."
        ),
    ] = False,
    date_from_git: Annotated[
        bool | None,
        typer.Option(
            "--date-from-git/--no-date",
            help="Date the publication with the last commit that changed the call (the "
            "default inside git; required with --date-from-git), or not at all.",
        ),
    ] = None,
    call: CallOption = None,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Render the laureates and the budget to Markdown, a static HTML site and open data.

    Publishes the closed rounds (and, with --draft, the scored ones) from their committed
    decision records; it never writes a record.

    Example: gen publish --out public --lang fr, then open public/index.html.

    Exit status: 0 written, 1 errors concern a round to publish or a record is stale,
    2 usage error or an output folder gen will not replace, 3 internal error.
    """
    from gen_cli.publish import publish_call  # jinja2, Babel: only when publishing

    with (
        _reporting_errors(),
        _locked_beside(out, "gen publish"),
        _checked_by_round(call, use_git, identity) as checked,
    ):
        done = publish_call(
            checked,
            out,
            round_ids=round_ids or [],
            langs=[lang.value for lang in dict.fromkeys(langs or [])],
            templates=templates,
            draft=draft,
            date_from_git=date_from_git,
        )
    for note in done.notes:
        typer.echo(f"gen: {note}, beside {out}", err=True)
    typer.echo(
        f"published {done.laureates} laureate(s) of {done.rounds} round(s), "
        f"{done.files} files in {out}; open {out / 'index.html'}"
    )


ByOption = Annotated[
    str | None,
    typer.Option("--by", metavar="NAME", help="Who does it (default: git config user.name)."),
]


def _call_locked(call: Path | None, doing: str) -> AbstractContextManager[None]:
    """The call folder's lock, held while its records are written (none if no folder)."""
    from gen_cli.layout import find_call_folder

    root = find_call_folder(call)
    return locked(root / LOCK_FILE, doing) if root.is_dir() else nullcontext()


def _locked_beside(out: Path, doing: str) -> AbstractContextManager[None]:
    """A lock beside the output folder, held while it is replaced."""
    parent = out.absolute().parent
    return locked(parent / f".{out.name}.lock", doing) if parent.is_dir() else nullcontext()


def _who(by: str | None, root: Path) -> str:
    name = by if by is not None else user_name(root) if repository_root(root) else None
    if not name or not name.strip():
        raise GenError("say who does this: --by NAME (or set git config user.name)")
    return _one_line(name.strip(), "--by")


def _one_line(text: str, option: str) -> str:
    """Text kept in a record: printable, on one line."""
    if not text.isprintable():
        raise GenError(
            f"{option} holds a line break or a character that cannot be printed: write plain text"
        )
    return text


@app.command()
def assign(
    round_id: Annotated[str, typer.Argument(metavar="ROUND", help="The round to assign.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change without writing.")
    ] = False,
    call: CallOption = None,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Give each dossier of a round its reviewers; write <round>/assignments.yaml.

    Example: gen assign 2022Q2 --dry-run, then gen assign 2022Q2.

    Exit status: 0 written, 1 errors concern the round, 2 the round is unknown, closed,
    empty or cannot be assigned (the message names the constraint), 3 internal error.
    """
    from gen_cli.reviewing import assign_round, summary, write_assignments

    writing = nullcontext() if dry_run else _call_locked(call, "gen assign")
    with _reporting_errors(), writing:
        checked = _checked(call, use_git, identity)
        assigned = assign_round(checked, round_id)
        if not dry_run:
            write_assignments(assigned)
    for line in summary(assigned, round_id):
        typer.echo(line)
    if not dry_run:
        typer.echo(f"wrote {_shown(checked, assigned.path)}: review and commit it")


@app.command("seal")
def seal_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The plaintext review.")],
    call: CallOption = None,
) -> None:
    """Seal a review (FILE.age; FILE removed), or a dossier's private fields (<id>.private.yaml.age).

    Example: gen seal 2022Q2/reviews/amelie-roux.yaml

    Exit status: 0 sealed, 2 the call seals nothing, or FILE is not a valid review.
    """
    from gen_cli.layout import find_call_folder
    from gen_cli.loading import load_call_folder
    from gen_cli.reviewing import seal_private, seal_review

    with _reporting_errors():
        folder = load_call_folder(find_call_folder(call))
        if folder.call is None:
            raise GenError("call.yaml has errors: run gen validate and fix them first")
        if path.resolve().parent.name == "reviews":
            sealed = seal_review(folder.call, path)
            typer.echo(
                f"sealed {sealed}; removed {path}: commit {sealed.name}, never the plaintext"
            )
            return
        sealed = seal_private(folder.call, path)
    typer.echo(
        f"sealed the private fields of {path} in {sealed}: commit both; the contact no longer "
        "appears in the public file"
    )


@app.command("unseal")
def unseal_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The sealed file (.age).")],
    identity: IdentityOption = None,
) -> None:
    """Print a sealed file's plaintext on stdout; nothing is written to disk.

    Example: gen unseal 2022Q2/reviews/amelie-roux.yaml.age --identity ~/secretariat.key

    Exit status: 0 printed, 1 the identity does not open it (or it was altered), 2 no
    identity or unreadable file.
    """
    from gen_cli.reviewing import open_sealed

    with _reporting_errors():
        plaintext = open_sealed(path, load_identities(identity))
    sys.stdout.buffer.write(plaintext)
    sys.stdout.flush()


@app.command()
def close(
    round_id: Annotated[str, typer.Argument(metavar="ROUND", help="The round to close.")],
    by: ByOption = None,
    call: CallOption = None,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Make a scored round's decision record final; later changes need gen amend.

    Example: gen close 2022Q1 --by "Secrétariat GEN"

    Exit status: 0 closed, 1 errors concern the round or its record is stale, 2 the round
    is not scored or already closed, 3 internal error.
    """
    from gen_cli.closing import close_round

    with _reporting_errors(), _call_locked(call, "gen close"):
        checked = _checked(call, use_git, identity)
        who = _who(by, checked.folder.root)
        path = close_round(checked, round_id, by=who, on=today())
    typer.echo(f"closed round {round_id}: its decisions are final; commit {_shown(checked, path)}")


@app.command()
def amend(
    round_id: Annotated[str, typer.Argument(metavar="ROUND", help="The closed round.")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the round is amended.")
    ],
    accept_late: Annotated[
        list[str] | None,
        typer.Option(
            "--accept-late", metavar="DOSSIER", help="Accept this late dossier (repeatable)."
        ),
    ] = None,
    by: ByOption = None,
    call: CallOption = None,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Record a change to a closed round: who, when, why, which files, which decisions.

    Example: gen amend 2021Q3 --reason "Désistement du lauréat" --accept-late projet-x

    Exit status: 0 amended, 1 other errors concern the round, 2 the round is not closed
    or nothing changed, 3 internal error.
    """
    from gen_cli.closing import amend_round

    with _reporting_errors(), _call_locked(call, "gen amend"):
        checked = _checked(call, use_git, identity)
        who = _who(by, checked.folder.root)
        amended = amend_round(
            checked,
            round_id,
            by=who,
            on=today(),
            reason=_one_line(reason, "--reason"),
            late=list(accept_late or []),
        )
    moved = amended.decisions
    typer.echo(
        f"amended round {round_id}: {len(amended.files)} file(s) changed, "
        + (f"decisions changed for {', '.join(moved)}" if moved else "no decision changed")
        + f"; commit {_shown(checked, amended.path)}"
    )


class StatusFormat(StrEnum):
    """Output formats of gen status."""

    text = "text"
    json = "json"


@app.command()
def status(
    round_ids: Annotated[
        list[str] | None, typer.Argument(metavar="ROUND", help="Rounds (default: all).")
    ] = None,
    call: CallOption = None,
    fmt: Annotated[StatusFormat, typer.Option("--format", help="Output format.")] = (
        StatusFormat.text
    ),
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Say where each round stands: dossiers, reviews, and what blocks scoring or closing.

    Example: gen status 2022Q2

    Exit status: 0 (it is a report), 2 unreadable call folder or unknown round.
    """
    from gen_cli.status import call_status, render_status

    with _reporting_errors():
        checked = _checked(call, use_git, identity)
        for round_id in round_ids or []:
            checked.state(round_id)  # an unknown round is refused here
        statuses = call_status(checked, list(round_ids or []))
    if fmt is StatusFormat.json:
        document = {"rounds": [s.as_dict() for s in statuses]}
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        typer.echo(render_status(statuses))


class DiffFormat(StrEnum):
    """Output formats of gen diff."""

    text = "text"
    md = "md"
    json = "json"


@app.command()
def diff(
    base: Annotated[
        str | None,
        typer.Argument(
            metavar="[BASE]",
            help="A git revision (default: the merge base with the default branch).",
        ),
    ] = None,
    head: Annotated[
        str | None,
        typer.Argument(metavar="[HEAD]", help="A git revision (default: the working tree)."),
    ] = None,
    call: CallOption = None,
    fmt: Annotated[
        DiffFormat, typer.Option("--format", help="text, md (a pull-request comment) or json.")
    ] = DiffFormat.text,
    use_git: GitOption = None,
    identity: IdentityOption = None,
) -> None:
    """Show what a change does to the call: files, decisions, envelopes.

    Example: gen diff main HEAD --format md (a pull request's effect, as a comment).

    Exit status: 0 compared, 2 outside a git repository, an unknown revision, or a side
    that does not validate, 3 internal error.
    """
    from gen_cli.diffing import compare_revisions, render_json, render_markdown, render_text
    from gen_cli.layout import find_call_folder

    with _reporting_errors():
        comparison = compare_revisions(
            find_call_folder(call),
            base,
            head,
            use_git=use_git,
            identities=load_identities(identity),
        )
    render = {
        DiffFormat.text: render_text,
        DiffFormat.md: render_markdown,
        DiffFormat.json: render_json,
    }[fmt]
    typer.echo(render(comparison))


def _shown(checked: "Checked", path: Path) -> Path:
    return Path(checked.folder.call_source.display).parent / path.relative_to(checked.folder.root)


@app.command()
def schema(
    kind: Annotated[
        str | None,
        typer.Argument(
            metavar="[KIND]", help="call, dossier, review, jury or assignments; all when omitted."
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of the file formats, for editors and the YAML language server.

    Example: gen schema dossier > schemas/dossier.schema.json

    Exit status: 0 printed, 2 unknown kind.
    """
    with _reporting_errors():
        document = _schema_document(kind)
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True))


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(metavar="[DIR]", help="Where to create the call.")
    ] = Path("."),
    force: Annotated[
        bool,
        typer.Option("--force", help="Use a folder that is not empty (no file is overwritten)."),
    ] = False,
) -> None:
    """Start a new call repository: call.yaml, a first round, CI, hooks, CONTRIBUTING.md.

    Example: gen init mon-appel

    Exit status: 0 created, 2 the folder is not empty (without --force) or cannot be written.
    """
    from gen_cli.scaffold import init_call

    with _reporting_errors():
        written = init_call(directory, force=force, today=today())
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"created a call in {directory}: edit call.yaml, then run gen validate there")


new_app = typer.Typer(
    help="Write a new dossier or review file, with every field explained.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=HELP,
)
app.add_typer(new_app, name="new")


@new_app.command("dossier")
def new_dossier_command(
    round_id: Annotated[str, typer.Argument(metavar="ROUND", help="The round.")],
    dossier_id: Annotated[str, typer.Argument(metavar="ID", help="The dossier's id (a slug).")],
    call: CallOption = None,
) -> None:
    """Write <round>/<id>.yaml: a dossier skeleton with a comment on each field.

    Example: gen new dossier 2022Q2 mon-projet

    Exit status: 0 written, 2 unknown round, bad id, or the file exists.
    """
    from gen_cli.layout import find_call_folder
    from gen_cli.loading import load_call_folder
    from gen_cli.scaffold import new_dossier

    with _reporting_errors():
        folder = load_call_folder(find_call_folder(call))
        path = new_dossier(folder, round_id, dossier_id, today=today())
    typer.echo(f"wrote {path}")


@new_app.command("review")
def new_review_command(
    round_id: Annotated[str, typer.Argument(metavar="ROUND", help="The round.")],
    reviewer_id: Annotated[str, typer.Argument(metavar="REVIEWER", help="The reviewer's id.")],
    call: CallOption = None,
) -> None:
    """Write <round>/reviews/<reviewer>.yaml: every dossier to grade, every criterion.

    Example: gen new review 2022Q2 amelie-roux

    Exit status: 0 written, 2 unknown round or reviewer, or the file exists.
    """
    from gen_cli.layout import find_call_folder
    from gen_cli.loading import load_call_folder
    from gen_cli.scaffold import new_review

    with _reporting_errors():
        folder = load_call_folder(find_call_folder(call))
        path = new_review(folder, round_id, reviewer_id)
    typer.echo(f"wrote {path}")
    sealing = folder.call.sealing if folder.call else None
    if sealing is not None and sealing.seals(round_id):
        typer.echo(
            f"this call seals its reviews: once graded, run gen seal {path} and commit the .age file"
        )


@app.command()
def explain(
    code: Annotated[
        str | None,
        typer.Argument(
            metavar="CODE", help="A diagnostic code, such as E102 (any case); all when omitted."
        ),
    ] = None,
) -> None:
    """Say what a diagnostic code means, with an example that triggers it and the fix.

    Example: gen explain E102. Without CODE, list every code with its meaning.

    Exit status: 0 explained, 2 unknown code.
    """
    with _reporting_errors():
        from gen_cli import explain as catalogue  # the codes' explanations: only here

        text = catalogue.explain(code) if code is not None else catalogue.code_list()
    typer.echo(text)


def _schema_document(kind: str | None) -> dict[str, object]:
    from gen_cli.models import SCHEMAS, json_schema

    if kind is None:
        return {name: json_schema(name) for name in SCHEMAS}
    if kind in SCHEMAS:
        return json_schema(kind)
    *others, last = SCHEMAS
    raise GenError(f"unknown kind {kind!r}: choose {', '.join(others)} or {last}")


def _log_crash() -> str:
    import tempfile  # only when gen fails: 15 ms of every start-up
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="gen-crash-", suffix=".log", delete=False, encoding="utf-8"
    ) as log:
        traceback.print_exc(file=log)
        return log.name


def _stopped_process(error: Exception) -> bool:
    """Whether a process gen forked was stopped from outside (the system out of memory).

    Asked of concurrent.futures only if it was imported: it costs 60 ms of start-up.
    """
    process = sys.modules.get("concurrent.futures.process")
    return process is not None and isinstance(error, process.BrokenProcessPool)


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
        if _stopped_process(error):  # the details logged too: a crash in a library says so
            sys.stderr.write(
                "gen: error: a process gen started to share the work stopped before the end, "
                "most likely for want of memory (the system stops a process when the machine "
                "runs out); close other programs or use a machine with more memory, and run "
                f"gen again (gen validate --jobs 1 starts no other process). Details: {log}\n"
            )
            return EXIT_USAGE
        sys.stderr.write(
            f"gen: internal error ({type(error).__name__}); this is a bug in gen. "
            f"The traceback is in {log}\n"
        )
        return EXIT_BUG
    return EXIT_OK
