"""Output formats for CI: SARIF 2.1.0 and GitLab Code Quality against their published shapes,
the paths CI annotations carry, and Typer's shell completion.

The SARIF schema is the one OASIS publishes, vendored in fixtures/sarif (README there).
GitLab documents the Code Quality report as a table of fields, not as a JSON schema (none
was found published): the schema below writes that table down.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import MINIMAL, invoke, line_of, replace, run_gen
from jsonschema import Draft4Validator, Draft7Validator

from gen_cli import __version__
from gen_cli.diagnostics import CODES, Diagnostic, Format, sarif

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "dossiers"
SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text(
        encoding="utf-8"
    )
)

#: The broken dossier of the example: its budget has ``requested`` twice.
BROKEN = "2022Q2/mobilite-numerique-brest.yaml"
#: A call folder name a URI must percent-encode.
CALL = "mon appel"
DUPLICATE_MESSAGE = (
    "key 'requested' appears twice in this mapping, at lines 26 and 27; remove one of them"
)
SEALED_MESSAGE = (
    "sealed review: present, not checked; the secretariat checks it with its identity "
    "(--identity FILE or GEN_AGE_IDENTITY)"
)

#: GitLab's Code Quality report, as https://docs.gitlab.com/ci/testing/code_quality/
#: ("Code Quality report format") documents it: a JSON array of issues, each with these
#: required fields. ``location.path`` is relative to the repository, without ``./``.
CODE_QUALITY_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "GitLab Code Quality report (the documented subset of Code Climate's format)",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": r"^\.?/"}},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def sarif_errors(document: Any) -> list[str]:
    """What the SARIF 2.1.0 schema finds wrong in ``document`` (nothing, we hope)."""
    validator = Draft4Validator(SARIF_SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def fingerprint(path: str, code: str, message: str) -> str:
    return hashlib.sha256(f"{path}\0{code}\0{message}".encode()).hexdigest()


#: A URI reference made only of unreserved characters, slashes and percent-escapes.
URI_PATH = re.compile(r"(?:[A-Za-z0-9._~/-]|%[0-9A-F]{2})+")


@pytest.fixture
def broken_example(tmp_path: Path) -> Path:
    """A copy of the example call, in tmp_path/"mon appel", with one key twice in a dossier."""
    call = Path(shutil.copytree(EXAMPLE, tmp_path / CALL))
    assert line_of(call / BROKEN, "  requested: 36500") == 26
    replace(call / BROKEN, "  requested: 36500\n", "  requested: 36500\n  requested: 36500\n")
    return tmp_path


# --- SARIF ------------------------------------------------------------------------------------


def test_vendored_schema_is_the_published_sarif_2_1_0_schema() -> None:
    Draft4Validator.check_schema(SARIF_SCHEMA)
    assert SARIF_SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert SARIF_SCHEMA["id"] == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    # and it does refuse what is not SARIF
    assert sarif_errors({"version": "2.1.0"}) == [": 'runs' is a required property"]
    assert sarif_errors({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}) == [
        "runs/0/tool/driver: 'name' is a required property"
    ]


def test_sarif_of_the_broken_example_validates_and_locates_the_problem(
    broken_example: Path,
) -> None:
    result = run_gen("validate", "--call", CALL, "--format", "sarif", cwd=broken_example)
    assert result.code == 1, result.err
    assert result.err == ""
    document = json.loads(result.out)
    assert sarif_errors(document) == []
    assert result.out == json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    assert document["version"] == "2.1.0"
    assert document["$schema"] == SARIF_SCHEMA["id"]
    [run] = document["runs"]
    assert run["tool"] == {
        "driver": {
            "name": "gen",
            "version": __version__,
            "rules": [
                {
                    "id": "E005",
                    "shortDescription": {"text": CODES["E005"][1]},
                    "defaultConfiguration": {"level": "error"},
                },
                {
                    "id": "N001",
                    "shortDescription": {"text": CODES["N001"][1]},
                    "defaultConfiguration": {"level": "note"},
                },
            ],
        }
    }
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["results"] == [
        {
            "ruleId": "E005",
            "ruleIndex": 0,
            "level": "error",
            "message": {"text": DUPLICATE_MESSAGE},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "mon%20appel/2022Q2/mobilite-numerique-brest.yaml",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": 27, "startColumn": 3},
                    }
                }
            ],
            "partialFingerprints": {
                "genProblemHash/v1": fingerprint(f"{CALL}/{BROKEN}", "E005", DUPLICATE_MESSAGE)
            },
        },
        {
            "ruleId": "N001",
            "ruleIndex": 1,
            "level": "note",
            "message": {"text": SEALED_MESSAGE},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "mon%20appel/2022Q2/reviews/amelie-roux.yaml.age",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": 1, "startColumn": 1},
                    }
                }
            ],
            "partialFingerprints": {
                "genProblemHash/v1": fingerprint(
                    f"{CALL}/2022Q2/reviews/amelie-roux.yaml.age", "N001", SEALED_MESSAGE
                )
            },
        },
    ]
    # the same input gives the same bytes, through the console script too
    again = run_gen(
        "validate", "--call", CALL, "--format", "sarif", cwd=broken_example, script=True
    )
    assert again.out == result.out


def test_sarif_of_a_clean_call_is_an_empty_run() -> None:
    result = invoke("validate", "--call", MINIMAL, "--format", "sarif")
    assert result.code == 0
    document = json.loads(result.out)
    assert sarif_errors(document) == []
    assert document["runs"][0]["tool"]["driver"]["rules"] == []
    assert document["runs"][0]["results"] == []


def test_every_code_is_valid_sarif_with_its_level() -> None:
    found = [Diagnostic(f"call/{code}.yaml", 3, 5, code, "message") for code in CODES]
    document = sarif(found)
    assert sarif_errors(document) == []
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(CODES)
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules} == {
        code: severity for code, (severity, _) in CODES.items()
    }
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == CODES[result["ruleId"]][0]


def test_sarif_lines_and_columns_are_at_least_one() -> None:
    document = sarif([Diagnostic("call/empty.yaml", 0, 0, "E003", "the file is empty")])
    assert sarif_errors(document) == []
    region = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1}


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("appel/2022Q2/a.yaml", "appel/2022Q2/a.yaml"),
        ("mon appel/2022Q2/a.yaml", "mon%20appel/2022Q2/a.yaml"),
        ("appel #1/100%/é?.yaml", "appel%20%231/100%25/%C3%A9%3F.yaml"),
        ("appel,2022:v1/a.yaml", "appel%2C2022%3Av1/a.yaml"),
        ("../appel/a.yaml", "../appel/a.yaml"),
    ],
)
def test_sarif_uri_is_a_percent_encoded_relative_reference(path: str, uri: str) -> None:
    document = sarif([Diagnostic(path, 1, 1, "E003", "the file is empty")])
    assert sarif_errors(document) == []
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": uri, "uriBaseId": "%SRCROOT%"}
    assert URI_PATH.fullmatch(uri) and unquote(uri) == path


def test_sarif_absolute_path_is_a_file_uri_without_base() -> None:
    document = sarif([Diagnostic("/srv/mon appel/a.yaml", 2, 1, "E003", "the file is empty")])
    assert sarif_errors(document) == []
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "file:///srv/mon%20appel/a.yaml"}


def test_sarif_is_listed_among_the_formats() -> None:
    assert [f.value for f in Format] == ["text", "json", "github", "gitlab", "sarif"]


# --- GitLab Code Quality ------------------------------------------------------------------------


def test_code_quality_schema_is_a_valid_schema() -> None:
    Draft7Validator.check_schema(CODE_QUALITY_SCHEMA)


def test_gitlab_report_of_the_broken_example_has_the_documented_shape(
    broken_example: Path,
) -> None:
    result = run_gen("validate", "--call", CALL, "--format", "gitlab", cwd=broken_example)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    errors = [e.message for e in Draft7Validator(CODE_QUALITY_SCHEMA).iter_errors(report)]
    assert errors == []
    assert report == [
        {
            "description": f"E005 {DUPLICATE_MESSAGE}",
            "check_name": "E005",
            "fingerprint": fingerprint(f"{CALL}/{BROKEN}", "E005", DUPLICATE_MESSAGE),
            "severity": "major",
            "location": {"path": f"{CALL}/{BROKEN}", "lines": {"begin": 27}},
        },
        {
            "description": f"N001 {SEALED_MESSAGE}",
            "check_name": "N001",
            "fingerprint": fingerprint(
                f"{CALL}/2022Q2/reviews/amelie-roux.yaml.age", "N001", SEALED_MESSAGE
            ),
            "severity": "info",
            "location": {
                "path": f"{CALL}/2022Q2/reviews/amelie-roux.yaml.age",
                "lines": {"begin": 1},
            },
        },
    ]


def test_gitlab_report_maps_every_severity_to_a_documented_one() -> None:
    from gen_cli.diagnostics import code_quality

    found = [Diagnostic(f"call/{code}.yaml", 0, 0, code, "message") for code in CODES]
    report = code_quality(found)
    severities = {i["check_name"]: i["severity"] for i in report}
    assert severities == {
        code: {"error": "major", "warning": "minor", "note": "info"}[severity]
        for code, (severity, _) in CODES.items()
    }
    assert all(i["location"]["lines"]["begin"] == 1 for i in report)  # lines count from 1
    errors = [e.message for e in Draft7Validator(CODE_QUALITY_SCHEMA).iter_errors(report)]
    assert errors == []


# --- Paths in annotations: relative to the repository root ----------------------------------------

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"
IN_REPOSITORY = f"calls/mycall/{BORDEAUX}"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path: Path, clean_git_env: None) -> Path:
    """A git repository whose call folder is calls/mycall, one dossier broken."""
    repo = tmp_path / "repo"
    shutil.copytree(MINIMAL, repo / "calls" / "mycall")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the call")
    replace(repo / IN_REPOSITORY, '"39876543800013"', '"39876543800014"')
    (tmp_path / "elsewhere").mkdir()
    return repo


def _annotated_paths(result_out: str, fmt: str) -> list[str]:
    if fmt == "github":
        return re.findall(r"^::\w+ file=([^,]*),", result_out, flags=re.MULTILINE)
    if fmt == "gitlab":
        return [issue["location"]["path"] for issue in json.loads(result_out)]
    results = json.loads(result_out)["runs"][0]["results"]
    return [
        unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results
    ]


@pytest.mark.parametrize("fmt", ["github", "gitlab", "sarif"])
@pytest.mark.parametrize(
    ("cwd", "call"),
    [
        pytest.param(".", "calls/mycall", id="from-the-root"),
        pytest.param(
            "calls/mycall",
            None,
            id="from-the-call-folder",
        ),
        pytest.param(
            "../elsewhere",
            "../repo/calls/mycall",
            id="from-outside",
        ),
        pytest.param(
            "../elsewhere",
            "ABSOLUTE",
            id="absolute-call",
        ),
    ],
)
def test_annotation_paths_are_relative_to_the_repository_root(
    repository: Path, cwd: str, call: str | None, fmt: str
) -> None:
    where = (repository / cwd).resolve()
    given = str(repository / "calls" / "mycall") if call == "ABSOLUTE" else call
    options = ["--call", given] if given else []
    result = run_gen("validate", *options, "--format", fmt, cwd=where, script=True)
    assert result.code == 1, result.err
    assert _annotated_paths(result.out, fmt) == [IN_REPOSITORY]


# --- Shell completion ---------------------------------------------------------------------------


def test_show_completion_prints_typer_bash_script() -> None:
    result = run_gen("--show-completion", "bash", script=True, SHELL="/bin/bash")
    assert result.code == 0, result.err
    assert "_GEN_COMPLETE=complete_bash" in result.out
    assert "complete -o default -F _gen_completion gen" in result.out


def test_help_offers_completion() -> None:
    result = run_gen("--help", script=True)
    assert "--install-completion" in result.out
    assert "--show-completion" in result.out


def test_completion_completes_commands_and_formats() -> None:
    command = run_gen(
        script=True, _GEN_COMPLETE="complete_bash", COMP_WORDS="gen val", COMP_CWORD="1"
    )
    assert command.out.split() == ["validate"]
    formats = run_gen(
        script=True,
        _GEN_COMPLETE="complete_bash",
        COMP_WORDS="gen validate --format ",
        COMP_CWORD="3",
    )
    assert formats.out.split() == ["text", "json", "github", "gitlab", "sarif"]
