"""pydantic's validation errors in the user's words: a code, a located problem, the fix.

No message shown to a user carries pydantic's own wording (class names, "Input should
be", union tags, regular expressions): each error type has a sentence here that says what
is wrong in the terms of the file and how to fix it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from gen_cli.diagnostics import Loc, Problem, capped, more_problems
from gen_cli.models import SCHEMAS, field_names
from gen_cli.suggest import allowed, did_you_mean, folded, french_number, hint, suggestion

_ERROR_CODES = {
    "missing": "E101",
    "union_tag_not_found": "E101",
    "extra_forbidden": "E102",
    "siret": "E105",
    "email": "E106",
    "weight": "E303",
    "negative_amount": "E306",
    "text_character": "E104",
    "formula": "E104",
    "web_address": "E104",
    "logo_file": "E104",
    "date_value": "E104",
    "country": "E104",
}
_RANGE_ERRORS = (
    "literal_error",
    "union_tag_invalid",
    "greater_than",
    "less_than",
    "string_pattern_mismatch",
    "string_too_short",
    "string_too_long",
    "too_short",
    "too_long",
    "decimal_max_places",
    "decimal_max_digits",
    "decimal_whole_digits",
    "finite_number",
    "time_zone",
    "date_from_datetime_inexact",
    "enum",
)


def code_for(error_type: str) -> str:
    """The diagnostic code of a pydantic error type."""
    if error_type in _ERROR_CODES:
        return _ERROR_CODES[error_type]
    if error_type.startswith(_RANGE_ERRORS):
        return "E104"
    return "E103"


@functools.cache
def _fields() -> list[str]:
    return sorted(field_names())


@functools.cache
def _discriminators() -> frozenset[str]:
    """The fields that select a member of a tagged union (``rule``, ``source``)."""
    names: set[str] = set()
    pending: list[Any] = [model.model_json_schema() for model in SCHEMAS.values()]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("discriminator"), dict):
                names.add(node["discriminator"]["propertyName"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return frozenset(names)


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def present_loc(data: Any, loc: Loc) -> Loc:
    """The parts of pydantic's ``loc`` that name nodes of ``data`` (drops union tags)."""
    kept: list[str | int] = []
    node = data
    tagged: object = None  # the node whose union tag was skipped: it has one tag
    for index, part in enumerate(loc):
        if (
            isinstance(node, dict)
            and node is not tagged
            and index < len(loc) - 1
            and any(node.get(name) == part for name in _discriminators())
        ):
            # pydantic's tag of a tagged union, not a key: a criterion with
            # source: indicator also has an ``indicator`` key, named after the tag.
            tagged = node
            continue
        if _has(node, part):
            node = node[part]
            kept.append(part)
        elif index == len(loc) - 1 and isinstance(part, str) and not part.startswith("["):
            kept.append(part)  # the missing or unknown field itself
    return tuple(kept)


def _shown(value: Any) -> str:
    """A value as the user wrote it, short."""
    if isinstance(value, dict):
        return "a mapping (key: value lines)"
    if isinstance(value, list):
        return "a list (- item lines)"
    if value is None:
        return "nothing"
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


#: How each pattern of the models is described to a user.
_PATTERNS = {
    "^[a-z0-9]+(?:-[a-z0-9]+)*$": "an id uses lower-case letters, digits and single hyphens, "
    "like tech-my-ge",
    "^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$": "a round id uses letters, digits, _ and -, "
    "up to 32 characters, like 2022Q1",
    "^[A-Z]{2}$": "a country is its ISO 3166 two-letter code in capitals, like BE",
}

#: What a mapping of each model holds, for a value that is not a mapping.
_MAPPINGS = {
    "Label": "write the label in both languages: {fr: …, en: …}",
}


def _choice(error: dict[str, Any]) -> str:
    """A value not among the allowed ones: the close one, or the allowed ones."""
    given = error["input"]
    expected = error.get("ctx", {}).get("expected", "")
    values = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",") if part]
    hint = did_you_mean(str(given), values) if isinstance(given, str) else ""
    if hint:
        return f"{_shown(given)} is not allowed here{hint}"
    return f"{_shown(given)} is not allowed here: {allowed(values, 'the format (gen schema)')}"


def _tag(error: dict[str, Any]) -> str:
    ctx = error.get("ctx", {})
    given = str(ctx.get("tag", error.get("input")))
    values = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",") if t]
    return f"{given!r} is not a known kind{hint(given, values, 'README')}"


def _number(error: dict[str, Any]) -> str:
    given = error.get("input")
    if isinstance(given, str) and (how := french_number(given)) is not None:
        return f"{_shown(given)} is not a number as gen reads it: {how}"
    return str(error["msg"])


def _bounds(error: dict[str, Any]) -> str:
    ctx = error.get("ctx", {})
    given = _shown(error.get("input"))
    kind = error["type"]
    words = {
        "greater_than_equal": ("below the minimum", "ge"),
        "greater_than": ("not above", "gt"),
        "less_than_equal": ("above the maximum", "le"),
        "less_than": ("not below", "lt"),
    }[kind]
    return f"{given} is {words[0]} {ctx.get(words[1])}"


def _length(error: dict[str, Any]) -> str:
    ctx = error.get("ctx", {})
    kind = error["type"]
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "this text is empty: write it"
        return f"this text is too short: write at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"this text is too long: at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        return f"this list needs at least {ctx.get('min_length')} item(s)"
    return f"this list has too many items: at most {ctx.get('max_length')}"


def _pattern(error: dict[str, Any]) -> str:
    pattern = str(error.get("ctx", {}).get("pattern", ""))
    rule = _PATTERNS.get(pattern, "it holds characters that are not allowed here")
    given = error.get("input")
    meant = folded(given).strip("-") if isinstance(given, str) else ""
    close = f"; did you mean {meant!r}?" if meant and re.fullmatch(pattern, meant) else ""
    return f"{_shown(given)} is not valid: {rule}{close}"


def _decimals(error: dict[str, Any]) -> str:
    ctx = error.get("ctx", {})
    kind = error["type"]
    if kind == "decimal_max_places":
        places = ctx.get("decimal_places")
        return (
            f"{_shown(error.get('input'))} has too many decimals: at most {places}, like 38000.50"
        )
    return f"{_shown(error.get('input'))} has too many digits"


def _type(error: dict[str, Any]) -> str:
    kind = error["type"]
    given = _shown(error.get("input"))
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        model = str(error.get("ctx", {}).get("class_name", ""))
        fix = _MAPPINGS.get(model, "write a mapping here: one key: value a line, indented")
        return f"{given} is not what goes here: {fix}"
    if kind == "list_type":
        return f"{given} is not what goes here: write a list, one '- item' a line"
    if kind.startswith("string"):
        return f"{given} is not what goes here: write text (put it in quotes if needed)"
    if kind.startswith(("int", "decimal", "float")):
        return _number(error) if kind.startswith("decimal") else f"{given} is not a whole number"
    if kind.startswith("bool"):
        return f"{given} is not what goes here: write true or false"
    if kind.startswith(("date", "datetime")):
        return f"{given} is not a date: a date is written YYYY-MM-DD, for example 2021-09-30"
    if kind == "finite_number":
        return f"{given} is not a number: write digits"
    return f"{given} is not valid here"


_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "literal_error": _choice,
    "enum": _choice,
    "union_tag_invalid": _tag,
    "greater_than_equal": _bounds,
    "greater_than": _bounds,
    "less_than_equal": _bounds,
    "less_than": _bounds,
    "string_too_short": _length,
    "string_too_long": _length,
    "too_short": _length,
    "too_long": _length,
    "string_pattern_mismatch": _pattern,
    "decimal_max_places": _decimals,
    "decimal_max_digits": _decimals,
    "decimal_whole_digits": _decimals,
    "decimal_type": _number,
}

#: Error types gen raises itself (PydanticCustomError), already in the user's words.
_OWN = frozenset(
    {
        "siret",
        "email",
        "weight",
        "negative_amount",
        "text_character",
        "date_value",
        "date_type",
        "country",
        "time_zone",
        "bool_value",
        "formula",
        "web_address",
        "logo_file",
    }
)


def message(error: dict[str, Any], loc: Loc, code: str) -> str:
    """The message of one pydantic error, located at ``loc`` of the user's file."""
    where = ".".join(str(p) for p in loc) or "file"
    kind = error["type"]
    if code == "E101":
        if kind == "union_tag_not_found":
            return f"{where}: missing field {error['ctx']['discriminator'].strip(chr(39))!r}"
        return f"{where}: missing required field"
    if code == "E102":
        hint = suggestion(str(loc[-1]), _fields()) if loc else None
        suffix = f"; did you mean {hint!r}?" if hint else "; remove it, or correct its name"
        return f"{where}: unknown field{suffix}"
    if kind in _WORDS:
        return f"{where}: {_WORDS[kind](error)}"
    if kind in _OWN:
        return f"{where}: {error['msg']}"
    return f"{where}: {_type(error)}"


def validation_problems(error: ValidationError, data: Any, display: str) -> list[Problem]:
    """Turn a pydantic error into located problems, one per offending value."""
    # Messages are written for the shown problems only ("did you mean" is not free).
    kept, over = capped(error.errors(include_url=False), lambda e: (display, code_for(e["type"])))
    problems = [_problem(item, data, display) for item in kept]
    problems += [more_problems(_problem(first, data, display), n) for first, n in over.values()]
    return problems


def _problem(item: Any, data: Any, display: str) -> Problem:
    code = code_for(item["type"])
    loc = present_loc(data, tuple(item["loc"]))
    if item["type"] == "union_tag_invalid":
        # pydantic places it at the mapping; the user wrote the wrong word at its key
        loc = (*loc, str(item.get("ctx", {}).get("discriminator", "")).strip("'"))
    at_key = code in {"E101", "E102"} or item["loc"][-1:] == ("[key]",)
    return Problem(display, code, message(item, loc, code), loc=loc, at_key=at_key)
