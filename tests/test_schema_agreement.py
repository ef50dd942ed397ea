"""gen and the editors agree: the JSON Schema gen exports judges a file as gen does (#11).

README tells people to point their editor at `gen schema`'s output. An editor reads YAML
1.2 (``yes`` is text, a date is text) and checks the schema, as check-jsonschema does;
here the `jsonschema` library plays the editor. A file the editor accepts and gen refuses
is the exception, and each exception is listed below with its reason: a rule that spans
fields or files, or a check digit, which no schema keyword says.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from gen_cli.loading import load_call_folder
from gen_cli.models import json_schema
from gen_cli.rules import validate_folder

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"
DOSSIER = "2022Q1/accompagnement-renforce-poitiers.yaml"
REVIEW = "2022Q1/reviews/amelie-roux.yaml"
CALL = "call.yaml"


class Yaml12Loader(yaml.SafeLoader):
    """YAML as editors read it (1.2's core schema): only true and false are booleans, and
    a date is text."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"}
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _editor_errors(kind: str, text: str) -> list[str]:
    """What an editor with gen's schema says of a file: the paths of its errors, once each."""
    data = yaml.load(text, Loader=Yaml12Loader)
    validator = jsonschema.Draft202012Validator(
        json_schema(kind), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return sorted({".".join(map(str, e.absolute_path)) for e in validator.iter_errors(data)})


def _gen_errors(root: Path, rel: str) -> list[str]:
    """The codes of the errors gen reports in one file of the call folder."""
    report = validate_folder(load_call_folder(root, "call"))
    return [d.code for d in report.diagnostics if d.path == f"call/{rel}" and d.severity == "error"]


@pytest.mark.parametrize(
    ("kind", "folder"),
    [("dossier", "2021Q3"), ("dossier", "2022Q1"), ("review", "2022Q1/reviews")],
)
def test_the_example_files_pass_the_exported_schema(kind: str, folder: str) -> None:
    files = sorted((EXAMPLE / folder).glob("*.yaml"))
    files = [f for f in files if f.name not in {"assignments.yaml", "results.yaml", "jury.yaml"}]
    assert len(files) >= 5
    for path in files:
        assert _editor_errors(kind, path.read_text(encoding="utf-8")) == [], path


def test_the_example_call_passes_the_exported_schema() -> None:
    assert _editor_errors("call", (EXAMPLE / CALL).read_text(encoding="utf-8")) == []


#: (file, kind, text replaced, replacement, gen's error codes, the editor's error paths).
MUTATIONS: list[tuple[str, str, str, str, list[str], list[str]]] = [
    # Both refuse.
    (
        DOSSIER,
        "dossier",
        "gen_labelled: false",
        "gen_labelled: yes",
        ["E103"],
        ["porteur.gen_labelled"],
    ),
    (
        DOSSIER,
        "dossier",
        "gen_labelled: false",
        "gen_labelled: 'false'",
        ["E103"],
        ["porteur.gen_labelled"],
    ),
    (DOSSIER, "dossier", "requested: 30500", "requested: '30500'", ["E103"], ["budget.requested"]),
    (DOSSIER, "dossier", "requested: 30500", "requested: -30500", ["E306"], ["budget.requested"]),
    (
        DOSSIER,
        "dossier",
        "requested: 30500",
        "requested: 30500.505",
        ["E104"],
        ["budget.requested"],
    ),
    (DOSSIER, "dossier", "requested: 30500", "requested: 30 500", ["E103"], ["budget.requested"]),
    (
        DOSSIER,
        "dossier",
        "women_percent: 35",
        "women_percent: 135",
        ["E104"],
        ["beneficiaries.women_percent"],
    ),
    (DOSSIER, "dossier", "people: 150", "people: 0", ["E104"], ["beneficiaries.people"]),
    (DOSSIER, "dossier", "people: 150", "people: 1.5", ["E103"], ["beneficiaries.people"]),
    (
        DOSSIER,
        "dossier",
        "email: hugo.rousseau@example.org",
        "email: hugo.rousseau",
        ["E106"],
        ["contact.email"],
    ),
    (DOSSIER, "dossier", "submitted: 2022-02-16", "submitted: 16/02/2022", ["E104"], ["submitted"]),
    (DOSSIER, "dossier", "submitted: 2022-02-16", "submitted: 2022-02-30", ["E104"], ["submitted"]),
    (
        DOSSIER,
        "dossier",
        "id: accompagnement-renforce-poitiers",
        "id: Accompagnement",
        ["E104"],
        ["id"],
    ),
    (
        DOSSIER,
        "dossier",
        "siret: '95333270706840'",
        "siret: '9533327070684'",
        ["E105"],
        ["porteur.siret"],
    ),
    (
        DOSSIER,
        "dossier",
        "region: nouvelle-aquitaine",
        "region: occitannie",
        ["E104"],
        ["porteur.region"],
    ),
    (DOSSIER, "dossier", "  - refugies", "  - réfugiés", ["E104"], ["beneficiaries.publics.1"]),
    (
        DOSSIER,
        "dossier",
        "title: Accompagnement",
        "titel: Accompagnement",
        ["E101", "E102"],
        [""],
    ),
    (
        REVIEW,
        "review",
        "      innovation: 2\n",
        "      innovation: deux\n",
        ["E103"],
        ["evaluations.accompagnement-renforce-poitiers.grades.innovation"],
    ),
    # Both accept: YAML 1.2 and gen read these alike.
    (DOSSIER, "dossier", "siret: '95333270706840'", "siret: 95333270706840", [], []),
    (DOSSIER, "dossier", "requested: 30500", "requested: 30500.50", [], []),
    # gen refuses, the editor accepts: rules no schema keyword can say.
    # - a check digit (Luhn): the digits are right in number, wrong in sum
    (DOSSIER, "dossier", "siret: '95333270706840'", "siret: '95333270706841'", ["E105"], []),
    # - across fields: the amount requested above the total cost, dates in reverse
    (DOSSIER, "dossier", "requested: 30500", "requested: 90500", ["E108"], []),
    (DOSSIER, "dossier", "end: 2023-04-30", "end: 2021-04-30", ["E107"], []),
    # - across files: a theme call.yaml does not declare, an id unlike the file's name
    (DOSSIER, "dossier", "- ingenierie-pedagogique", "- robotique", ["E205"], []),
    (DOSSIER, "dossier", "id: accompagnement-renforce-poitiers", "id: autre-projet", ["E202"], []),
]


@pytest.mark.parametrize(
    ("rel", "kind", "old", "new", "gen", "editor"),
    MUTATIONS,
    ids=[f"{m[2].strip()}->{m[3].strip()}" for m in MUTATIONS],
)
def test_gen_and_the_editor_judge_a_mutated_file_alike(
    tmp_path: Path, rel: str, kind: str, old: str, new: str, gen: list[str], editor: list[str]
) -> None:
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    mutated = text.replace(old, new, 1)
    path.write_text(mutated, encoding="utf-8")
    assert sorted(set(_gen_errors(root, rel))) == gen
    assert _editor_errors(kind, mutated) == editor
