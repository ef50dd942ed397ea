"""Fuzzing: valid dossier, review and call files, mutated, never make gen fall over (part of #8).

Structure-aware: a valid document has values replaced (by hostile scalars and structures),
keys removed, renamed or added, items wrapped; raw: a valid file's bytes are flipped,
cut, repeated or spliced. For every mutant, `gen validate` and `gen score --dry-run` exit
with 0, 1 or 2 and never a traceback; every diagnostic names a file and a line inside it;
and validating twice gives the same diagnostics.

The default run tries a bounded number of examples; `pytest --hypothesis-profile=fuzz
tests/test_fuzz.py` tries 20,000 of each.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MINIMAL, examples, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gen_cli.diagnostics import CODES
from gen_cli.rules import validate_call_folder

FILES = {
    "dossier": "2022Q1/codeuses-lille.yaml",
    "review": "2022Q1/reviews/yannick-le-goff.yaml",
    "call": "call.yaml",
}

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\x1b[31m",
        "\u202egnp.exe",
        "\u200b",
        "\ufeff",
        "é" * 300,
        "x" * 5000,
        "<script>alert(1)</script>",
        "![x](http://t.example/p.png)",
        "{{ 7*7 }}",
        "1_000",
        "3.8e4",
        "0x10",
        "-0",
        "2022-02-30",
        "9999-12-31",
        "0001-01-01",
        "NaN",
        "inf",
        "../../etc/passwd",
        "/etc/passwd",
        "${HOME}",
        "%s%n",
        "yes",
        "null",
        "~",
        "Мission locale",
        "59123456200153",
        "591234562",
        "2022Q1",
        "inclusion",
        "laureat",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.dates(),
    HOSTILE_TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=12), HOSTILE_TEXT), children, max_size=4),
    ),
    max_leaves=12,
)


def node_paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a document."""
    found = [here] if here else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += node_paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += node_paths(value, (*here, index))
    return found


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@st.composite
def mutants(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    """The document with one to four mutations of its values and keys."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        paths = node_paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = at(document, path[:-1]), path[-1]
        operation = draw(st.sampled_from(["replace", "delete", "rename", "wrap", "add"]))
        if operation == "replace":
            parent[key] = draw(VALUES)
        elif operation == "delete":
            del parent[key]
        elif operation == "wrap":
            parent[key] = [parent[key]] if draw(st.booleans()) else {"value": parent[key]}
        elif isinstance(parent, dict) and operation == "rename":
            new_key = draw(st.one_of(st.text(max_size=12), HOSTILE_TEXT, st.integers(0, 9)))
            parent[new_key] = parent.pop(key)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return document


@st.composite
def byte_mutants(draw: st.DrawFn, raw: bytes) -> bytes:
    """The bytes with one to eight flips, cuts, repeats or splices."""
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        j = draw(st.integers(i, min(len(data), i + 64)))
        operation = draw(st.sampled_from(["flip", "cut", "repeat", "splice"]))
        if operation == "flip":
            data[i] = draw(st.integers(0, 255))
        elif operation == "cut":
            del data[i:j]
        elif operation == "repeat":
            data[i:i] = data[i:j] * draw(st.integers(2, 5))
        else:
            data[i:i] = draw(
                st.sampled_from([b": ", b"- ", b"\n", b"&a ", b"*a", b"!!", b"{", b"\t", b"\xff"])
            )
    return bytes(data)


def dump(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=80)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path_factory.mktemp("fuzz") / "call"))


def check(folder: Path, relative: str, content: bytes) -> None:
    """Write a mutant in place of the valid file, run gen on it, and put the file back."""
    path = folder / relative
    original = (MINIMAL / relative).read_bytes()
    path.write_bytes(content)
    try:
        first = validate_call_folder(folder)
        second = validate_call_folder(folder)
        validated = invoke("validate", "--call", folder, "--format", "json")
        scored = invoke("score", "--round", "2022Q1", "--dry-run", "--call", folder)
    finally:
        path.write_bytes(original)
    assert first.diagnostics == second.diagnostics  # deterministic
    lines = len(content.decode("utf-8", "replace").splitlines()) + 1
    for diagnostic in first.diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.path.startswith(str(folder)), str(diagnostic)
        assert diagnostic.line >= 1 and diagnostic.col >= 1, str(diagnostic)
        if diagnostic.path == str(path):
            assert diagnostic.line <= lines, str(diagnostic)
    for result in (validated, scored):
        assert result.code in {0, 1, 2}, result
        assert "internal error" not in result.err and "Traceback" not in result.err, result


def original(kind: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((MINIMAL / FILES[kind]).read_text(encoding="utf-8"))
    return document


SLOW = settings(
    examples(40), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_mutated_documents_are_reported_never_raised(folder: Path, kind: str) -> None:
    @SLOW
    @given(mutants(original(kind)))
    def run(document: dict[str, Any]) -> None:
        check(folder, FILES[kind], dump(document).encode("utf-8"))

    run()


@pytest.mark.parametrize("kind", sorted(FILES))
def test_mutated_bytes_are_reported_never_raised(folder: Path, kind: str) -> None:
    @SLOW
    @given(byte_mutants((MINIMAL / FILES[kind]).read_bytes()))
    def run(raw: bytes) -> None:
        check(folder, FILES[kind], raw)

    run()
