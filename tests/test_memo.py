"""gen validate on an unchanged call folder prints the report kept from the last check (#13).

The report is kept under a hash of gen's code, the arguments, the history and every byte of
the call folder: each test changes one thing and compares with a check made afresh.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import pytest
from conftest import MINIMAL, SECRETARIAT_KEY, invoke, replace, write

from gen_cli import loading, memo
from gen_cli.batch import Batch
from gen_cli.history import submission_history
from gen_cli.memo import check_key, checked_report
from gen_cli.resultcache import CACHE_FILE, ResultCache
from gen_cli.sealing import load_identities

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"
HANDCALL = Path(__file__).resolve().parent / "fixtures" / "handcall"
BORDEAUX = "2022Q2/passerelle-bordeaux.yaml"
REVIEW = "2022Q1/reviews/camille-martin.yaml"


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINIMAL, tmp_path / "call"))


def validate(call: Path, *args: str) -> tuple[int, str]:
    result = invoke("validate", "--call", call, "--jobs", "1", *args)
    assert result.err == ""
    return result.code, result.out


def fresh(call: Path, *args: str) -> tuple[int, str]:
    return validate(call, "--no-cache", *args)


@pytest.fixture
def unread(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make reading the call folder fail: what is printed then comes from the kept report."""

    def forbid() -> None:
        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("the call folder was read again")

        monkeypatch.setattr(loading, "load_call_folder", refuse)

    return forbid


def test_an_unchanged_folder_is_not_read_again(
    call: Path, cache_dir: Path, unread: Callable[[], None]
) -> None:
    replace(call / BORDEAUX, "  requested: 75000", "  requested: 95000")
    first = validate(call)
    assert first == fresh(call)
    assert "W001" in first[1]
    unread()
    assert validate(call) == first


def test_a_kept_report_keeps_the_exit_status_and_reports_on_some_files(
    call: Path, cache_dir: Path, unread: Callable[[], None]
) -> None:
    replace(call / BORDEAUX, "round: 2022Q2", "round: 2022Q9")
    whole = validate(call)
    one = fresh(call, str(call / BORDEAUX))
    other = fresh(call, str(call / "2022Q1"))
    assert whole[0] == one[0] == 1
    assert other == (
        0,
        "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews: 0 errors, 0 warnings\n",
    )
    unread()
    assert validate(call) == whole
    assert validate(call, str(call / BORDEAUX)) == one
    assert validate(call, str(call / "2022Q1")) == other


def _same_size_same_time(call: Path) -> None:
    dossier = call / BORDEAUX
    before = os.stat(dossier)
    replace(dossier, "  requested: 75000", "  requested: 95000")
    os.utime(dossier, ns=(before.st_atime_ns, before.st_mtime_ns))


def _stray_file(call: Path) -> None:
    write(call / "notes.yaml", "à relire\n")


def _hidden_file(call: Path) -> None:
    write(call / "2022Q1" / ".brouillon.yaml", "id: x\n")


def _link(call: Path) -> None:
    (call / "2022Q2" / "lien.yaml").symlink_to(call / BORDEAUX)


def _review_removed(call: Path) -> None:
    (call / REVIEW).unlink()


def _call_changed(call: Path) -> None:
    replace(call / "call.yaml", "id: 2022Q2", "id: 2022Q3")


def _round_folder_renamed(call: Path) -> None:
    (call / "2022Q2").rename(call / "2022Q3")


def _file_made_a_folder(call: Path) -> None:
    (call / BORDEAUX).unlink()
    (call / BORDEAUX).mkdir()


def _pipe(call: Path) -> None:
    os.mkfifo(call / "2022Q2" / "tube.yaml")


def _template(call: Path) -> None:
    write(call / "templates" / "laureates.md.j2", "{{ 1 }}\n")


def _published_round(call: Path) -> None:
    # a round's folder is read even with the marker of a publication in it (E010)
    write(call / "2022Q2" / loading.PUBLICATION_MARKER, "")


@pytest.mark.parametrize(
    "change",
    [
        _same_size_same_time,
        _stray_file,
        _hidden_file,
        _link,
        _review_removed,
        _call_changed,
        _round_folder_renamed,
        _file_made_a_folder,
        _pipe,
        _template,
        _published_round,
    ],
)
def test_any_change_gives_the_report_of_a_fresh_check(
    call: Path, cache_dir: Path, change: Callable[[Path], None]
) -> None:
    validate(call)
    key = check_key(call, str(call), False, None)
    change(call)
    after = validate(call)
    assert after == fresh(call)
    assert check_key(call, str(call), False, None) != key


def test_what_gen_publish_wrote_is_not_hashed(
    call: Path, cache_dir: Path, unread: Callable[[], None]
) -> None:
    site = call / "public"
    write(site / loading.PUBLICATION_MARKER, "")
    write(site / "index.html", "<p>1</p>\n")
    first = validate(call)
    write(site / "index.html", "<p>2</p>\n")
    unread()
    assert validate(call) == first


def test_a_damaged_report_is_made_again(call: Path, cache_dir: Path) -> None:
    first = validate(call)
    with sqlite3.connect(cache_dir / CACHE_FILE) as db:
        damaged = db.execute(
            "UPDATE results SET value = CAST('{}' AS BLOB) WHERE CAST(value AS TEXT) LIKE '{%'"
        )
        assert damaged.rowcount == 1  # the one report kept
    assert validate(call) == first
    assert validate(call) == first


def test_sealed_reviews_opened_with_an_identity_are_never_kept(
    tmp_path: Path, cache_dir: Path
) -> None:
    example = Path(shutil.copytree(EXAMPLE, tmp_path / "example"))
    shown = str(example)
    cache = ResultCache(cache_dir)
    key = check_key(example, shown, True, None)
    checked_report(example, shown, load_identities(SECRETARIAT_KEY), True, None, Batch(cache=cache))
    assert cache.get_many([key]) == {}
    checked_report(example, shown, [], True, None, Batch(cache=cache))
    assert list(cache.get_many([key])) == [key]  # without the identity, kept
    cache.close()


def test_a_file_changed_before_the_check_read_it_keeps_no_report(
    call: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed after the folder was hashed, before it was read: the report is not the key's."""
    load = loading.load_call_folder

    def change_then_load(*args: object, **kwargs: object) -> loading.CallFolder:
        replace(call / BORDEAUX, "  requested: 75000", "  requested: 95000")
        return load(*args, **kwargs)  # type: ignore[arg-type]

    key = check_key(call, str(call), False, None)
    monkeypatch.setattr(loading, "load_call_folder", change_then_load)
    cache = ResultCache(cache_dir)
    checked_report(call, str(call), [], False, None, Batch(cache=cache))
    changed = check_key(call, str(call), False, None)
    assert cache.get_many([key, changed]) == {}  # neither: the check read another state
    monkeypatch.setattr(loading, "load_call_folder", load)
    checked_report(call, str(call), [], False, None, Batch(cache=cache))
    assert list(cache.get_many([changed])) == [changed]  # left alone, kept
    cache.close()


def test_a_file_changed_after_the_check_read_it_is_checked_again(
    call: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report is kept under the key of the bytes the check read, never the new ones."""
    load = loading.load_call_folder

    def load_then_change(*args: object, **kwargs: object) -> loading.CallFolder:
        folder = load(*args, **kwargs)  # type: ignore[arg-type]
        replace(call / BORDEAUX, "  requested: 75000", "  requested: 95000")
        return folder

    key = check_key(call, str(call), False, None)
    monkeypatch.setattr(loading, "load_call_folder", load_then_change)
    cache = ResultCache(cache_dir)
    clean = checked_report(call, str(call), [], False, None, Batch(cache=cache))
    assert clean.diagnostics == [] and list(cache.get_many([key])) == [key]
    monkeypatch.setattr(loading, "load_call_folder", load)
    changed = checked_report(call, str(call), [], False, None, Batch(cache=cache))
    assert [d.code for d in changed.diagnostics] == ["W001"]  # the new bytes, checked
    assert changed.diagnostics[0].path == str(call / BORDEAUX)
    cache.close()


def test_the_key_is_the_same_on_several_processes(
    call: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = check_key(call, str(call), False, None, jobs=1)
    monkeypatch.setattr(memo, "_PARALLEL_FROM", 2)
    assert check_key(call, str(call), False, None, jobs=2) == serial
    assert check_key(call, str(call), False, None, jobs=3) == serial
    assert check_key(call, str(call), True, None, jobs=2) != serial
    assert check_key(call, "call", False, None, jobs=2) != serial


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def git_show(cwd: Path, what: str) -> bytes:
    return subprocess.run(["git", "show", what], cwd=cwd, check=True, capture_output=True).stdout


@pytest.mark.usefixtures("clean_git_env")
def test_what_the_default_branch_says_is_in_the_key(call: Path) -> None:
    git(call, "init", "-q", "-b", "main")
    git(call, "add", "call.yaml")
    git(call, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "call")
    before = check_key(call, str(call), False, submission_history(call, None))
    git(call, "add", ".")
    git(call, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "rest")
    after = check_key(call, str(call), False, submission_history(call, None))
    assert after != before  # the same files, arrived on the branch


def test_a_folder_named_with_bytes_that_are_no_utf8_is_kept_and_recalled(
    call: Path, cache_dir: Path
) -> None:
    # N001 names its round by the folder's name: the kept report must hold it
    reviews = os.path.join(os.fsencode(call), b"\xff", b"reviews")
    os.makedirs(reviews)
    with open(os.path.join(reviews, b"a.yaml.age"), "wb") as file:
        file.write(b"x\n")
    first = validate(call)
    assert first == fresh(call)
    assert validate(call) == first


def test_a_logo_in_a_folder_marked_as_published_is_hashed(call: Path, cache_dir: Path) -> None:
    replace(call / "call.yaml", "rounds:", "publication:\n  logo: public/logo.png\nrounds:")
    write(call / "public" / loading.PUBLICATION_MARKER, "")
    write(call / "public" / "logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert validate(call) == fresh(call)
    write(call / "public" / "logo.png", b"GIF89a")
    after = validate(call)
    assert after == fresh(call)
    assert after[0] == 1 and "E311" in after[1]


def test_a_folder_tree_deeper_than_python_recursion_is_walked(call: Path, cache_dir: Path) -> None:
    top = os.path.join(os.fsencode(call), b"templates")
    deep = top
    os.mkdir(deep)
    try:
        for _ in range(1_200):
            deep = os.path.join(deep, b"d")
            os.mkdir(deep)
        assert check_key(call, str(call), False, None) is not None
        assert validate(call) == fresh(call)
    finally:  # shutil.rmtree, and pytest's clean-up, recurse once a level: undone from below
        while os.path.isdir(deep) and deep != os.path.dirname(top):
            os.rmdir(deep)
            deep = os.path.dirname(deep)


def test_what_is_in_a_git_folder_below_a_round_is_hashed(call: Path, cache_dir: Path) -> None:
    (call / "2022Q1" / "notes" / ".git").mkdir(parents=True)
    validate(call)
    write(call / "2022Q1" / "notes" / ".git" / "x.yaml", "id: x\n")
    assert validate(call) == fresh(call)


@pytest.mark.parametrize("kind", ["link", "pipe"])
def test_a_folder_with_a_link_or_a_pipe_keeps_no_report(
    call: Path, cache_dir: Path, kind: str
) -> None:
    place = call / "2022Q1" / "results.yaml"
    if kind == "link":
        place.symlink_to(call / BORDEAUX)
    else:
        os.mkfifo(place)
    assert check_key(call, str(call), False, None) is None
    first = validate(call)  # a pipe where the record goes: read, never waited on
    assert first == fresh(call)
    assert first[0] == 1


def test_a_file_larger_than_gen_reads_is_known_by_its_size(
    call: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = call / "2022Q1" / "enorme.yaml"
    with huge.open("wb") as file:
        file.truncate(memo.LARGEST_READ + 1)  # sparse: no disk used
    read: list[int] = []
    real = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: read.append(n) or real(fd, n))
    key = check_key(call, str(call), False, None)
    others = sum(p.stat().st_size for p in call.rglob("*") if p.is_file() and p != huge)
    assert others < sum(read) < others + 2_000_000  # every other file is read, not this one
    with huge.open("r+b") as file:
        file.truncate(memo.LARGEST_READ + 2)
    assert check_key(call, str(call), False, None) != key


def test_no_limit_of_gen_is_above_what_the_key_reads() -> None:
    from gen_cli.logo import MAX_LOGO_BYTES
    from gen_cli.records import RECORD_MAX_BYTES
    from gen_cli.sealing import MAX_SEALED_BYTES
    from gen_cli.yamlload import MAX_BYTES

    assert max(MAX_BYTES, MAX_SEALED_BYTES, RECORD_MAX_BYTES, MAX_LOGO_BYTES) <= memo.LARGEST_READ


def test_the_history_fingerprint_tells_every_part_apart() -> None:
    from dataclasses import replace as changed
    from datetime import datetime, timedelta, timezone

    from gen_cli.git import Arrival
    from gen_cli.history import History

    when = datetime(2024, 1, 1, 9, tzinfo=UTC)
    arrivals = {
        "2024Q1/a.yaml": Arrival("c1", when, "a"),
        "2024Q1/b.yaml": Arrival("c2", when, "b"),
    }
    base = History("main", arrivals, {"2024Q1": b"record", "2024Q2": b"other"}, ("templates/x",))
    reordered = History(
        "main", dict(reversed(arrivals.items())), {"2024Q2": b"other", "2024Q1": b"record"},
        ("templates/x",),
    )  # fmt: skip
    assert reordered.fingerprint() == base.fingerprint()
    first = arrivals["2024Q1/a.yaml"]
    variants = [
        changed(base, branch=None),
        changed(base, branch="master"),
        changed(base, arrivals={**arrivals, "2024Q1/a.yaml": changed(first, commit="c3")}),
        changed(base, arrivals={**arrivals, "2024Q1/a.yaml": changed(first, subject="b")}),
        changed(
            base,
            arrivals={**arrivals, "2024Q1/a.yaml": changed(first, time=when + timedelta(hours=1))},
        ),
        changed(
            base,
            arrivals={
                **arrivals,
                "2024Q1/a.yaml": changed(first, time=when.astimezone(timezone(timedelta(hours=2)))),
            },
        ),  # the same instant, another offset: the date a reader sees differs
        changed(base, arrivals={"2024Q1/a.yaml": first}),
        changed(base, records={"2024Q1": b"record!", "2024Q2": b"other"}),
        changed(base, records={"2024Q1": b"record"}),
        changed(base, records={"2024Q3": b"record", "2024Q2": b"other"}),
        changed(base, templates_changed=()),
        changed(base, templates_changed=("templates/", "x")),
    ]
    fingerprints = {h.fingerprint() for h in [base, *variants]}
    assert len(fingerprints) == 1 + len(variants)


@pytest.mark.usefixtures("clean_git_env")
def test_closed_records_are_parsed_only_when_the_check_is_made(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round of 50,000 dossiers has a record of 60 MB: an unchanged folder never parses
    it, and a changed one reads it from the cache while its bytes are the same."""
    from gen_cli import history

    root = Path(shutil.copytree(HANDCALL, tmp_path / "repo"))
    git(root, "init", "-q", "-b", "main")
    assert invoke("score", "--round", "2023Q1", "--call", root).code == 0
    assert invoke("close", "2023Q1", "--by", "Secrétariat", "--call", root).code == 0
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "closed")
    first = validate(root)
    assert first == fresh(root)
    parsed: list[int] = []
    real = history.parse_record
    monkeypatch.setattr(history, "parse_record", lambda raw: parsed.append(len(raw)) or real(raw))
    assert validate(root) == first
    assert parsed == []  # the kept report: nothing parsed
    record = root / "2023Q1" / "results.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("closed:", "kept:", 1))
    code, out = validate(root)
    assert parsed == []  # the record on the branch came from the cache
    assert code == 1 and "E403" in out and "no longer closed" in out
    assert (code, out) == fresh(root)
    assert parsed == [len(git_show(root, "main:2023Q1/results.yaml"))]


def test_the_time_zone_database_is_in_the_key(call: Path, tmp_path: Path) -> None:
    """Whether a zone exists, and where a day ends, come from the machine, not the folder."""
    import zoneinfo

    zones = tmp_path / "zoneinfo"
    write(zones / "Europe/Paris", "TZif, as the machine has it")  # only its bytes count
    try:
        zoneinfo.reset_tzpath([str(zones)])
        before = check_key(call, str(call), False, None)
        assert check_key(call, str(call), False, None) == before
        write(zones / "Europe/Paris", "TZif, after an update of the database")
        updated = check_key(call, str(call), False, None)
        (zones / "Europe/Paris").unlink()  # gone from the first place zoneinfo looks
        gone = check_key(call, str(call), False, None)
    finally:
        zoneinfo.reset_tzpath()
    assert len({before, updated, gone}) == 3
    # a zone that is a link (UTC, US/Eastern on Debian): the file it leads to counts
    write(zones / "Etc/UTC", "TZif, UTC")
    (zones / "UTC").symlink_to(zones / "Etc/UTC")
    try:
        zoneinfo.reset_tzpath([str(zones)])
        linked = memo.zone_digest("UTC")
        write(zones / "Etc/UTC", "TZif, UTC updated")
        relinked = memo.zone_digest("UTC")
    finally:
        zoneinfo.reset_tzpath()
    assert len({linked, relinked, b"no zone file"}) == 3 and len(linked) == 32
    assert memo.zone_digest("../../etc/passwd") == memo.zone_digest(3) == b"no zone file"
