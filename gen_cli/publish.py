"""Rendering a publication to files (the only module that imports jinja2) and writing it safely.

Templates are looked up by file name in ``--templates DIR``, then ``<call>/templates``,
then the packaged ones, so a call repository overrides any of them by adding a file of
the same name. Everything is rendered and checked into a folder beside the output, file by
file as it is made; the output folder is then replaced in one rename, so an error leaves
the previous publication intact.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from gen_cli import formatting, markdown, swap
from gen_cli.batch import available_cores, forked_map
from gen_cli.clock import generation_date
from gen_cli.datapackage import LABELS_FILE, data_package, labels_csv, licence_text
from gen_cli.errors import GenError
from gen_cli.export import INTEGER, MONEY, NUMBER, TEXT, Sheet, xlsx_bytes
from gen_cli.git import GitError, last_commit_time
from gen_cli.layout import PUBLICATION_MARKER
from gen_cli.logo import LogoError, read_logo
from gen_cli.messages import MESSAGES
from gen_cli.models import starts_a_formula
from gen_cli.publication import (
    LAUREATE_FIELDS,
    SCDL_FIELDS,
    Publication,
    PublicDossier,
    budget_document,
    build_publication,
    laureate_items,
    laureate_rows,
    scdl_rows,
)
from gen_cli.regions import REGIONS
from gen_cli.rounds import Checked, check_publishable, laureates_of, records_for_publication
from gen_cli.tableschema import check_csv, scdl_schema

MAP_FILE = "data/map/regions.json"
_MARKER_TEXT = b"Written by gen publish; the whole folder is replaced at each run.\n"
#: The names of the languages, each in itself, for the page that links them.
_LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
#: The JSON Schemas of the published JSON files, shipped with gen and published beside them.
JSON_SCHEMAS = ("laureats.schema.json", "budget.schema.json")
#: A file at the root of every publication, so gen never replaces a folder it did not write.
MARKER = PUBLICATION_MARKER
STATIC = ("style.css",)
#: What is wrong with a template that recursed until Python stopped it.
ENDLESS = "it calls itself without end; a macro must stop calling itself"
#: From this many project pages, they are rendered on every core.
PARALLEL_PAGES = 500


def packaged_templates() -> Path:
    """The templates shipped with gen (inside the wheel, or the source checkout's)."""
    inside = Path(str(resources.files("gen_cli").joinpath("templates")))
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parent.parent / "templates"


def template_dirs(call_root: Path, extra: Path | None) -> list[Path]:
    """Where templates are looked up, first match wins.

    Raises:
        GenError: ``extra`` was given but is not a folder.
    """
    if extra is not None and not extra.is_dir():
        raise GenError(f"--templates {extra}: no such folder")
    for folder in ([extra] if extra is not None else []) + [call_root / "templates"]:
        if folder.is_symlink():
            raise GenError(f"{folder} is a symbolic link: gen does not follow links")
    dirs = [extra] if extra is not None else []
    dirs += [call_root / "templates", packaged_templates()]
    return [d for d in dirs if d.is_dir()]


#: A template is a few kilobytes; anything larger is a mistake or an attack.
MAX_TEMPLATE_BYTES = 1_000_000


class TemplateLoader(jinja2.FileSystemLoader):
    """Templates by name from the folders given, read like every file gen reads (#8).

    A template is a regular file inside its folder: never a symbolic link (a pull
    request could link /etc/passwd or /proc/self/environ into the site), never through a
    linked folder, and at most MAX_TEMPLATE_BYTES.
    """

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """The template's text, once it is known to be a regular file of a sane size."""
        source, filename, uptodate = super().get_source(environment, template)
        path = Path(filename)
        root = next(
            (Path(d) for d in self.searchpath if path.parent == Path(d) or Path(d) in path.parents),
            None,
        )
        parts = [] if root is None else path.relative_to(root).parts
        links = [root / Path(*parts[: i + 1]) for i in range(len(parts))] if root else [path]
        if any(p.is_symlink() for p in links) or not path.is_file():
            raise jinja2.TemplateError(
                f"{template} is a symbolic link or not a regular file in {root}: "
                "gen does not follow links; put the template's own text there"
            )
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise jinja2.TemplateError(
                f"{template} is larger than gen accepts ({MAX_TEMPLATE_BYTES:,} bytes)"
            )
        return source, filename, uptodate


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, which answers each attribute check once per type and name.

    Templates may come from a pull request: they are code, run in the sandbox, where an
    attribute walk such as ''.__class__.__mro__ is refused rather than executed (#8). The
    sandbox checks every attribute a template reads; its answer depends on the object's
    type and the attribute's name alone (the value is not looked at), and a large call's
    pages read the same few tens of attributes hundreds of thousands of times.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._safe: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja's answer, the first time this type and name are met."""
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = self._safe[key] = super().is_safe_attribute(obj, attr, value)
        return safe


def _environment(
    dirs: Sequence[Path], lang: str, publication: Publication, rewritten: markdown.Rewritten
) -> jinja2.Environment:
    env = Sandbox(
        loader=TemplateLoader([str(d) for d in dirs]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # a template is read once a publication: not looked at again before each page
        auto_reload=False,
    )
    call = publication.call
    themes = {t.id: getattr(t.label, lang) for t in call.themes}
    word = getattr(call.round_word, lang)
    env.filters.update(
        label=lambda v: getattr(v, lang),
        worded=lambda text: text.replace("{Word}", formatting.capitalised(word)).replace(
            "{word}", word
        ),
        step=_step,
        # a dossier is written in French: on an English page, say so to screen readers
        french=lambda text: (
            Markup('<span lang="fr">{}</span>').format(text) if lang != "fr" else text
        ),
        # French counts 0 and 1 in the singular (« 1 lauréat », « 0 dossier »), English 1 only
        plural=lambda n, one, many: one if (n < 2 if lang == "fr" else n == 1) else many,
        round_name=lambda r: formatting.round_name(
            call, call.round(r) if isinstance(r, str) else r, lang
        ),
        money=lambda v: formatting.money(Decimal(v), lang),
        number=lambda v: formatting.number(v, lang),
        percent=lambda v: "—" if v is None else formatting.percent(Decimal(v), lang),
        day=lambda v: formatting.day(v, lang),
        markdown=lambda text: Markup(rewritten.html(text)),
        md=markdown.escape,
        md_block=rewritten.safe,
        theme=lambda v: themes[v],
        region=lambda v: getattr(REGIONS[v], lang),
        apply=lambda value, name: env.filters[name](value),
        share=lambda part, whole: (
            Decimal(0)
            if not whole
            else (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
        ),
    )
    env.globals.update(
        t=MESSAGES[lang],
        lang=lang,
        call=call,
        call_name=getattr(call.name, lang),
        regions_map=_regions_map(),
        round_word=formatting.capitalised(word),
        rounds_word=formatting.capitalised(word if word.endswith(("s", "x")) else word + "s"),
        publication=publication,
    )
    return env


_KINDS = {"granted": MONEY, "people_targeted": INTEGER, "women_percent": NUMBER}


def _workbook(publication: Publication, lang: str) -> list[Sheet]:
    """laureats.xlsx: the laureates as laureats.csv, and the budget round by round."""
    t = MESSAGES[lang]
    laureates = Sheet(t["laureates"], [(name, _KINDS.get(name, TEXT)) for name in LAUREATE_FIELDS])
    for row in laureate_rows(publication):
        laureates.rows.append(
            [
                Decimal(value) if _KINDS.get(name) in {MONEY, NUMBER} else
                int(value) if _KINDS.get(name) == INTEGER else value
                for name, value in row.items()
            ]
        )  # fmt: skip
    names = [formatting.round_name(publication.call, r.round, lang) for r in publication.rounds]
    budget = Sheet(
        t["budget"],
        [(t["figure"], TEXT)] + [(n, MONEY) for n in names] + [(t["all_rounds"], MONEY)],
    )
    # the columns are amounts; a count is a whole number in them
    for label, attr in (
        (t["received"], "received"),
        (t["eligible"], "eligible"),
        (t["laureates"], "laureates"),
        (t["requested"], "requested"),
        (t["granted"], "granted"),
        (t["envelope"], "envelope"),
        (t["left"], "left"),
        (t["people"], "people"),
    ):
        values = [getattr(r.budget, attr) for r in publication.rounds]
        budget.rows.append([label, *values, getattr(publication.budget, attr)])
    return [laureates, budget]


def _created(generated: date | None) -> datetime:
    """The workbook's creation date: the publication's, or a fixed one (same bytes)."""
    day = generated or date(2000, 1, 1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _languages_page(publication: Publication, langs: Sequence[str]) -> bytes:
    """The top page of a publication in several languages: a link to each (no script)."""
    call = publication.call
    items = "\n".join(
        f'<li lang="{lang}"><a href="{lang}/index.html" hreflang="{lang}">'
        f"{escape(getattr(call.name, lang))} — {_LANGUAGE_NAMES[lang]}</a></li>"
        for lang in langs
    )
    first = langs[0]
    return (
        f'<!DOCTYPE html>\n<html lang="{first}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(getattr(call.name, first))}</title>\n"
        f'<link rel="stylesheet" href="{first}/style.css">\n</head>\n<body>\n'
        f"<main>\n<h1>{escape(getattr(call.name, first))}</h1>\n<ul>\n{items}\n</ul>\n"
        "</main>\n</body>\n</html>\n"
    ).encode()


def _step(amount: Decimal, top: Decimal) -> int:
    """The colour class (1 to 5) of an amount on a map whose largest amount is ``top``."""
    if not top or amount <= 0:
        return 0
    return max(1, min(5, math.ceil(Decimal(amount) * 5 / Decimal(top))))


@functools.cache
def _regions_map() -> dict[str, Any]:
    """The regions' outlines shipped with gen (see gen_cli/data/map/SOURCE.md)."""
    text = resources.files("gen_cli").joinpath(MAP_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _template_frame(error: BaseException, dirs: Sequence[Path]) -> str | None:
    """``file:line`` of the innermost template frame of an error's traceback.

    Jinja rewrites tracebacks so that template code shows as the template's own file and
    line: the last such frame is where an included or inherited template went wrong.
    """
    roots = [str(d.resolve()) for d in dirs]
    found = None
    tb = error.__traceback__
    while tb is not None:
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if any(filename.startswith(root + os.sep) for root in roots):
            found = f"{Path(filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _csv(fields: Sequence[str], rows: list[dict[str, str]], *, defused: bool = False) -> str:
    """Rows as CSV text; ``defused``: a cell that would start a formula gets a ' first.

    gen validate refuses names and titles that start one, so this is the second line of
    defence (OWASP's rule); SCDL's file is written as is, its values must not change.
    """
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _defused(v) for k, v in row.items()} if defused else row)
    return buffer.getvalue()


def _defused(cell: str) -> str:
    return f"'{cell}" if starts_a_formula(cell) else cell


def render_publication(
    write: Callable[[str, bytes], None],
    publication: Publication,
    lang: str,
    dirs: Sequence[Path],
    generated: date | None,
    languages: Sequence[str] = (),
    logo: tuple[str, bytes] | None = None,
    told: Callable[[int, int], object] | None = None,
) -> None:
    """Render every file of the publication, each given to ``write`` (relative path, bytes).

    Files go to ``write`` as they are made (into the folder that replaces the publication
    once it is complete): a large call's pages are never all in memory. Its project pages
    are rendered and given to ``write`` by processes forked from this one, so ``write``
    must do its work where it is called (write a file), not gather in memory. ``logo`` is
    the funder's logo, as the file name to publish it under and its bytes. ``told`` is
    told, for a publication of many pages, how many more of its pieces are written and
    how many there are (``forked_map``'s ``told``).

    Raises:
        GenError: a template is missing or broken, or the SCDL file fails its schema.
    """
    rewritten = markdown.Rewritten()
    env = _environment(dirs, lang, publication, rewritten)
    env.globals["translations"] = [other for other in languages if other != lang]
    env.globals["logo"] = logo[0] if logo else None

    def render(name: str, **context: Any) -> bytes:
        try:
            return env.get_template(name).render(generated=generated, **context).encode("utf-8")
        except jinja2.TemplateSyntaxError as error:
            raise GenError(
                f"template {error.filename or error.name}:{error.lineno}: {error.message}"
            ) from None
        except jinja2.TemplateNotFound as error:
            raise GenError(
                f"template {error.name} not found in {', '.join(map(str, dirs))}"
            ) from None
        except SecurityError as error:
            where = _template_frame(error, dirs) or name
            raise GenError(
                f"template {where}: refused: {error} (templates cannot reach Python's internals)"
            ) from None
        except RecursionError:
            raise GenError(f"template {name}: {ENDLESS}") from None
        except (jinja2.TemplateError, ArithmeticError, LookupError, ValueError, TypeError) as error:
            where = _template_frame(error, dirs) or name
            message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
            raise GenError(f"template {where}: {message}") from None

    if logo:
        write(logo[0], logo[1])
    write("index.html", render("index.html", root="", page="index.html"))
    write("budget.html", render("budget.html", root="", page="budget.html"))
    rounds = publication.rounds
    projects = [(r, project) for r in rounds for project in r.projects]

    def project_page(index: int) -> bytes:
        published, project = projects[index]
        page = f"projects/{project.id}.html"
        return render("project.html", root="../", project=project, published=published, page=page)

    def round_page(index: int) -> None:
        page = f"rounds/{rounds[index].round.id}.html"
        write(page, render("round.html", root="../", published=rounds[index], page=page))

    jobs = available_cores() if len(projects) >= PARALLEL_PAGES else 1
    beside = jobs > 1 and _mostly_prose([project.summary for _, project in projects])

    def write_page(index: int) -> str | None:
        project = projects[index][1]
        write(f"projects/{project.id}.html", project_page(index))
        made = rewritten.take(project.summary)
        return None if beside else made

    def write_static() -> None:
        for name in STATIC:
            try:
                source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
            except jinja2.TemplateNotFound:
                raise GenError(f"{name} not found in {', '.join(map(str, dirs))}") from None
            except jinja2.TemplateError as error:
                raise GenError(f"template {error.message}") from None
            write(name, source.encode("utf-8"))

    # A page takes milliseconds (the sandbox checks every attribute): a large call's
    # thousands are shared among the cores, forked once the template is compiled here.
    # The processes take runs of pieces as they come free, the longest first (the rounds'
    # pages, which list their laureates, and the workbook, seconds at 40,000 laureates),
    # while this one makes the rest of the open data: they end together. The pieces are in
    # the order they had when made one after another, so that the first error is the same.
    # The summaries' safe Markdown, made for the pages, comes back for the list of
    # laureates, unless the list is made here beside them (few summaries need the parser).
    if projects:  # compiled once, before the forks; its error, if any, comes in its turn
        with suppress(GenError):
            project_page(0)
    pieces: list[tuple[str, int]] = [("round", i) for i in range(len(rounds))]
    pieces += [("page", 0)] if projects else []
    pieces += [("static", 0), ("workbook", 0)]
    pieces += [("page", i) for i in range(1, len(projects))]

    def piece(index: int) -> str | None:
        kind, number = pieces[index]
        if kind == "page":
            return write_page(number)
        if kind == "round":
            round_page(number)
        elif kind == "static":
            write_static()
        else:
            write("laureats.xlsx", xlsx_bytes(_workbook(publication, lang), _created(generated)))
        return None

    def meanwhile() -> None:
        _open_data(write, render, publication, lang, generated)
        if beside:
            write("laureats.md", render("laureats.md"))

    counted = None
    if told is not None and len(projects) >= PARALLEL_PAGES:

        def counted(done: int) -> None:
            told(done, len(pieces))

    made = forked_map(piece, len(pieces), jobs, meanwhile=meanwhile, told=counted)
    if beside:
        return
    for (kind, number), summary in zip(pieces, made, strict=True):
        if kind == "page" and summary is not None:
            rewritten.give(projects[number][1].summary, summary)
    write("laureats.md", render("laureats.md"))


def _mostly_prose(summaries: Sequence[str]) -> bool:
    """Whether at most one summary in twenty needs the Markdown parser.

    The list of laureates is then made beside the pages, its summaries re-written again
    (most need no parser): parsing more of them twice would cost more than it saves.
    """
    parsed = 0
    for summary in summaries:
        if not markdown.is_prose(summary):
            parsed += 1
            if parsed * 20 > len(summaries):
                return False
    return True


def _open_data(
    write: Callable[[str, bytes], None],
    render: Callable[..., bytes],
    publication: Publication,
    lang: str,
    generated: date | None,
) -> None:
    """The publication's documents and open data but its workbook, beside its pages."""
    write("budget.md", render("budget.md"))
    rows = laureate_rows(publication)
    write("laureats.csv", _csv(LAUREATE_FIELDS, rows, defused=True).encode("utf-8"))
    items = laureate_items(publication)
    write("laureats.json", (json.dumps(items, ensure_ascii=False, indent=2) + "\n").encode())
    for name in JSON_SCHEMAS:
        write(name, resources.files("gen_cli").joinpath(f"data/schemas/{name}").read_bytes())
    write(
        "budget.json",
        (
            json.dumps(budget_document(publication), ensure_ascii=False, indent=2, sort_keys=True)
            + "\n"
        ).encode("utf-8"),
    )
    try:
        scdl = _csv(SCDL_FIELDS, scdl_rows(publication))
    except ValueError as error:
        raise GenError(str(error)) from None
    problems = check_csv(scdl, scdl_schema())
    if problems:
        raise GenError("subventions.csv does not match the SCDL schema: " + "; ".join(problems[:5]))
    write("subventions.csv", scdl.encode("utf-8"))
    write(LABELS_FILE, labels_csv(publication).encode("utf-8"))
    package = data_package(publication, generated)
    write("datapackage.json", (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode())
    write("LICENCE", licence_text(publication, lang).encode("utf-8"))
    write(MARKER, _MARKER_TEXT)


def write_publication(
    out: Path,
    files: dict[str, bytes],
    protected: Sequence[Path] = (),
    enclosing: Sequence[Path] = (),
    marker: str = MARKER,
) -> list[str]:
    """Replace ``out`` with ``files`` in one step; on any error ``out`` is left as it was.

    Returns what was cleaned up after an interrupted run (see `swap.recover`).

    Args:
        protected: folders ``out`` may neither be, hold, nor lie inside (a round's folder).
        enclosing: folders ``out`` may lie inside but neither be nor hold (the call folder:
            ``public/`` beside call.yaml is where a call repository publishes).

    Raises:
        GenError: ``out`` holds something gen did not write, or is a protected folder.
    """
    with staged(out, protected, enclosing, marker) as stage:
        for relative, content in sorted(files.items()):
            stage.write(relative, content)
    return stage.notes


@dataclass
class Stage:
    """A folder being written beside ``out``, to replace it in one step once complete."""

    folder: Path
    notes: list[str]
    files: int = 0
    _made: set[Path] = field(default_factory=set)

    def write(self, relative: str, content: bytes) -> None:
        """Write one file of the folder (a relative POSIX path gen chose).

        Processes forked from this one may write too: ``files`` is counted at the end.
        """
        path = self.folder / relative
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        path.write_bytes(content)


@contextmanager
def staged(
    out: Path,
    protected: Sequence[Path] = (),
    enclosing: Sequence[Path] = (),
    marker: str = MARKER,
) -> Iterator[Stage]:
    """A folder to write, which replaces ``out`` in one step when the block ends.

    On any error, it is removed and ``out`` is left as it was: a large publication is
    written as it is rendered, never held whole in memory. The arguments and refusals
    are those of ``write_publication``.
    """
    target = out.resolve()
    for folder in enclosing:
        folder = folder.resolve()
        if target == folder or target in folder.parents:
            raise GenError(
                f"refusing to publish into {out}: it would replace {folder}, which gen reads; "
                "choose another --out (public/ inside it is fine)"
            )
    for folder in protected:
        folder = folder.resolve()
        if target == folder or target in folder.parents or folder in target.parents:
            raise GenError(
                f"refusing to publish into {out}: it overlaps {folder}, which gen reads; "
                "choose another --out"
            )
    notes = swap.recover(out, lambda folder: (folder / marker).is_file())
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise GenError(f"refusing to publish into {out}: it is not a folder")
    if marker != ".gen-letters" and (out / ".gen-letters").exists():
        raise GenError(
            f"refusing to replace {out}: it holds decision letters, which are private; "
            "choose another --out"
        )
    if out.exists() and any(out.iterdir()) and not (out / marker).exists():
        raise GenError(
            f"refusing to replace {out}: it is not empty and was not written by gen publish"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=swap.staging_prefix(out), dir=out.parent))
    except OSError as error:
        raise GenError(f"cannot write {out}: {error.strerror}") from None
    try:
        stage = Stage(staging, notes)
        yield stage
        stage.files = sum(len(files) for _, _, files in os.walk(staging))
        staging.chmod(0o755)
        swap.replace_folder(staging, out)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise GenError(f"cannot write {out}: {error.strerror}") from None
        raise


def render_template(dirs: Sequence[Path], name: str, **context: Any) -> str:
    """Render one template by name from ``dirs`` in the sandbox, with the Markdown filters."""
    env = Sandbox(
        loader=TemplateLoader([str(d) for d in dirs]),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(md=markdown.escape)
    try:
        return env.get_template(name).render(**context)
    except SecurityError as error:
        raise GenError(f"template {name}: refused: {error}") from None
    except jinja2.TemplateError as error:
        where = f":{error.lineno}" if isinstance(error, jinja2.TemplateSyntaxError) else ""
        raise GenError(f"template {name}{where}: {error.message or error}") from None
    except RecursionError:
        raise GenError(f"template {name}: {ENDLESS}") from None
    except (ArithmeticError, LookupError, ValueError, TypeError) as error:
        raise GenError(f"template {name}: {type(error).__name__}: {error}") from None


def template_file(dirs: Sequence[Path], name: str) -> Path:
    """The first template file named ``name`` in ``dirs``, read like every template.

    Raises:
        GenError: none exists, or it is a link, not a regular file, or too large.
    """
    for folder in dirs:
        path = folder / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise GenError(
                f"{path} is a symbolic link or not a regular file: gen does not follow links"
            )
        if path.is_file():
            if path.stat().st_size > MAX_TEMPLATE_BYTES:
                raise GenError(f"{path} is larger than gen accepts ({MAX_TEMPLATE_BYTES:,} bytes)")
            return path
    raise GenError(f"no template {name} in {', '.join(str(d) for d in dirs)}")


def _logo(root: Path, name: str | None) -> tuple[str, bytes] | None:
    """The declared logo, as published: ``logo`` and the file's own suffix, and its bytes.

    Raises:
        GenError: the logo cannot be published (gen validate says why, as E311).
    """
    if name is None:
        return None
    try:
        return "logo" + PurePosixPath(name).suffix, read_logo(root, name)
    except LogoError as error:
        raise GenError(str(error)) from None


@dataclass(frozen=True)
class Published:
    """What ``gen publish`` wrote: counts for its summary, and notes for the user."""

    laureates: int
    rounds: int
    files: int
    notes: list[str]


def publish_call(
    checked: Checked,
    out: Path,
    *,
    round_ids: Sequence[str] = (),
    langs: Sequence[str] = (),
    templates: Path | None = None,
    draft: bool = False,
    date_from_git: bool | None = None,
) -> Published:
    """Publish the closed rounds (and with ``draft`` the scored ones) of a checked call.

    The publication's date is SOURCE_DATE_EPOCH's; else the date of the last commit that
    changed the call folder (``date_from_git`` None: when there is one; True: required;
    False: no date). Never the time of the run, so the same inputs give the same bytes.
    Nothing is written unless everything rendered and checked. Without ``langs``, the
    languages the call declares.

    Raises:
        GenError: a round cannot be published, or ``out`` is not a folder gen may replace.
    """
    root = checked.folder.root
    keep = PublicDossier.of
    chosen = records_for_publication(checked, list(round_ids), draft=draft, keep=keep)
    check_publishable(checked, chosen.records)
    dossiers = laureates_of(checked, chosen.records, chosen.dossiers, chosen.drafts, keep)
    publication = build_publication(checked.call, chosen.records, dossiers, chosen.drafts)
    del chosen, dossiers  # the publication holds what it shows: the rest is let go
    stamp = os.environ.get("SOURCE_DATE_EPOCH")
    if not stamp and date_from_git is not False:
        try:
            stamp = str(last_commit_time(root))
        except GitError:
            if date_from_git:
                raise
            stamp = None  # not in git: undated rather than dated by the clock
    dirs, day = template_dirs(root, templates), generation_date(stamp)
    logo = _logo(root, checked.call.publication.logo)
    langs = list(dict.fromkeys(langs or checked.call.publication.languages))
    protected = [root / r.id for r in checked.call.rounds]
    protected += [root / "templates", root / "schemas", root / ".git"]
    progress = checked.folder.batch.progress
    told = None
    if progress is not None:

        def told(done: int, pieces: int) -> None:
            progress("pages", done, pieces * len(langs))  # each language has its pieces

    with staged(out, protected, enclosing=[root]) as stage:
        if len(langs) == 1:
            render_publication(stage.write, publication, langs[0], dirs, day, logo=logo, told=told)
        else:  # one folder a language, each page linking to its translations
            stage.write(MARKER, _MARKER_TEXT)
            stage.write("index.html", _languages_page(publication, langs))
            for lang in langs:

                def write(name: str, data: bytes, lang: str = lang) -> None:
                    if name != MARKER:
                        stage.write(f"{lang}/{name}", data)

                render_publication(write, publication, lang, dirs, day, langs, logo, told)
    laureates = publication.budget.laureates
    return Published(laureates, len(publication.rounds), stage.files, stage.notes)
