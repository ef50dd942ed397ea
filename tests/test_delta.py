"""gen validate after a few dossiers' wording changed: the last check, made again for them (#13).

Each test changes the call folder as a pull request would and compares what gen validate
prints, with its cache, with a check made afresh (``--no-cache``); ``whole_checks`` counts
the checks made whole (the folder read), to tell which way the report was made.
"""

from __future__ import annotations

import functools
import os
import pickle
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL, invoke, line_of, replace, write
from test_lifecycle import call_repo, git

from gen_cli import keptchecks, loading, rules
from gen_cli.delta import MOST_CHANGED, basis_key
from gen_cli.diagnostics import Problem
from gen_cli.memo import folder_key
from gen_cli.resultcache import ResultCache

BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"
LILLE = "2022Q1/codeuses-lille.yaml"
MARSEILLE = "2022Q1/fabrique-marseille.yaml"
CLERMONT = "2022Q1/atelier-clermont.yaml"
EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"


@pytest.fixture
def call(call_dir: Path) -> Path:
    return call_dir


@pytest.fixture
def whole_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the call folder was read whole since the list was last emptied."""
    counted: list[int] = []
    read = loading.load_call_folder

    def counting(*args: object, **kwargs: object) -> object:
        counted.append(1)
        return read(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loading, "load_call_folder", counting)
    return counted


def validate(call: Path, *args: str) -> tuple[int, str]:
    result = invoke("validate", "--call", call, "--jobs", "1", *args)
    assert result.err == ""
    return result.code, result.out


def checked_after(
    call: Path, whole_checks: list[int], change: Callable[[], object]
) -> tuple[tuple[int, str], int]:
    """The check after ``change``, with the cache, and how many whole checks it made.

    It must be what a check made afresh prints: callers assert which way it was made.
    """
    change()
    expected = validate(call, "--no-cache")
    whole_checks.clear()
    got = validate(call)
    assert got == expected
    return got, len(whole_checks)


def test_a_dossier_whose_wording_changed_is_checked_alone(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    assert validate(call)[0] == 0  # the first check is made whole, and kept
    path = call / BORDEAUX
    report, wholes = checked_after(
        call, whole_checks, lambda: replace(path, "vers une formation", "vers un métier")
    )
    assert (report[0], wholes) == (0, 0)
    # and again from that one, and back to a state already checked
    report, wholes = checked_after(
        call, whole_checks, lambda: replace(path, "Passerelle vers", "Une passerelle vers")
    )
    assert (report[0], wholes) == (0, 0)
    _, wholes = checked_after(
        call, whole_checks, lambda: replace(path, "vers un métier", "vers une formation")
    )
    assert wholes == 0


def test_two_dossiers_changed_at_once_are_checked_alone(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    validate(call)

    def change() -> None:
        replace(call / BORDEAUX, "vers une formation", "vers un métier")
        replace(call / MARSEILLE, "title: ", "title: La ")

    assert checked_after(call, whole_checks, change)[1] == 0


def test_a_problem_the_change_brings_is_located_as_a_whole_check_locates_it(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    validate(call)
    path = call / BORDEAUX
    (code, out), wholes = checked_after(
        call, whole_checks, lambda: replace(path, "other_funding: 25000", "other_funding: 26000")
    )
    assert wholes == 0 and code == 0
    line = path.read_text(encoding="utf-8").splitlines().index("budget:") + 1
    assert f"{call / BORDEAUX}:{line}:1: warning W001 " in out
    # changed again, it is still compared with the last whole check, which vouched for it
    (_, out), wholes = checked_after(
        call, whole_checks, lambda: replace(path, "vers une", "vers la")
    )
    assert wholes == 0 and "W001" in out
    # a whole check does not vouch for a dossier with a problem: a change of it is whole
    _, wholes = checked_after(
        call, whole_checks, lambda: replace(path, "- inclusion", "- insertion")
    )
    assert wholes == 1
    _, wholes = checked_after(call, whole_checks, lambda: replace(path, "vers la", "vers une"))
    assert wholes == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  - inclusion", "  - insertion"),
        ("round: 2022Q2", "round: 2022Q1"),
        ("id: passerelle-bordeaux", "id: passerelle-bordeaux-2"),
        ("  - name: Campus du code de Bordeaux", "  - name: Campus du code de Lille"),
        ('    siret: "84012345900157"', '    siret: "84012345900158"'),
        ("  people: 20", "  people: [20"),
        ("title: Passerelle", "title: [Passerelle"),
    ],
    ids=["theme", "round", "id", "partner", "partner-siret", "broken-yaml", "broken-title"],
)
def test_a_change_to_what_rules_across_files_read_is_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int], old: str, new: str
) -> None:
    validate(call)
    _, wholes = checked_after(call, whole_checks, lambda: replace(call / BORDEAUX, old, new))
    assert wholes == 1


def open_round(call: Path) -> None:
    """2022Q2 takes dossiers: eligibility warns of its dossiers (W010)."""
    text = (call / "call.yaml").read_text(encoding="utf-8")
    at = text.index("  - id: 2022Q2")
    tail = text[at:].replace("submissions: closed", "submissions: open", 1)
    (call / "call.yaml").write_text(text[:at] + tail, encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "warned"),
    [
        ("  requested: 75000", "  requested: 85000", True),  # 85 % of the cost
        ("  total_cost: 100000", "  total_cost: 110000", False),
        ("submitted: 2022-05-20", "submitted: 2022-09-20", True),  # after the window
        ("  kind: partenaire-organisme-formation", "  kind: organisme-formation", False),
    ],
    ids=["requested", "cost", "submitted", "lead-kind"],
)
def test_a_change_only_eligibility_reads_is_checked_alone(
    call: Path, cache_dir: Path, whole_checks: list[int], old: str, new: str, warned: bool
) -> None:
    """Dates, lead's kind and amounts: W010 found on the dossier alone, as a whole check would."""
    open_round(call)
    assert validate(call) == (
        0,
        "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews: 0 errors, 0 warnings\n",
    )
    (code, out), wholes = checked_after(
        call, whole_checks, lambda: replace(call / BORDEAUX, old, new)
    )
    assert wholes == 0 and code == 0
    assert (" warning W010 " in out) == warned, out


def new_dossier(call: Path, ident: str, round_id: str = "2022Q2", **changes: str) -> Path:
    """A copy of Bordeaux's dossier under another id, with ``changes`` (old text: new)."""
    text = (call / BORDEAUX).read_text(encoding="utf-8").replace("passerelle-bordeaux", ident)
    text = text.replace("round: 2022Q2", f"round: {round_id}")
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    return write(call / round_id / f"{ident}.yaml", text)


def test_a_dossier_added_is_checked_alone(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    """The usual pull request: one dossier more. Counted, located, warned of."""
    open_round(call)
    validate(call)
    (code, out), wholes = checked_after(call, whole_checks, lambda: new_dossier(call, "relais-pau"))
    assert (code, wholes) == (0, 0)
    assert out == "checked 1 call file, 2 rounds, 5 dossiers, 2 reviews: 0 errors, 0 warnings\n"

    # two more, one the eligibility rules refuse and one whose theme call.yaml lacks
    def two() -> None:
        new_dossier(
            call,
            "relais-dax",
            **{
                "requested: 75000": "requested: 160000",  # above the rule's 150,000
                "total_cost: 100000": "total_cost: 200000",
                "other_funding: 25000": "other_funding: 40000",
            },
        )
        new_dossier(call, "relais-tarbes", **{"- inclusion": "- robotique"})

    (code, out), wholes = checked_after(call, whole_checks, two)
    assert (code, wholes) == (1, 0)
    dax = call / "2022Q2/relais-dax.yaml"
    assert f"{dax}:{line_of(dax, 'requested:')}:" in out and " warning W010 " in out
    assert " error E205 " in out and "7 dossiers" in out
    # and gen score, reading that report, refuses the round as afresh
    scored = invoke("score", "--round", "2022Q2", "--call", call, "--dry-run")
    assert scored.code == 1


@pytest.mark.parametrize(
    "add",
    [
        # an id already taken: E201, and E202 for the file named otherwise
        lambda call: new_dossier(call, "relais-pau", **{"id: relais-pau": "id: codeuses-lille"}),
        # the same id in another round
        lambda call: new_dossier(call, "codeuses-lille"),
        # another id, in a file named as a dossier of another round
        lambda call: new_dossier(call, "relais-pau").rename(call / "2022Q2/codeuses-lille.yaml"),
        # a file that is no dossier, or none gen reads alone
        lambda call: write(call / "2022Q2/relais-pau.yaml", "id: [relais-pau\n"),
        lambda call: write(call / "2022Q2/jury.yaml", "round: 2022Q2\n"),
        lambda call: write(call / "2022Q2/assignments.yaml", "round: 2022Q2\n"),
        lambda call: write(call / "2022Q2/reviews/relais.yaml", "reviewer: camille-martin\n"),
        lambda call: write(call / "2022Q2/.relais-pau.yaml", "id: relais-pau\n"),
        lambda call: write(call / "2022Q2/relais-pau.private.yaml.age", "sealed\n"),
        lambda call: write(call / "2022Q3/relais-pau.yaml", "id: relais-pau\n"),
        # a dossier added and one removed
        lambda call: (new_dossier(call, "relais-pau"), (call / BORDEAUX).unlink()),
    ],
    ids=[
        "id-taken",
        "id-elsewhere",
        "name-elsewhere",
        "broken",
        "jury",
        "assignments",
        "review",
        "hidden",
        "private-part",
        "new-folder",
        "removed",
    ],
)
def test_a_file_added_otherwise_is_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int], add: Callable[[Path], object]
) -> None:
    open_round(call)
    validate(call)
    assert checked_after(call, whole_checks, lambda: add(call))[1] == 1


def test_a_dossier_added_to_a_round_with_assignments_is_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    write(
        call / "2022Q1/assignments.yaml",
        "round: 2022Q1\nreviews_per_dossier: 1\nreviewers:\n"
        "  camille-martin: [atelier-clermont, codeuses-lille, fabrique-marseille]\n",
    )
    validate(call)
    _, wholes = checked_after(call, whole_checks, lambda: new_dossier(call, "relais-pau", "2022Q1"))
    assert wholes == 1


def test_a_dossier_added_after_an_error_is_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    """An error may be a review naming a dossier that does not exist yet: the new one."""
    replace(call / "2022Q1/reviews/yannick-le-goff.yaml", "  codeuses-lille:", "  relais-pau:")
    code, out = validate(call)
    assert code == 1 and " E206 " in out
    (code, out), wholes = checked_after(
        call, whole_checks, lambda: new_dossier(call, "relais-pau", "2022Q1")
    )
    assert wholes == 1 and " E206 " not in out


def test_a_dossier_added_in_git_is_checked_alone_where_its_round_takes_dossiers(
    tmp_path: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    """With git, a dossier added to a round whose submissions are closed is E215: whole."""
    repo, call = call_repo(tmp_path)
    assert validate(call)[0] == 0
    (code, out), wholes = checked_after(
        call, whole_checks, lambda: new_dossier(call, "relais-pau", "2022Q1")
    )
    assert (code, wholes) == (1, 1) and " error E215 " in out
    (call / "2022Q1/relais-pau.yaml").unlink()
    open_round(call)
    git(repo, "commit", "--quiet", "-am", "2022Q2 prend des dossiers")
    assert validate(call)[0] == 0
    (code, out), wholes = checked_after(call, whole_checks, lambda: new_dossier(call, "relais-pau"))
    assert (code, wholes) == (0, 0)


def test_any_other_change_is_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    validate(call)
    review = call / "2022Q1/reviews/yannick-le-goff.yaml"
    for index, change in enumerate(
        (
            lambda: review.write_text(review.read_text(encoding="utf-8") + "\n", encoding="utf-8"),
            lambda: replace(
                call / "call.yaml", "name: Yannick Le Goff", "name: Yannick Le Goff Jr"
            ),
            lambda: shutil.copy(call / BORDEAUX, call / "2022Q2" / "passerelle-bordeaux-2.yaml"),
            lambda: (call / BORDEAUX).unlink(),
            lambda: (call / "notes.txt").write_text("hello\n", encoding="utf-8"),
        )
    ):
        assert checked_after(call, whole_checks, change)[1] == 1, index


def test_more_than_a_few_changed_dossiers_are_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    for index in range(MOST_CHANGED):
        copy = (
            (call / BORDEAUX)
            .read_text(encoding="utf-8")
            .replace("passerelle-bordeaux", f"passerelle-{index}")
        )
        (call / "2022Q2" / f"passerelle-{index}.yaml").write_text(copy, encoding="utf-8")
    validate(call)
    validate(call, "--format", "json")  # a second check: its models were not read

    def change() -> None:
        for path in sorted((call / "2022Q2").glob("passerelle-*.yaml")):
            replace(path, "vers une formation", "vers un métier")

    assert checked_after(call, whole_checks, change)[1] == 1


def test_a_dossier_whose_organisations_a_review_check_read_is_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    """Yannick is affiliated with Lille's lead: the checks of his review read that dossier.

    The second check recalls those checks, kept from the first, and reads no dossier; the
    lead's name, written otherwise but the same organisation, is in the review's message.
    """
    replace(
        call / "call.yaml",
        '      - name: Université de Bretagne-Armorique\n        siren: "193500014"',
        "      - name: Association Les Codeuses du Nord",
    )
    assert "E210" in validate(call)[1]
    _, wholes = checked_after(
        call,
        whole_checks,
        lambda: replace(call / BORDEAUX, "  - inclusion", "  - insertion"),
    )
    assert wholes == 1
    (_, out), wholes = checked_after(
        call,
        whole_checks,
        lambda: replace(
            call / LILLE, "name: Association Les Codeuses", "name: ASSOCIATION LES CODEUSES"
        ),
    )
    assert wholes == 1
    assert "affiliated with ASSOCIATION LES CODEUSES du Nord" in out


def test_a_dossier_of_a_closed_round_is_checked_whole(
    tmp_path: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    """Its round's proof is found by its bytes: a change of its wording breaks the round."""
    call = Path(shutil.copytree(EXAMPLE, tmp_path / "call"))
    assert invoke("close", "2022Q1", "--by", "Claire", "--call", call).code == 0
    validate(call)  # made whole: the closed rounds computed again, every dossier read
    open_round = sorted((call / "2022Q2").glob("*.yaml"))[0]
    # whole again: the closed rounds' proofs are kept, 2022Q1's dossiers are not read
    _, wholes = checked_after(
        call, whole_checks, lambda: replace(open_round, "  requested: ", "  requested: 1")
    )
    assert wholes == 1
    dossier = sorted((call / "2022Q1").glob("*.yaml"))[0]
    (code, out), wholes = checked_after(
        call, whole_checks, lambda: replace(dossier, "title: ", "title: Le ")
    )
    assert wholes == 1 and code == 1
    assert f"{dossier}:1:1: error E401 round 2022Q1 is closed and this file changed" in out


def test_a_dossier_whose_model_a_rule_read_is_checked_whole(
    call: Path, cache_dir: Path, whole_checks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule across files that reads more of a dossier than its facts (here, its title)."""
    sealing = rules.sealing_problems

    def with_titles(folder: loading.CallFolder) -> list[Problem]:
        found = sealing(folder)
        for source, _, packed in folder.dossier_entries:
            if source.display.endswith("passerelle-bordeaux.yaml"):
                title = packed.get()[0].title  # type: ignore[union-attr]
                found.append(Problem(folder.call_source.display, "W002", f"title: {title}"))
        return found

    monkeypatch.setattr(rules, "sealing_problems", with_titles)
    validate(call)
    (_, out), wholes = checked_after(
        call, whole_checks, lambda: replace(call / BORDEAUX, "title: ", "title: La ")
    )
    assert wholes == 1 and "title: La Passerelle" in out


def test_changes_in_turn_are_reported_as_a_whole_check_reports_them(
    call: Path, cache_dir: Path, whole_checks: list[int]
) -> None:
    """Seeded edits of every kind, one after another, each compared with a check afresh."""
    edits = [
        ("vers une formation", "vers un métier"),
        ("  requested: 75000", "  requested: 74000"),
        ("email: jean.lafitte@passerelle-aquitaine.example", "email: jean"),
        ("email: jean\n", "email: jean@passerelle.example\n"),
        ("other_funding: 25000", "other_funding: 26000"),
        ("other_funding: 26000", "other_funding: 25000"),
        ("title: ", "title: Nouveau "),
        ("  people: 20", "  people: 21"),
        ("  women_percent: 35", "  women_percent: 135"),
        ("  women_percent: 135", "  women_percent: 36"),
    ]
    files = [call / BORDEAUX, call / MARSEILLE, call / CLERMONT, call / LILLE]
    validate(call)
    made = edited_in_turn(call, whole_checks, files, edits, random.Random(13), 16)
    assert 0 in made and 1 in made  # both ways were taken, and each gave the fresh report


def edited_in_turn(
    call: Path,
    whole_checks: list[int],
    files: list[Path],
    edits: list[tuple[str, str]],
    randomly: random.Random,
    count: int,
) -> list[int]:
    """``count`` edits, each of a file and an edit it allows drawn by ``randomly``.

    Each report is compared with a check made afresh; returns how many whole checks each made.
    """
    made = []
    for _ in range(count):
        path = randomly.choice(files)
        text = path.read_text(encoding="utf-8")
        possible = [(old, new) for old, new in edits if text.count(old) == 1]
        old, new = randomly.choice(possible)
        made.append(
            checked_after(call, whole_checks, functools.partial(replace, path, old, new))[1]
        )
    return made


@pytest.mark.parametrize("where", ["folder", "file"])
def test_a_dossier_with_a_problem_is_checked_whole_whatever_its_path_holds(
    tmp_path: Path, cache_dir: Path, whole_checks: list[int], where: str
) -> None:
    """A diagnostic names its file in printable text: a byte that is no UTF-8 is escaped.

    Found in review: the dossiers with a problem were looked for by their raw names, and a
    path with such a byte (the call's own folder, or a file a pull request names) hid them.
    """
    parent = tmp_path / os.fsdecode(b"caf\xe9") if where == "folder" else tmp_path
    call = Path(shutil.copytree(MINIMAL, parent / "call"))
    path = call / BORDEAUX
    if where == "file":
        path = path.rename(path.with_name(os.fsdecode(b"passerelle-bordeaux\xe9.yaml")))
    replace(path, "  end: 2023-07-07", "  end: 2022-07-07")  # E107: the timeline is no fact
    code, out = validate(call)
    assert code == 1 and "E107" in out
    (code, out), wholes = checked_after(
        call, whole_checks, lambda: replace(path, "  end: 2022-07-07", "  end: 2023-07-07")
    )
    assert wholes == 1 and "E107" not in out
    assert code == (1 if where == "file" else 0)  # a file named otherwise than its id: E202


def test_review_checks_made_in_other_processes_say_what_they_read(
    call: Path, cache_dir: Path, whole_checks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keptchecks, "PARALLEL_FROM", 1)  # every review checked in a fork
    replace(
        call / "call.yaml",
        '      - name: Université de Bretagne-Armorique\n        siren: "193500014"',
        "      - name: Association Les Codeuses du Nord",
    )
    assert "E210" in invoke("validate", "--call", call, "--jobs", "2").out
    replace(call / LILLE, "name: Association Les Codeuses", "name: ASSOCIATION LES CODEUSES")
    expected = invoke("validate", "--call", call, "--jobs", "2", "--no-cache")
    whole_checks.clear()
    assert invoke("validate", "--call", call, "--jobs", "2") == expected
    assert len(whole_checks) == 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda basis: {**basis, "files": list(basis["files"].items())},
        lambda basis: {**basis, "open": {k: 1 for k in basis["open"]}},
        lambda basis: {**basis, "files": {}},
        lambda basis: [basis],
    ],
    ids=["files-listed", "open-numbers", "files-empty", "a-list"],
)
def test_a_basis_that_is_not_one_gen_wrote_is_set_aside(
    call: Path, cache_dir: Path, whole_checks: list[int], damage: Callable[[Any], Any]
) -> None:
    """The cache is the user's, but a damaged entry must only cost a whole check."""
    validate(call)
    keyed = folder_key(call, str(call), False, None, 1, each_file=True)
    assert keyed is not None
    cache = ResultCache(cache_dir)
    key = basis_key(keyed.header)
    basis = pickle.loads(cache.get_many([key])[key])
    cache.put_many([(key, pickle.dumps(damage(basis)))], [key])
    cache.close()
    _, wholes = checked_after(
        call, whole_checks, lambda: replace(call / BORDEAUX, "vers une formation", "vers un métier")
    )
    assert wholes == 1


#: Edits a pull request could make to any dossier of the minimal call (from a review).
EDITS = [
    ("title: ", "title: Nouveau "),
    ("  end: 2023", "  end: 2019"),  # E107
    ("  end: 2019", "  end: 2023"),
    ("  start: 2022", "  start: 2035"),  # W013, E107
    ("  start: 2035", "  start: 2022"),
    ("  people: 20", "  people: 21"),
    ("summary: ", "summary: Vraiment "),
    ("email: ", "email: not an email "),
    ("  requested: ", "  requested: 1"),
    ("  name: La Fabrique du code", "  name: La Fabrique du c\u043ede"),  # a Cyrillic o: W012
    ("  name: La Fabrique du c\u043ede", "  name: La Fabrique du code"),
    ("  name: Atelier numérique des Volcans", "  name: ATELIER NUMERIQUE DES VOLCANS"),
    ("other_funding: ", "other_funding: 1"),
]


@pytest.mark.parametrize("seed", range(3))
def test_edits_in_a_round_with_assignments_are_reported_as_afresh(
    call: Path, cache_dir: Path, whole_checks: list[int], seed: int
) -> None:
    """Assignments and a pair to avoid read the dossiers' organisations: edits of every kind."""
    (call / "2022Q1" / "assignments.yaml").write_text(
        "round: 2022Q1\nreviews_per_dossier: 2\nreviewers:\n"
        "  camille-martin: [atelier-clermont, fabrique-marseille]\n"
        "  yannick-le-goff: [codeuses-lille, atelier-clermont, fabrique-marseille]\n",
        encoding="utf-8",
    )
    replace(
        call / "call.yaml",
        "reviewers:\n",
        "assignment:\n  avoid:\n    - reviewer: yannick-le-goff\n      dossier: fabrique-marseille\n"
        "reviewers:\n",
    )
    files = sorted(p for p in call.glob("2022Q*/*.yaml") if p.name != "assignments.yaml")
    validate(call)
    made = edited_in_turn(call, whole_checks, files, EDITS, random.Random(seed), 14)
    assert 0 in made and 1 in made


def test_an_error_the_change_brings_stops_its_round_as_a_whole_check_says(
    call: Path, cache_dir: Path, whole_checks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error within a valid dossier (its end before its start) keeps its facts: gen score,
    reading the report the check made from the last one, refuses the round as afresh."""
    validate(call)
    path = call / BORDEAUX
    (code, out), wholes = checked_after(
        call, whole_checks, lambda: replace(path, "  end: 2023-07-07", "  end: 2022-07-07")
    )
    assert (code, wholes) == (1, 0) and " error E107 " in out
    scored = invoke("score", "--round", "2022Q2", "--call", call, "--dry-run")
    monkeypatch.setenv("GEN_NO_CACHE", "1")
    assert scored == invoke("score", "--round", "2022Q2", "--call", call, "--dry-run")
    assert scored.code == 1 and "E107" in scored.out + scored.err
