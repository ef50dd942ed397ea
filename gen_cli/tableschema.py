"""Checking a CSV file against a Frictionless Table Schema (the subset SCDL uses).

gen checks its own SCDL « subventions » output with this before writing anything; the
tests also check it with frictionless itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from gen_cli.identifiers import siret_problem

SCDL_SCHEMA = "data/scdl-subventions/schema.json"


def scdl_schema() -> dict[str, Any]:
    """The official SCDL « subventions » 2.1.1 Table Schema shipped with gen."""
    text = resources.files("gen_cli").joinpath(SCDL_SCHEMA).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _cell_problem(field: dict[str, Any], value: str) -> str | None:
    constraints = field.get("constraints", {})
    if value == "":
        return "is required" if constraints.get("required") else None
    kind = field.get("type", "string")
    if kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            return f"{value!r} is not a number"
        if not number.is_finite():
            return f"{value!r} is not a finite number"
        if "minimum" in constraints and number < Decimal(str(constraints["minimum"])):
            return f"{value} is below {constraints['minimum']}"
        if "maximum" in constraints and number > Decimal(str(constraints["maximum"])):
            return f"{value} is above {constraints['maximum']}"
    elif kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not a date YYYY-MM-DD"
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return f"{value!r} is not a date YYYY-MM-DD"
    elif kind == "boolean":
        allowed = field.get("trueValues", ["true"]) + field.get("falseValues", ["false"])
        if value not in allowed:
            return f"{value!r} is not one of {allowed}"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], value):
        return f"{value!r} does not match {constraints['pattern']}"
    if "enum" in constraints and value not in constraints["enum"]:
        return f"{value!r} is not one of {constraints['enum']}"
    if "maxLength" in constraints and len(value) > constraints["maxLength"]:
        return f"is longer than {constraints['maxLength']} characters"
    return None


def check_csv(text: str, schema: dict[str, Any]) -> list[str]:
    """Problems of a CSV text against a Table Schema: ``row N, column: problem``."""
    names = [f["name"] for f in schema["fields"]]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return ["the file is empty"]
    problems = []
    if rows[0] != names:
        problems.append(f"header {rows[0]} is not the schema's {names}")
        return problems
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(names):
            problems.append(f"row {number}: {len(row)} cells, expected {len(names)}")
            continue
        cells = dict(zip(names, row, strict=True))
        for field in schema["fields"]:
            problem = _cell_problem(field, cells[field["name"]])
            if problem:
                problems.append(f"row {number}, {field['name']}: {problem}")
        for check in schema.get("custom_checks", []):
            params = check.get("params", {})
            if check["name"] == "french-siret-value":
                value = cells.get(params["column"], "")
                if value and siret_problem(value):
                    problems.append(f"row {number}, {params['column']}: {siret_problem(value)}")
            elif (
                check["name"] == "one-of-required"
                and not cells.get(params["column1"])
                and not cells.get(params["column2"])
            ):
                problems.append(
                    f"row {number}: one of {params['column1']} and {params['column2']} is required"
                )
    return problems
