"""Diagnostics: the table of codes, located problems, and their text/JSON/CI output."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePath
from typing import Literal, TextIO, TypeVar
from urllib.parse import quote

from gen_cli import __version__
from gen_cli.errors import GenError

T = TypeVar("T")

Severity = Literal["error", "warning", "note"]
Loc = tuple[str | int, ...]

#: Every diagnostic code, its severity and what it means. README documents each one
#: (a test checks that), and each has a test that triggers it.
CODES: dict[str, tuple[Severity, str]] = {
    # Reading a file.
    "E001": ("error", "the file is not valid YAML"),
    "E002": ("error", "the file is not UTF-8 text"),
    "E003": ("error", "the file is empty"),
    "E004": ("error", "the file holds several YAML documents"),
    "E005": ("error", "a key appears twice in the same mapping"),
    "E006": ("error", "a YAML tag such as !!python/object is not allowed"),
    "E007": ("error", "the file's top level is not a mapping"),
    "E008": ("error", "YAML anchors, aliases and merge keys are not allowed"),
    "E009": ("error", "the file is larger than gen accepts"),
    "E010": ("error", "the path is a symbolic link or not a regular file"),
    "E011": ("error", "a sealed file cannot be opened with the identity given, or was altered"),
    "E012": ("error", "a reviewer has both a plain and a sealed review in one round"),
    "E013": (
        "error",
        "a sealed private field is also in the dossier, or is not one the call seals",
    ),
    # One file against its schema.
    "E101": ("error", "a required field is missing"),
    "E102": ("error", "a field is not part of the format (often a typo)"),
    "E103": ("error", "a value has the wrong type"),
    "E104": ("error", "a value is out of range or not one of the allowed values"),
    "E105": ("error", "a SIREN or SIRET number is not valid"),
    "E106": ("error", "an email address is not valid"),
    "E107": ("error", "an end date comes before its start date"),
    "E108": ("error", "the amount requested is above the project's total cost"),
    # Rules that span files.
    "E201": ("error", "two dossiers have the same id"),
    "E202": ("error", "a dossier's id does not match its file name"),
    "E203": ("error", "a dossier is in a folder that is not its round"),
    "E204": ("error", "a round is not declared in call.yaml"),
    "E205": ("error", "a theme is not declared in call.yaml"),
    "E206": ("error", "a review names a dossier that is not in its round"),
    "E207": ("error", "a review is by a reviewer not declared in call.yaml"),
    "E208": ("error", "a grade is for a criterion that is not in the dossier's grid"),
    "E209": ("error", "a grade is outside its criterion's scale"),
    "E210": ("error", "a reviewer grades a dossier of an organisation they are affiliated with"),
    "E214": ("error", "a dossier was merged after its round closed (it is ineligible)"),
    "E215": ("error", "a dossier is added to a round that no longer takes dossiers"),
    "E212": ("error", "a review file's name or folder does not match its reviewer or round"),
    "E213": ("error", "a review declares a conflict of interest and still gives grades"),
    # The call file's rules.
    "E301": ("error", "two themes, rounds, reviewers, rules or criteria share an id"),
    "E302": ("error", "a rule names a criterion that does not exist"),
    "E303": ("error", "a criterion's weight is zero or negative"),
    "E304": ("error", "a pair of bounds is reversed (minimum above maximum)"),
    "E305": ("error", "a theme has no scoring grid, or a grid has no theme"),
    "E306": ("error", "an amount or envelope is below zero"),
    "E307": ("error", "the rounds' envelopes add up to more than the call's budget"),
    "E308": ("error", "a theme envelope exceeds the round's, or theme shares exceed 100%"),
    "E309": ("error", "a criterion id has a different source or scale in another grid"),
    "E310": ("error", "a round with laureates has no decision_date, which publishing needs"),
    "E311": ("error", "the logo call.yaml declares is missing, a link, too large or not an image"),
    # Decision records and the rounds' lifecycle.
    "E401": ("error", "a file of a closed round changed since the round was closed"),
    "E402": ("error", "call.yaml changed what decided a closed round"),
    "E403": ("error", "a closed round's decision record was edited by hand"),
    "E404": ("error", "a decision record cannot be read"),
    "E405": ("error", "a round has a decision record but still takes dossiers"),
    "E406": ("error", "a round scored on the default branch has lost its decision record"),
    # The jury's deliberation, <round>/jury.yaml.
    "E501": ("error", "a deliberation file names another round than its folder's"),
    "E502": ("error", "a jury member is not declared in call.yaml"),
    "E503": ("error", "a jury decision names a dossier not in the round, or twice"),
    "E504": ("error", "too few members without a conflict of interest took a decision"),
    "E505": ("error", "a jury decision's amount or justification is not valid"),
    "E506": (
        "error",
        "the jury's decisions cannot be applied (budget, or a dossier that did not compete)",
    ),
    # Who reviews what, <round>/assignments.yaml and call.yaml's assignment.
    "E601": ("error", "an assignment names a round, reviewer or dossier that does not exist"),
    "E602": ("error", "an assignment gives a reviewer a dossier they have a conflict with"),
    "E603": ("error", "call.yaml's assignment settings name an unknown reviewer or theme"),
    # Warnings: the data is usable, but probably not what was meant.
    "W001": (
        "warning",
        "the dossier's budget does not balance (requested + other funding ≠ total)",
    ),
    "W002": ("warning", "a file is not where gen looks for dossiers or reviews, and is ignored"),
    "W003": ("warning", "an evaluation lacks a grade for a criterion of the dossier's grid"),
    "W010": ("warning", "a dossier fails an eligibility rule: as it stands, it is ineligible"),
    "W011": ("warning", "a template differs from the default branch: review it as code"),
    "W012": ("warning", "an organisation's name mixes alphabets (such as Latin and Cyrillic)"),
    "W013": ("warning", "a project's dates lie implausibly far from its submission"),
    "W014": ("warning", "a hidden file where gen expects none (a pull request should not add it)"),
    "W015": ("warning", "a review grades a dossier that is not assigned to its reviewer"),
    "W016": ("warning", "a dossier has fewer reviewers assigned than the call requires"),
    "W017": ("warning", "a review is committed in plain text though the call seals reviews"),
    # Notes: what gen could not check, said without alarm.
    "N001": ("note", "a sealed review is present but not checked: no identity was given"),
    "N002": ("note", "a dossier's sealed private part is present but not checked: no identity"),
}


_CONTROL = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)])


def printable(text: str) -> str:
    """Escape control characters, so hostile file names or keys cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(_escaped(c) for c in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code in _CONTROL:
        return f"\\x{code:02x}"
    # line separators, and the surrogates that stand for undecodable bytes in file names
    if char in "\u2028\u2029" or 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return char


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place: ``path:line:column: severity CODE message``."""

    path: str
    line: int
    col: int
    code: str
    message: str
    #: The round whose scoring the problem concerns, when it is not the file's own.
    round: str | None = field(default=None, compare=False)
    #: How many more problems of the same code in the same file this one stands for.
    more: int = field(default=0, compare=False)

    @property
    def severity(self) -> Severity:
        """Error or warning, from the code table."""
        return CODES[self.code][0]

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "message", printable(self.message))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity} {self.code} {self.message}"

    def as_dict(self) -> dict[str, str | int]:
        """The diagnostic as a JSON-ready mapping."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class Problem:
    """A problem found in a file, before its line and column are known.

    ``loc`` is the key path of the offending node (``("budget", "requested")``); ``at_key``
    points at the key rather than its value (for unknown fields). ``mark`` gives the
    line and column directly when the reader already knows them (syntax errors).
    """

    path: str
    code: str
    message: str
    loc: Loc = ()
    at_key: bool = False
    mark: tuple[int, int] | None = None
    round: str | None = None
    #: How many more problems of the same code in the same file this one stands for.
    more: int = 0


class Format(StrEnum):
    """Output formats for diagnostics."""

    text = "text"
    json = "json"
    github = "github"
    gitlab = "gitlab"
    sarif = "sarif"


def counts(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    """Return the number of errors and of warnings (notes are neither)."""
    errors = warnings = 0
    for diagnostic in diagnostics:
        if diagnostic.severity == "error":
            errors += 1 + diagnostic.more
        elif diagnostic.severity == "warning":
            warnings += 1 + diagnostic.more
    return errors, warnings


def notes(diagnostics: Iterable[Diagnostic]) -> int:
    """The number of notes: what gen could not check, said without alarm."""
    return sum(1 + d.more for d in diagnostics if d.severity == "note")


#: Problems of one code shown for one file; the rest are counted on one more line.
MAX_PER_CODE = 20


def capped(
    items: Iterable[T], key: Callable[[T], tuple[str, str]]
) -> tuple[list[T], dict[tuple[str, str], tuple[T, int]]]:
    """Keep the first ``MAX_PER_CODE`` items of each (file, code); count the others.

    Returns the kept items and, for each (file, code) over the limit, its first left-out
    item and how many were left out. A file of 100,000 bad items costs 20 messages.
    """
    seen: dict[tuple[str, str], int] = {}
    kept: list[T] = []
    over: dict[tuple[str, str], tuple[T, int]] = {}
    for item in items:
        k = key(item)
        n = seen[k] = seen.get(k, 0) + 1
        if n <= MAX_PER_CODE:
            kept.append(item)
        else:
            first, count = over.get(k, (item, 0))
            over[k] = (first, count + 1)
    return kept, over


def cap_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems with at most ``MAX_PER_CODE`` of each code per file, then one line for the rest."""
    problems = list(problems)
    counted = [p for p in problems if p.more]  # already one line for many
    kept, over = capped((p for p in problems if not p.more), lambda p: (p.path, p.code))
    return kept + counted + [more_problems(first, count) for first, count in over.values()]


def more_problems(first: Problem, count: int) -> Problem:
    """One problem standing for ``count`` left out, located at the first of them."""
    return replace(
        first,
        message=f"and {count:,} more {first.code} in this file, from here on; "
        "fix the ones above and run gen validate again to see them",
        more=first.more + count - 1,
    )


#: Items of a list shown in one message; the rest are counted.
LISTED = 8


def listed(items: Iterable[str], limit: int = LISTED) -> str:
    """Items for a message, comma-separated: the first ``limit``, then how many more."""
    shown = list(items)
    if len(shown) <= limit:
        return ", ".join(shown)
    return f"{', '.join(shown[:limit])} and {len(shown) - limit:,} more"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(diagnostics: Sequence[Diagnostic], checked: dict[str, int]) -> str:
    """One line: what was checked and how many problems were found."""
    errors, warnings = counts(diagnostics)
    what = ", ".join(_plural(n, noun) for noun, n in checked.items())
    noted = notes(diagnostics)
    also = f", {_plural(noted, 'note')}" if noted else ""
    return f"checked {what}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}{also}"


def use_colour(stream: TextIO, choice: str = "auto") -> bool:
    """Whether to colour the output.

    ``always`` and ``never`` as asked; ``auto``: never when NO_COLOR is set (no-color.org),
    always when FORCE_COLOR is, else only on a terminal.
    """
    if choice in {"always", "never"}:
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _github_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _fingerprint(d: Diagnostic) -> str:
    """What identifies a problem across runs: the same file, code and message."""
    return hashlib.sha256(f"{d.path}\0{d.code}\0{d.message}".encode()).hexdigest()


def code_quality(diagnostics: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """The diagnostics as GitLab's Code Quality report (a subset of Code Climate's format).

    The fingerprint identifies a problem across pipelines: the same file, code and message.
    """
    issues: list[dict[str, object]] = []
    for d in diagnostics:
        issues.append(
            {
                "description": f"{d.code} {d.message}",
                "check_name": d.code,
                "fingerprint": _fingerprint(d),
                "severity": {"error": "major", "warning": "minor"}.get(d.severity, "info"),
                "location": {"path": d.path, "lines": {"begin": max(d.line, 1)}},
            }
        )
    return issues


#: The SARIF 2.1.0 schema as OASIS publishes it (with its approved errata).
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _artifact_location(path: str) -> dict[str, str]:
    """Where a file is, as SARIF says it: a URI reference, relative to the sources' root.

    A relative path is percent-encoded (spaces, ``#``, ``%``, non-ASCII letters) and
    resolved against ``%SRCROOT%``, the checkout; an absolute one becomes a ``file:`` URI.
    """
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": pure.as_uri()}
    return {"uri": quote(pure.as_posix(), safe="/"), "uriBaseId": "%SRCROOT%"}


def sarif(diagnostics: Sequence[Diagnostic]) -> dict[str, object]:
    """The diagnostics as a SARIF 2.1.0 log, for code-scanning tools (GitHub's, among others).

    One rule per code used, in code order; one result per diagnostic, in gen's order, with
    a partial fingerprint (the same file, code and message) that tracks it across runs.
    Columns count characters, as gen's do; lines and columns are at least 1.
    """
    codes = sorted({d.code for d in diagnostics})
    index = {code: n for n, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES[code][1]},
            "defaultConfiguration": {"level": CODES[code][0]},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": d.severity,
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact_location(d.path),
                        "region": {"startLine": max(d.line, 1), "startColumn": max(d.col, 1)},
                    }
                }
            ],
            "partialFingerprints": {"genProblemHash/v1": _fingerprint(d)},
        }
        for d in diagnostics
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "gen", "version": __version__, "rules": rules}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def write(
    diagnostics: Sequence[Diagnostic],
    checked: dict[str, int],
    fmt: Format,
    stream: TextIO,
    colour: str = "auto",
) -> None:
    """Write the diagnostics and a summary in the chosen format.

    Args:
        colour: ``auto``, ``always`` or ``never`` (text format only).
    """
    if fmt is Format.json:
        errors, warnings = counts(diagnostics)
        document = {
            "diagnostics": [d.as_dict() for d in diagnostics],
            "checked": checked,
            "errors": errors,
            "warnings": warnings,
            "notes": notes(diagnostics),
        }
        stream.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.gitlab:
        stream.write(json.dumps(code_quality(diagnostics), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.sarif:
        stream.write(json.dumps(sarif(diagnostics), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.github:
        for d in diagnostics:
            props = ",".join(
                [
                    f"file={_github_escape(d.path, prop=True)}",
                    f"line={d.line}",
                    f"col={d.col}",
                    f"title={d.code}",
                ]
            )
            kind = "notice" if d.severity == "note" else d.severity
            stream.write(f"::{kind} {props}::{_github_escape(d.message)}\n")
        stream.write(summary_line(diagnostics, checked) + "\n")
        return
    if use_colour(stream, colour):
        from rich.console import Console
        from rich.text import Text

        console = Console(
            file=stream,
            highlight=False,
            soft_wrap=True,
            force_terminal=True,
            no_color=False,
            color_system="standard",
        )
        for d in diagnostics:
            style = {"error": "bold red", "warning": "bold yellow"}.get(d.severity, "bold blue")
            line = Text(f"{d.path}:{d.line}:{d.col}: ", style="bold")
            line.append(f"{d.severity} {d.code}", style=style)
            line.append(f" {d.message}")
            console.print(line)
        errors, _ = counts(diagnostics)
        console.print(Text(summary_line(diagnostics, checked), style="red" if errors else "green"))
        return
    for d in diagnostics:
        stream.write(f"{d}\n")
    stream.write(summary_line(diagnostics, checked) + "\n")


def diagnostics_within(
    diagnostics: list[Diagnostic], root: Path, places: Mapping[str, Path], paths: Iterable[Path]
) -> list[Diagnostic]:
    """The diagnostics of files within ``paths`` (all when none is given).

    Args:
        places: where each diagnostic's file lies on disk, by its displayed path.

    Raises:
        GenError: a path does not exist or is outside the call folder (exit 2).
    """
    selected = [_selected(root, p) for p in paths]
    if not selected:
        return diagnostics
    return [d for d in diagnostics if _within(places.get(d.path, Path(d.path)), selected)]


def _selected(root: Path, path: Path) -> Path:
    if not path.exists():
        raise GenError(f"{path}: no such file or folder")
    resolved = path.resolve()
    top = root.resolve()
    if resolved != top and top not in resolved.parents:
        raise GenError(f"{path} is not inside the call folder {root}")
    return resolved


def _within(path: Path, selected: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == s or s in resolved.parents for s in selected)
