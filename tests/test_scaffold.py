"""gen init, gen new dossier, gen new review: real files in tmp_path, the installed gen."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from conftest import MINIMAL, child_env, invoke, line_of, run_gen, write
from pydantic import BaseModel

from gen_cli import models
from gen_cli.models import Dossier, ReviewCriterion, Scoring, Selection
from gen_cli.scaffold import FIRST_THEME, first_round_id, gen_version

HANDCALL = Path(__file__).parent / "fixtures" / "handcall"
TODAY = date.today()
ROUND = first_round_id(TODAY)

INIT_FILES = {
    "call.yaml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".github/workflows/gen.yml",
    ".gitlab-ci.yml",
    "CONTRIBUTING.md",
    f"{ROUND}/reviews/.gitkeep",
    "schemas/call.schema.json",
    "schemas/dossier.schema.json",
    "schemas/review.schema.json",
    "schemas/jury.schema.json",
    "schemas/assignments.schema.json",
}


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git/" not in p.relative_to(folder).as_posix() + "/"
    }


@pytest.fixture
def new_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A call made by gen init in tmp_path/call, on the day TODAY (even past midnight)."""
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(midnight.timestamp())))
    target = tmp_path / "call"
    result = invoke("init", target)
    assert result.code == 0, result.err
    return target


# --- gen init ---------------------------------------------------------------------------


def test_init_writes_a_call_that_validates_clean(tmp_path: Path) -> None:
    target = tmp_path / "new-call"
    result = run_gen("init", target, script=True)
    assert result.code == 0, result.err
    assert set(files_under(target)) == INIT_FILES
    for name in INIT_FILES:
        assert f"wrote {target / name}\n" in result.out
    checked = run_gen("validate", "--call", target, script=True)
    assert checked.code == 0, checked.out + checked.err
    assert (
        checked.out == "checked 1 call file, 1 round, 0 dossiers, 0 reviews: 0 errors, 0 warnings\n"
    )


def test_init_in_the_current_folder_validates_there(tmp_path: Path) -> None:
    assert run_gen("init", script=True, cwd=tmp_path).code == 0
    checked = run_gen("validate", script=True, cwd=tmp_path)
    assert checked.code == 0
    assert "0 errors, 0 warnings" in checked.out


def test_init_call_yaml_round_theme_grid_and_reviewer(new_call: Path) -> None:
    text = (new_call / "call.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=schemas/call.schema.json\n")
    call = models.Call.model_validate(yaml.safe_load(text))
    (round_,) = call.rounds
    assert (round_.id, round_.submissions) == (ROUND, "open")
    assert (round_.opens, round_.closes) == (TODAY, TODAY + timedelta(days=90))
    assert [t.id for t in call.themes] == [FIRST_THEME] == list(call.grids)
    sources = [c.source for c in call.grids[FIRST_THEME].criteria]
    assert sources.count("indicator") == 1 and sources.count("reviews") >= 2
    assert len(call.reviewers) == 1
    assert {rule.rule for rule in call.eligibility} == {
        "lead-kind",
        "requested-amount",
        "cost-share",
        "submission-window",
        "themes",
        "min-reviews",
    }
    assert all(t.label.fr and t.label.en for t in call.themes)


def test_init_call_yaml_shows_every_default_as_a_comment(new_call: Path) -> None:
    text = (new_call / "call.yaml").read_text(encoding="utf-8")

    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, list):
            return "[" + ", ".join(value) + "]"
        return str(value)

    assert "# scoring:\n" in text and "# selection:\n" in text
    for section in (Scoring(), Selection()):
        for name in type(section).model_fields:
            if getattr(section, name) is None:
                assert f"#   {name}: " in text, name
            else:
                assert f"#   {name}: {shown(getattr(section, name))}  #" in text, name
    assert "# currency: EUR  #" in text
    assert "# timezone: Europe/Paris  #" in text
    assert "      # unspent_theme: pool  #" in text
    assert "    # decision_date: " in text
    assert "    # decision_reference: " in text
    assert "    # accept_late:" in text
    assert "      # themes:" in text
    assert "# goal:" in text
    for field in get_args(models.IndicatorField):
        assert field in text


def test_init_schemas_are_what_gen_schema_prints(new_call: Path) -> None:
    for kind in ("call", "dossier", "review"):
        printed = run_gen("schema", kind)
        assert printed.code == 0
        assert (new_call / "schemas" / f"{kind}.schema.json").read_text(
            encoding="utf-8"
        ) == printed.out


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", "mine\n")
    before = files_under(tmp_path)
    result = invoke("init", tmp_path)
    assert result.code == 2
    assert result.err == (
        f"gen: error: {tmp_path} is not empty: give a new or empty folder, or add --force to "
        "add the missing files there (gen init never overwrites a file)\n"
    )
    assert "Traceback" not in result.err
    assert files_under(tmp_path) == before


def test_init_takes_a_folder_holding_only_git(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert invoke("init", tmp_path).code == 0
    assert (tmp_path / "call.yaml").is_file()


def test_init_force_adds_missing_files_and_keeps_the_others(tmp_path: Path) -> None:
    kept = {
        "CONTRIBUTING.md": b"# Nos regles\r\nA nous.\n",
        ".gitignore": b"secret/\n",
        "notes.txt": b"mine",
    }
    for name, data in kept.items():
        write(tmp_path / name, data)
    result = invoke("init", "--force", tmp_path)
    assert result.code == 0, result.err
    after = files_under(tmp_path)
    for name, data in kept.items():
        assert after[name] == data
        assert f"wrote {tmp_path / name}\n" not in result.out
    assert set(after) == INIT_FILES | {"notes.txt"}
    for name in INIT_FILES - set(kept):
        assert f"wrote {tmp_path / name}\n" in result.out


def test_init_force_keeps_an_existing_call_and_adds_no_round_folder(new_call: Path) -> None:
    call = new_call / "call.yaml"
    text = call.read_text(encoding="utf-8").replace(f"id: {ROUND}", "id: premier-releve")
    call.write_text(text, encoding="utf-8")
    shutil.rmtree(new_call / ROUND)
    (new_call / ".gitlab-ci.yml").unlink()
    result = invoke("init", "--force", new_call)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == f"wrote {new_call / '.gitlab-ci.yml'}"
    assert not (new_call / ROUND).exists()
    assert call.read_text(encoding="utf-8") == text


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = write(tmp_path / "call", "not a folder\n")
    result = invoke("init", target)
    assert result.code == 2
    assert result.err == (
        f"gen: error: {target} is a file, not a folder: give a new or empty folder for the call\n"
    )
    assert target.read_text(encoding="utf-8") == "not a folder\n"


def test_init_refuses_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    result = invoke("init", link)
    assert result.code == 2
    assert "is a symbolic link" in result.err
    assert list(real.iterdir()) == []


@pytest.mark.parametrize("linked", [".github", "schemas/review.schema.json", "CONTRIBUTING.md"])
def test_init_force_never_writes_through_a_link(tmp_path: Path, linked: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "call"
    link = target / linked
    link.parent.mkdir(parents=True)
    link.symlink_to(outside / "x")
    result = invoke("init", "--force", target)
    assert result.code == 2
    assert result.err.startswith(f"gen: error: {link} is a symbolic link: gen init does not")
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in target.rglob("*")) == sorted(
        {Path(linked).parts[0], Path(linked).name}
    )


# --- CI and pre-commit ------------------------------------------------------------------


def check_jsonschema(schema: str, path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def run_commands(steps: list[dict[str, Any]]) -> list[str]:
    return [step["run"] for step in steps if "run" in step]


def test_github_workflow(new_call: Path) -> None:
    path = new_call / ".github" / "workflows" / "gen.yml"
    check_jsonschema("vendor.github-workflows", path)
    text = path.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert set(triggers) == {"pull_request", "push"}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["env"] == {
        "GEN_DEFAULT_BRANCH": "${{ github.event.repository.default_branch }}"
    }
    check, publish = workflow["jobs"]["check"], workflow["jobs"]["publish"]
    install = f"pip install gen-cli=={gen_version()}"

    assert check["if"] == "github.event_name == 'pull_request'"
    assert check["steps"][0]["with"] == {"fetch-depth": 0}
    assert "permissions" not in check
    assert run_commands(check["steps"]) == [
        install,
        "gen validate --format github",
        "gen score --check",
        'gen diff --format md >> "$GITHUB_STEP_SUMMARY"',
    ]

    assert "github.event.repository.default_branch" in publish["if"]
    assert "push" in publish["if"]
    assert publish["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert publish["steps"][0]["with"] == {"fetch-depth": 0}
    assert run_commands(publish["steps"]) == [
        install,
        "gen score --check",
        "gen publish --out public",
    ]
    uses = [step.get("uses", "").split("@")[0] for step in publish["steps"]]
    assert uses[-2:] == ["actions/upload-pages-artifact", "actions/deploy-pages"]
    assert publish["steps"][-2]["with"] == {"path": "public"}


def test_gitlab_ci(new_call: Path) -> None:
    path = new_call / ".gitlab-ci.yml"
    check_jsonschema("vendor.gitlab-ci", path)
    ci = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert ci["variables"]["GEN_DEFAULT_BRANCH"] == "$CI_DEFAULT_BRANCH"
    assert ci["default"]["before_script"] == [f"pip install gen-cli=={gen_version()}"]
    check, pages = ci["check"], ci["pages"]
    assert check["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert check["variables"] == {"GIT_DEPTH": 0}
    assert (
        "gen validate --format gitlab > gl-code-quality-report.json || status=$?"
        in (check["script"])
    )
    assert "gen diff --format md || true" in check["script"]
    assert check["script"][-1] == "exit $status"
    assert check["artifacts"]["when"] == "always"
    assert check["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json"}
    assert pages["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert pages["script"] == ["gen score --check", "gen publish --out public"]
    assert pages["artifacts"] == {"paths": ["public"]}


def test_gitlab_check_script_keeps_the_report_and_the_status(tmp_path: Path) -> None:
    # The script's lines run in one shell: a failing validation still reaches the upload.
    ci = yaml.safe_load((Path(invoke_init(tmp_path)) / ".gitlab-ci.yml").read_text("utf-8"))
    script = "\n".join(ci["check"]["script"])
    fake = tmp_path / "bin"
    write(fake / "gen", '#!/bin/sh\necho "gen $*"\n[ "$1 $2" != "validate --format" ]\n')
    (fake / "gen").chmod(0o755)
    done = subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert (tmp_path / "gl-code-quality-report.json").read_text() == (
        "gen validate --format gitlab\n"
    )
    assert "gen diff --format md" in done.stdout


def invoke_init(tmp_path: Path) -> Path:
    target = tmp_path / "call"
    assert invoke("init", target).code == 0
    return target


def test_pre_commit_config_uses_gen_as_local_hooks(new_call: Path) -> None:
    config = yaml.safe_load((new_call / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    published = yaml.safe_load(
        (Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    assert [(h["id"], h["entry"]) for h in repo["hooks"]] == [
        (h["id"], h["entry"]) for h in published
    ]
    for hook in repo["hooks"]:
        assert hook["language"] == "system"
        assert hook["pass_filenames"] is False
        assert hook["files"] == r"\.(yaml|yml)$"
    assert repo["hooks"][0]["verbose"] is True


def test_pre_commit_blocks_a_commit_with_an_error(new_call: Path, tmp_path: Path) -> None:
    env = child_env()
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GIT_AUTHOR_DATE="2024-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2024-01-01T00:00:00Z",
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(tmp_path),
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=new_call,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "config", "user.name", "Test"],
        ["git", "config", "user.email", "test@example.org"],
        ["git", "config", "commit.gpgsign", "false"],
        [sys.executable, "-m", "pre_commit", "install"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "A new call"],
    ):
        done = run(*command)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    assert run("git", "rev-list", "--count", "HEAD").stdout == "1\n"

    made = run("gen", "new", "dossier", ROUND, "bad")
    assert made.returncode == 0, made.stderr
    run("git", "add", f"{ROUND}/bad.yaml")
    blocked = run("git", "commit", "-m", "A dossier with errors")
    assert blocked.returncode != 0
    output = blocked.stdout + blocked.stderr
    title = line_of(new_call / ROUND / "bad.yaml", "title:")
    assert f"{ROUND}/bad.yaml:{title}:7: error E103 title: " in output
    assert run("git", "rev-list", "--count", "HEAD").stdout == "1\n"


def test_contributing_french_first_then_english(new_call: Path) -> None:
    text = (new_call / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert text.index("# Contribuer") < text.index("# Contributing")
    for command in (
        f"gen new dossier {ROUND} ",
        f"gen new review {ROUND} ",
        "gen validate",
        "conflict:",
        f"pip install gen-cli=={gen_version()}",
    ):
        assert command in text
    assert "@@" not in text


def test_gitignore(new_call: Path) -> None:
    lines = (new_call / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"public/", ".gen-cache/", "__pycache__/", ".venv/"} <= set(lines)


# --- gen new dossier --------------------------------------------------------------------


def keys_of(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted paths of every field of ``model`` and of the models under it."""
    paths = []
    for name, info in model.model_fields.items():
        paths.append(prefix + name)
        nested = [info.annotation, *get_args(info.annotation)]
        for kind in nested:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                paths += keys_of(kind, f"{prefix}{name}.")
    return paths


def test_new_dossier_has_every_field_explained(call_dir: Path) -> None:
    result = run_gen("new", "dossier", "2022Q2", "ecole-du-code", "--call", call_dir, script=True)
    assert result.code == 0, result.err
    path = call_dir / "2022Q2" / "ecole-du-code.yaml"
    assert result.out == f"wrote {path}\n"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for dotted in keys_of(Dossier):
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part]
        if parents == ["partners"]:
            assert f"#   {last}:" in text or f"# - {last}:" in text, dotted
        else:
            assert last in node, dotted
    assert data["id"] == "ecole-du-code"
    assert data["round"] == "2022Q2"
    assert data["submitted"] == date.today()
    assert data["partners"] == []
    assert data["budget"]["other_funding"] == 0
    assert data["title"] is None and data["porteur"]["name"] is None
    # Allowed values, from the models and the call.
    for values in (models.LeadKind, models.Public):
        assert ", ".join(get_args(values)) in " ".join(
            line.lstrip("# ") for line in text.splitlines() if line.lstrip().startswith("#")
        )
    assert "  # - inclusion     # Inclusion numérique\n" in text
    assert "  # - reconversion  # Reconversion professionnelle\n" in text
    assert "YYYY-MM-DD" in text and "euros" in text and "percentage" in text
    assert "Runs trainings labelled Grande école du numérique." in text


def test_new_dossier_schema_line_points_at_the_schema(new_call: Path) -> None:
    nested = new_call / "calls" / "premier"
    nested.mkdir(parents=True)
    shutil.copy(new_call / "call.yaml", nested / "call.yaml")
    for folder in (new_call, nested):
        result = invoke("new", "dossier", ROUND, "atelier", "--call", folder)
        assert result.code == 0, result.err
        path = folder / ROUND / "atelier.yaml"
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, first
        schema = (path.parent / match.group(1)).resolve()
        assert schema == (new_call / "schemas" / "dossier.schema.json").resolve()
    assert first.endswith("=../../../schemas/dossier.schema.json")


def test_new_dossier_without_schemas_has_no_schema_line(call_dir: Path) -> None:
    assert invoke("new", "dossier", "2022Q1", "atelier", "--call", call_dir).code == 0
    text = (call_dir / "2022Q1" / "atelier.yaml").read_text(encoding="utf-8")
    assert "yaml-language-server" not in text


def test_new_dossier_filled_in_validates(new_call: Path) -> None:
    assert invoke("new", "dossier", ROUND, "atelier", "--call", new_call).code == 0
    path = new_call / ROUND / "atelier.yaml"
    answers = {
        "title:": "title: Atelier",
        "summary:": "summary: |\n  Un atelier.",
        "  name:": "  name: Atelier du code",
        "  siret:": '  siret: "83456789300013"',
        "  kind:": "  kind: organisme-formation",
        "  region:": "  region: bretagne",
        "  gen_labelled:": "  gen_labelled: true",
        "  total_cost:": "  total_cost: 20000",
        "  requested:": "  requested: 10000",
        "  other_funding: 0": "  other_funding: 10000",
        "  people:": "  people: 12",
        "  women_percent:": "  women_percent: 50",
        "  publics:": "  publics: [femmes]",
        "  start:": f"  start: {TODAY + timedelta(days=100)}",
        "  end:": f"  end: {TODAY + timedelta(days=400)}",
        "  email:": "  email: camille@example.org",
    }
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("  # - inclusion-numerique "):
            line = "  - inclusion-numerique"
        lines.append(answers.get(line, line))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = invoke("validate", "--call", new_call)
    assert checked.out.endswith("0 errors, 0 warnings\n"), checked.out


def test_new_dossier_refuses_an_existing_file(call_dir: Path) -> None:
    path = call_dir / "2022Q1" / "codeuses-lille.yaml"
    before = path.read_bytes()
    result = invoke("new", "dossier", "2022Q1", "codeuses-lille", "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        "gen: error: dossier 'codeuses-lille' already exists in "
        f"{call_dir}/2022Q1/codeuses-lille.yaml: choose another id\n"
    )
    assert path.read_bytes() == before
    # A file that gen cannot read as a dossier is not replaced either.
    broken = write(call_dir / "2022Q2" / "brouillon.yaml", "id: [\n")
    result = invoke("new", "dossier", "2022Q2", "brouillon", "--call", call_dir)
    assert result.code == 2
    assert result.err == (f"gen: error: {broken} already exists: edit it, or choose another id\n")
    assert broken.read_text(encoding="utf-8") == "id: [\n"


def test_new_dossier_refuses_an_unknown_round(call_dir: Path) -> None:
    result = invoke("new", "dossier", "2023Q1", "atelier", "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        "gen: error: round '2023Q1' is not in call.yaml; its rounds are: 2022Q1, 2022Q2\n"
    )
    assert not (call_dir / "2023Q1").exists()


@pytest.mark.parametrize("bad", ["Atelier", "atelier_brest", "atelier-", "a--b", "../x", "a" * 65])
def test_new_dossier_refuses_an_id_that_is_not_a_slug(call_dir: Path, bad: str) -> None:
    before = files_under(call_dir)
    result = invoke("new", "dossier", "2022Q1", bad, "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        f"gen: error: {bad!r} cannot be a dossier id: use lower-case letters, digits and "
        "single hyphens, at most 64 characters, like atelier-numerique-brest\n"
    )
    assert files_under(call_dir) == before


def test_new_dossier_refuses_an_unreadable_call(call_dir: Path) -> None:
    write(call_dir / "call.yaml", "name: [\n")
    result = invoke("new", "dossier", "2022Q1", "atelier", "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        f"gen: error: {call_dir}/call.yaml has errors, so gen cannot tell the call's rounds: "
        "run gen validate and fix call.yaml first\n"
    )


def test_new_dossier_refuses_a_linked_round_folder(call_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(call_dir / "2022Q2")
    (call_dir / "2022Q2").symlink_to(outside, target_is_directory=True)
    result = invoke("new", "dossier", "2022Q2", "atelier", "--call", call_dir)
    assert result.code == 2
    assert "is a symbolic link" in result.err
    assert list(outside.iterdir()) == []


# --- gen new review ---------------------------------------------------------------------


def review_criteria(call: models.Call, dossier: Dossier) -> list[str]:
    grid = call.grids[dossier.principal_theme]
    return [c.id for c in grid.criteria if isinstance(c, ReviewCriterion)]


@pytest.mark.parametrize(
    ("fixture", "round_id", "reviewer", "conflicts"),
    [
        (MINIMAL, "2022Q1", "camille-martin", {"codeuses-lille"}),
        (HANDCALL, "2023Q1", "chloe-lambert", {"fabrique-lille"}),
        (HANDCALL, "2023Q2", "anne-martin", set()),
    ],
)
def test_new_review_lists_every_dossier_and_criterion(
    tmp_path: Path, fixture: Path, round_id: str, reviewer: str, conflicts: set[str]
) -> None:
    call_dir = Path(shutil.copytree(fixture, tmp_path / "call"))
    path = call_dir / round_id / "reviews" / f"{reviewer}.yaml"
    path.unlink(missing_ok=True)
    result = run_gen("new", "review", round_id, reviewer, "--call", call_dir, script=True)
    assert result.code == 0, result.err
    assert result.out == f"wrote {path}\n"

    call = models.Call.model_validate(yaml.safe_load((call_dir / "call.yaml").read_text()))
    dossiers = {
        p.stem: Dossier.model_validate(yaml.safe_load(p.read_text(encoding="utf-8")))
        for p in (call_dir / round_id).glob("*.yaml")
        if p.name != "results.yaml"
    }
    text = path.read_text(encoding="utf-8")
    review = yaml.safe_load(text)
    assert review["reviewer"] == reviewer and review["round"] == round_id
    assert list(review["evaluations"]) == sorted(dossiers)
    for ident, evaluation in review["evaluations"].items():
        if ident in conflicts:
            assert set(evaluation) == {"conflict"}
            assert call.reviewers and dossiers[ident].porteur.name in evaluation["conflict"]
        else:
            assert set(evaluation) == {"grades", "comment"}
            assert evaluation["comment"] is None
            criteria = review_criteria(call, dossiers[ident])
            assert evaluation["grades"] == dict.fromkeys(criteria)
    assert {i for i, e in review["evaluations"].items() if "conflict" in e} == conflicts
    if fixture == MINIMAL:
        assert "      qualite:  # Qualité du projet, 0–5\n" in text
    # With the lead's change, an empty grade is "not graded yet": warnings, no error.
    checked = invoke("validate", "--call", call_dir, path)
    assert " 0 errors" in checked.out, checked.out


def test_new_review_refuses_an_unknown_reviewer(call_dir: Path) -> None:
    result = invoke("new", "review", "2022Q2", "nobody", "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        "gen: error: reviewer 'nobody' is not declared in call.yaml (reviewers: "
        "camille-martin, yannick-le-goff); add them to reviewers first\n"
    )
    assert not (call_dir / "2022Q2" / "reviews").exists()


def test_new_review_refuses_an_unknown_round(call_dir: Path) -> None:
    result = invoke("new", "review", "2024Q1", "camille-martin", "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        "gen: error: round '2024Q1' is not in call.yaml; its rounds are: 2022Q1, 2022Q2\n"
    )


def test_new_review_refuses_an_existing_file(call_dir: Path) -> None:
    path = call_dir / "2022Q1" / "reviews" / "camille-martin.yaml"
    before = path.read_bytes()
    result = invoke("new", "review", "2022Q1", "camille-martin", "--call", call_dir)
    assert result.code == 2
    assert result.err == (
        f"gen: error: {path} already exists: edit it, or remove it first to start again\n"
    )
    assert path.read_bytes() == before


def test_new_review_of_a_round_without_dossiers(new_call: Path) -> None:
    result = invoke("new", "review", ROUND, "prenom-nom", "--call", new_call)
    assert result.code == 0, result.err
    path = new_call / ROUND / "reviews" / "prenom-nom.yaml"
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["evaluations"] == {}
    assert path.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../../schemas/review.schema.json\n"
    )
    checked = invoke("validate", "--call", new_call)
    assert checked.out.endswith("1 review: 0 errors, 0 warnings\n"), checked.out


def test_the_publish_job_of_a_new_call_works(tmp_path: Path) -> None:
    """The CI files run `gen publish --out public` at the root of the call repository."""
    call = tmp_path / "appel"
    assert run_gen("init", call).code == 0
    published = run_gen("publish", "--out", "public", cwd=call)
    assert published.code == 0, published.err
    assert published.out == (
        "published 0 laureate(s) of 0 round(s), 16 files in public; open public/index.html\n"
    )
    assert run_gen("validate", cwd=call).code == 0  # public/ is not taken for a round
