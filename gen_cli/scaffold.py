"""Writing new files for a call repository: ``gen init``, ``gen new dossier``, ``gen new review``.

Nothing here overwrites a file that exists, and nothing is written through a symbolic link.
The files of ``gen init`` are the packaged ``gen_cli/data/init/*.in`` texts, filled with
``string.Template``; the dossier and review skeletons are written from the models, so that
their fields, allowed values and labels follow the models and the call file.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import textwrap
import types
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from string import Template
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, TypeAdapter, ValidationError

import gen_cli
from gen_cli import models
from gen_cli.errors import GenError
from gen_cli.layout import CALL_FILE, REVIEWS_DIR
from gen_cli.loading import CallFolder
from gen_cli.models import (
    SCHEMAS,
    Call,
    Dossier,
    Envelope,
    Indicator,
    ReviewCriterion,
    ReviewsRule,
    Round,
    Scoring,
    Selection,
    ThemesRule,
)
from gen_cli.names import conflict_of_interest
from gen_cli.reviewing import assigned_to
from gen_cli.sealing import SEALED_SUFFIX

#: Where the schemas live in a call repository, as ``gen init`` writes them.
SCHEMAS_DIR = "schemas"
#: The theme of the call that ``gen init`` writes.
FIRST_THEME = "inclusion-numerique"
#: How long the first round of a new call stays open.
FIRST_ROUND_DAYS = 90

_WIDTH = 92


class _Fill(Template):
    """A template whose placeholders are ``@@name``: ``$`` is common in YAML and CI files."""

    delimiter = "@@"


# --- gen init ---------------------------------------------------------------------------


def gen_version() -> str:
    """The version of gen that is running, which the CI files of a new call install."""
    version = getattr(gen_cli, "__version__", None)
    return str(version) if version else importlib.metadata.version("gen-cli")


def schema_text(kind: str) -> str:
    """The JSON Schema of one file kind, exactly as ``gen schema KIND`` prints it."""
    document = models.json_schema(kind)
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def first_round_id(today: date) -> str:
    """The id of a new call's first round: the year and quarter of ``today``, like 2025Q3."""
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def _scalar(value: Any) -> str:
    """A default value as it is written in YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return str(value)


def _default(model: type[BaseModel], name: str) -> str:
    return _scalar(model.model_fields[name].get_default(call_default_factory=True))


def _call_values(today: date) -> dict[str, str]:
    """What fills the placeholders of the packaged files; defaults come from the models."""
    scoring, selection = Scoring(), Selection()
    return {
        "version": gen_version(),
        "year": str(today.year),
        "round": first_round_id(today),
        "opens": today.isoformat(),
        "closes": (today + timedelta(days=FIRST_ROUND_DAYS)).isoformat(),
        "goal_by": f"{today.year + 1}-12-31",
        "theme": FIRST_THEME,
        "currency": _default(Call, "currency"),
        "timezone": _default(Call, "timezone"),
        "submissions": _default(Round, "submissions"),
        "unspent_theme": _default(Envelope, "unspent_theme"),
        "requested_min": _default(models.RequestedAmountRule, "min"),
        "themes_min": _default(ThemesRule, "min"),
        "reviews_min": _default(ReviewsRule, "min"),
        "lead_kinds": ", ".join(get_args(models.LeadKind)),
        "indicator_fields": ", ".join(get_args(models.IndicatorField)),
        "better": _default(Indicator, "better"),
        **{name: _scalar(getattr(scoring, name)) for name in Scoring.model_fields},
        **{name: _scalar(getattr(selection, name)) for name in Selection.model_fields},
    }


#: The packaged texts that ``gen init`` fills, and where each goes in the new call.
_INIT_FILES = {
    CALL_FILE: "call.yaml.in",
    ".gitignore": "gitignore.in",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.in",
    ".github/workflows/gen.yml": "github-workflow.yml.in",
    ".gitlab-ci.yml": "gitlab-ci.yml.in",
    "CONTRIBUTING.md": "CONTRIBUTING.md.in",
}


def init_files(today: date) -> dict[str, str]:
    """Every file of a new call repository: its path inside the call, and its text."""
    values = _call_values(today)
    package = resources.files("gen_cli") / "data" / "init"
    files = {
        target: _Fill(package.joinpath(name).read_text(encoding="utf-8")).substitute(values)
        for target, name in _INIT_FILES.items()
    }
    files[f"{values['round']}/{REVIEWS_DIR}/.gitkeep"] = ""
    for kind in SCHEMAS:
        files[f"{SCHEMAS_DIR}/{kind}.schema.json"] = schema_text(kind)
    return files


def _is_empty(folder: Path) -> bool:
    # A folder that holds only a fresh .git (``git init`` first, then ``gen init``) is empty.
    return all(entry.name == ".git" and entry.is_dir() for entry in folder.iterdir())


def _refuse_links(target: Path, path: Path) -> None:
    """Refuse ``path`` when it, or a folder between ``target`` and it, is a link or a file."""
    current = target
    for part in path.relative_to(target).parts[:-1]:
        current = current / part
        _refuse(current, folder=True)
    _refuse(path, folder=False)


def _refuse(path: Path, *, folder: bool) -> None:
    if path.is_symlink():
        raise GenError(
            f"{path} is a symbolic link: gen init does not write through links; "
            "remove it or choose another folder"
        )
    if path.exists() and (not path.is_dir() if folder else not path.is_file()):
        what = (
            "a file where gen init needs a folder"
            if folder
            else "a folder where gen init writes a file"
        )
        raise GenError(f"{path} is {what}: move it away, then run gen init again")


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text``; fail rather than replace a file that appeared meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def init_call(target: Path, *, force: bool, today: date) -> list[Path]:
    """Create a new call repository in ``target`` and return the files written.

    The call has one theme, one round open from ``today`` for 90 days, a grid, a reviewer
    and the eligibility rules; with the CI files, the pre-commit hooks, CONTRIBUTING.md and
    the JSON Schemas. With ``force``, a folder that is not empty gets the files it lacks:
    a file that exists is left as it is (and is not in the returned list).

    Raises:
        GenError: the folder is not empty (without ``force``), is a file or a link, a path
            to write is a link or a folder, or the disk refuses a write (exit status 2).
    """
    if target.is_symlink():
        raise GenError(
            f"{target} is a symbolic link: gen init does not write through links; "
            "give the folder it points to, or another folder"
        )
    if target.exists() and not target.is_dir():
        raise GenError(f"{target} is a file, not a folder: give a new or empty folder for the call")
    try:
        if target.is_dir() and not force and not _is_empty(target):
            raise GenError(
                f"{target} is not empty: give a new or empty folder, or add --force to add the "
                "missing files there (gen init never overwrites a file)"
            )
        files = init_files(today)
        if (target / CALL_FILE).exists() or (target / CALL_FILE).is_symlink():
            # The call kept has rounds of its own: no folder for a round it does not declare.
            round_folder = f"{first_round_id(today)}/"
            files = {k: v for k, v in files.items() if not k.startswith(round_folder)}
        planned: list[tuple[Path, str]] = []
        for relative, text in files.items():
            path = target / relative
            _refuse_links(target, path)
            if not path.exists():
                planned.append((path, text))
        for path, text in planned:
            _write_new(path, text)
    except OSError as error:
        where = error.filename or target
        raise GenError(f"could not write {where}: {error.strerror or error}") from None
    return [path for path, _ in planned]


# --- comments from the models -----------------------------------------------------------

#: What a value of these types is, in words (the types are the models' own aliases).
_UNITS: list[tuple[Any, str]] = [
    (models.Money, "an amount in euros, like 38000 or 38000.50"),
    (models.Percent, "a percentage, from 0 to 100"),
    (models.Day, "a date, YYYY-MM-DD"),
    (models.Siret, 'a SIRET number: 14 digits, in quotes, like "83456789300013"'),
    (models.Siren, 'a SIREN number: 9 digits, in quotes, like "834567893"'),
    (models.Email, "an email address"),
    (models.Slug, "lower-case letters, digits and hyphens, like atelier-brest"),
    (models.RoundId, "a round of call.yaml"),
    (models.Text, ""),
    (models.Title, ""),
    (models.Name, ""),
]

#: What some dossier fields mean, where the model gives no description.
_MEANING = {
    "id": "The dossier's id: the name of this file, unique in the call.",
    "round": "The round the dossier is submitted to: the name of its folder.",
    "title": "The project's title.",
    "summary": "A summary of the project, in Markdown. For several lines, write "
    "summary: | and indent the lines below it.",
    "submitted": "The day you submit. The deadline is the day the funder merges the "
    "pull request, not this date.",
    "porteur.name": "The organisation's name.",
    "partners.name": "The partner's name.",
    "partners.role": "What the partner does in the project.",
    "budget.total_cost": "The project's total cost.",
    "budget.requested": "The grant requested: at most the total cost.",
    "budget.other_funding": "Other funding: requested + other_funding should equal total_cost.",
    "beneficiaries.people": "How many people the project trains or supports.",
    "beneficiaries.women_percent": "The share of women among them.",
    "beneficiaries.publics": "The target publics.",
    "timeline.start": "The project's first day.",
    "timeline.end": "The project's last day.",
    "contact.name": "The contact person's name.",
    "contact.email": "Their email address.",
    "contact.phone": "A phone number.",
}


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    """``X | None`` gives ``(X, True)``; any other type ``(type, False)``."""
    if get_origin(hint) in (Union, types.UnionType):
        members = [a for a in get_args(hint) if a is not type(None)]
        if len(members) < len(get_args(hint)) and len(members) == 1:
            return members[0], True
    return hint, False


def _base(hint: Any) -> Any:
    """The type under ``Annotated`` and ``| None``."""
    hint, _ = _strip_optional(hint)
    while get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
        hint, _ = _strip_optional(hint)
    return hint


def _kind(hint: Any) -> str:
    """What a value of ``hint`` is, in words, with the allowed values of a Literal."""
    hint, _ = _strip_optional(hint)
    for alias, words in _UNITS:
        if hint == alias:
            return words
    if get_origin(hint) is Annotated:
        return _kind(get_args(hint)[0])
    if get_origin(hint) is Literal:
        return "one of: " + ", ".join(str(a) for a in get_args(hint))
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        inner = _kind(item)
        if inner.startswith("one of: "):
            return "one or more of: " + inner.removeprefix("one of: ")
        return f"a list; each is {inner}"
    if hint is bool:
        return "true or false"
    if hint is int:
        return "a whole number"
    return ""


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", ":")) else text + "."


def _comment(indent: str, *parts: str) -> list[str]:
    """Comment lines at ``indent``, wrapped, made of the non-empty ``parts``."""
    text = " ".join(_sentence(p) for p in parts if p)
    if not text:
        return []
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=f"{indent}# ",
        subsequent_indent=f"{indent}#   ",
        break_on_hyphens=False,
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True)
class _Skeleton:
    """What ``_model_lines`` fills in or explains from the call, by dotted field path."""

    values: dict[str, str]
    choices: dict[str, list[tuple[str, str]]]


def _model_lines(model: type[BaseModel], indent: str, prefix: str, fill: _Skeleton) -> list[str]:
    """A commented skeleton of ``model``'s fields, at ``indent``."""
    hints = get_type_hints(model, include_extras=True)
    lines: list[str] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        hint = hints[name]
        base = _base(hint)
        optional = "Optional." if not info.is_required() else ""
        meaning = _MEANING.get(path) or info.description or ""
        if isinstance(base, type) and issubclass(base, BaseModel):
            lines += _comment(indent, optional, (base.__doc__ or "").splitlines()[0])
            lines.append(f"{indent}{name}:")
            lines += _model_lines(base, indent + "  ", f"{path}.", fill)
            continue
        item = _base(get_args(base)[0]) if get_origin(base) is list else None
        if isinstance(item, type) and issubclass(item, BaseModel):
            lines += _comment(
                indent,
                optional,
                (item.__doc__ or "").splitlines()[0],
                "None by default; to add some, replace [] with entries like:",
            )
            lines.append(f"{indent}{name}: []")
            lines += _example_lines(item, indent + "  ", f"{path}.")
            continue
        if path in fill.choices:
            lines += _comment(indent, optional, meaning, "Remove the # before your choices:")
            lines.append(f"{indent}{name}:")
            width = max((len(ident) for ident, _ in fill.choices[path]), default=0)
            lines += [
                f"{indent}  # - {ident.ljust(width)}  # {_oneline(label)}"
                for ident, label in fill.choices[path]
            ]
            continue
        lines += _comment(indent, optional, meaning, _kind(hint))
        value = fill.values.get(path)
        if value is None and not info.is_required() and info.default is not None:
            value = _scalar(info.default)  # an optional field left empty would be an error
        lines.append(f"{indent}{name}:" + (f" {value}" if value is not None else ""))
    return lines


def _example_lines(model: type[BaseModel], indent: str, prefix: str) -> list[str]:
    """One commented list entry of ``model``, each field with a short hint."""
    hints = get_type_hints(model, include_extras=True)
    lines = []
    for number, (name, info) in enumerate(model.model_fields.items()):
        lead = "- " if number == 0 else "  "
        hint = ", ".join(
            p
            for p in (
                "optional" if not info.is_required() else "",
                _lower_first(_MEANING.get(f"{prefix}{name}", "").rstrip(".")),
                _kind(hints[name]),
            )
            if p
        )
        lines.append(f"{indent}# {lead}{name}:" + (f"  # {hint}" if hint else ""))
    return lines


def _schema_line(folder: CallFolder, kind: str, written_in: Path) -> list[str]:
    """The YAML language server's line for editors, when the call holds the schema."""
    start = folder.root.resolve()
    for candidate in (start, *start.parents):
        schema = candidate / SCHEMAS_DIR / f"{kind}.schema.json"
        if schema.is_file():
            relative = Path(os.path.relpath(schema, written_in.resolve())).as_posix()
            return [f"# yaml-language-server: $schema={relative}"]
    return []


# --- gen new dossier / gen new review ---------------------------------------------------


def _readable_call(folder: CallFolder) -> Call:
    if folder.call is None:
        raise GenError(
            f"{folder.call_source.display} has errors, so gen cannot tell the call's rounds: "
            "run gen validate and fix call.yaml first"
        )
    return folder.call


def _known_round(call: Call, round_id: str) -> models.Round:
    round_ = call.round(round_id)
    if round_ is None:
        known = ", ".join(r.id for r in call.rounds)
        raise GenError(f"round {round_id!r} is not in call.yaml; its rounds are: {known}")
    return round_


def _new_file(folder: CallFolder, path: Path, what: str) -> None:
    """Refuse a path that exists or goes through a link; create its folders."""
    part = folder.root
    for name in path.relative_to(folder.root).parts[:-1]:
        part = part / name
        if part.is_symlink():
            raise GenError(
                f"{part} is a symbolic link: gen does not write through links; replace it "
                "with a real folder"
            )
    if path.exists() or path.is_symlink():
        raise GenError(f"{path} already exists: edit it, or {what}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise GenError(f"could not create {path.parent}: {error.strerror or error}") from None


def _write(path: Path, lines: Iterable[str]) -> None:
    try:
        _write_new(path, "\n".join(lines) + "\n")
    except FileExistsError:
        raise GenError(f"{path} already exists: edit it instead") from None
    except OSError as error:
        raise GenError(f"could not write {path}: {error.strerror or error}") from None


_SLUG = TypeAdapter(models.Slug)


def dossier_skeleton(call: Call, round_id: str, dossier_id: str, today: date) -> list[str]:
    """The lines of a new dossier, every field of the model with a comment."""
    round_ = _known_round(call, round_id)
    fill = _Skeleton(
        values={"id": dossier_id, "round": round_id, "submitted": today.isoformat()},
        choices={"themes": [(t.id, t.label.fr) for t in call.themes]},
    )
    header = [
        f"# A dossier for round {round_id} of the call « {_oneline(call.name.fr)} ».",
        f"# The round takes dossiers from {round_.opens} to {round_.closes}.",
        "# Fill in each field; a line starting with # is a comment. Then run gen validate,",
        "# and open a pull request that adds only this file.",
        "",
    ]
    return header + _model_lines(Dossier, "", "", fill)


def new_dossier(folder: CallFolder, round_id: str, dossier_id: str, *, today: date) -> Path:
    """Write a dossier skeleton for ``round_id`` and return its path.

    Raises:
        GenError: call.yaml cannot be read, the round is unknown, the id is not a slug,
            a dossier with this id exists, or the file cannot be written (exit status 2).
    """
    call = _readable_call(folder)
    _known_round(call, round_id)
    try:
        _SLUG.validate_python(dossier_id)
    except ValidationError:
        raise GenError(
            f"{dossier_id!r} cannot be a dossier id: use lower-case letters, digits and single "
            "hyphens, at most 64 characters, like atelier-numerique-brest"
        ) from None
    for source, dossier in folder.dossiers:
        if dossier.id == dossier_id:
            raise GenError(
                f"dossier {dossier_id!r} already exists in {source.display}: choose another id"
            )
    path = folder.root / round_id / f"{dossier_id}.yaml"
    _new_file(folder, path, "choose another id")
    lines = _schema_line(folder, "dossier", path.parent)
    _write(path, lines + dossier_skeleton(call, round_id, dossier_id, today))
    return path


def review_skeleton(
    call: Call,
    round_id: str,
    reviewer_id: str,
    dossiers: list[Dossier],
    *,
    assigned: bool = False,
) -> list[str]:
    """The lines of a reviewer's file: each of ``dossiers``, every criterion to grade.

    Args:
        assigned: the dossiers are those assigned to the reviewer (assignments.yaml).
    """
    reviewer = next(r for r in call.reviewers if r.id == reviewer_id)
    lines = [
        f"# The evaluations of {_oneline(reviewer.name)} for round {round_id}.",
        "# Give each criterion a grade within its scale; one left empty is not graded yet.",
        "# With a conflict of interest, write conflict: and why, instead of grades.",
        "# Comments are private: they are never published.",
        "",
        f"reviewer: {reviewer_id}",
        f"round: {round_id}",
    ]
    if assigned:
        lines.insert(4, f"# These are the dossiers assigned to you in {round_id}/assignments.yaml.")
    if not dossiers:
        empty = "no dossier assigned to you" if assigned else "no dossier in this round yet"
        return [*lines, f"evaluations: {{}}  # {empty}"]
    lines.append("evaluations:")
    for dossier in sorted(dossiers, key=lambda d: d.id):
        lines.append(f"  {dossier.id}:  # {_oneline(dossier.title)}")
        reason = conflict_of_interest(reviewer, dossier)
        if reason is not None:
            lines.append(f"    conflict: {_quote(reason)}")
            continue
        grid = call.grids.get(dossier.principal_theme)
        criteria = [c for c in (grid.criteria if grid else []) if isinstance(c, ReviewCriterion)]
        if not criteria:
            lines.append(
                f"    grades: {{}}  # no criterion to grade for theme {dossier.principal_theme}"
            )
        else:
            lines.append("    grades:")
            width = max(len(c.id) for c in criteria) + 1
            lines += [
                f"      {(c.id + ':').ljust(width)}  # {_oneline(c.label.fr)}, "
                f"{c.scale.min}–{c.scale.max}"
                for c in criteria
            ]
        lines.append("    comment:  # private")
    return lines


def new_review(folder: CallFolder, round_id: str, reviewer_id: str) -> Path:
    """Write a reviewer's file for ``round_id`` and return its path.

    Raises:
        GenError: call.yaml cannot be read, the round or the reviewer is unknown, or the
            file exists or cannot be written (exit status 2).
    """
    call = _readable_call(folder)
    _known_round(call, round_id)
    if not any(r.id == reviewer_id for r in call.reviewers):
        known = ", ".join(r.id for r in call.reviewers) or "none"
        raise GenError(
            f"reviewer {reviewer_id!r} is not declared in call.yaml (reviewers: {known}); "
            "add them to reviewers first"
        )
    path = folder.root / round_id / REVIEWS_DIR / f"{reviewer_id}.yaml"
    sealed = path.with_name(path.name + SEALED_SUFFIX)
    if sealed.exists() or sealed.is_symlink():
        raise GenError(
            f"{sealed} exists already: the reviewer's review of {round_id} is sealed; the "
            "secretariat opens it (gen unseal)"
        )
    _new_file(folder, path, "remove it first to start again")
    dossiers = [d for _, d in folder.dossiers if d.round == round_id]
    mine = assigned_to(folder, round_id, reviewer_id)
    if mine is not None:  # the round has an assignment: exactly the reviewer's dossiers
        dossiers = [d for d in dossiers if d.id in mine]
    lines = _schema_line(folder, "review", path.parent)
    skeleton = review_skeleton(call, round_id, reviewer_id, dossiers, assigned=mine is not None)
    _write(path, lines + skeleton)
    return path
