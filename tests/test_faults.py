"""Faults leave everything whole: kill -9 at chosen instants, concurrent runs, unreadable
and read-only folders, planted links and hidden files (part of #8).

Processes are real and are killed for real: gen waits at a named point when the test sets
GEN_PAUSE_AT (gen_cli/faultpoints.py), and the test kills it there with SIGKILL.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MINIMAL, child_env, invoke, run_gen

from gen_cli import swap

EXAMPLE = Path(__file__).parent.parent / "dossiers"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def paused(point: str, tmp_path: Path, *args: str | Path, code: str = "") -> subprocess.Popen[str]:
    """Start gen in a real process and return once it waits at ``point``."""
    ready = tmp_path / f"paused-{point}"
    ready.unlink(missing_ok=True)
    program = code + "\nfrom gen_cli.cli import main\nraise SystemExit(main())"
    child = subprocess.Popen(
        [sys.executable, "-c", program, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(GEN_PAUSE_AT=point, GEN_PAUSE_FILE=str(ready)),
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, f"gen never reached {point}"
        time.sleep(0.05)
    return child


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.communicate()  # reaps it and closes its pipes
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def call(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(EXAMPLE, tmp_path / "call", ignore=shutil.ignore_patterns("public"))
    )


@pytest.fixture
def published(call: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, bytes]]]:
    out = tmp_path / "site"
    assert run_gen("publish", "--call", call, "--out", out).code == 0
    yield out, tree(out)


def leftovers(out: Path) -> list[str]:
    prefixes = (swap.staging_prefix(out), swap.retired_prefix(out))
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(prefixes))


# --- publishing, interrupted ----------------------------------------------------------------


def test_killed_before_the_swap_the_previous_publication_stays(
    call: Path, tmp_path: Path, published: tuple[Path, dict[str, bytes]]
) -> None:
    out, before = published
    child = paused(
        "publish-staged", tmp_path, "publish", "--call", call, "--out", out, "--lang", "en"
    )
    kill(child)
    assert tree(out) == before
    assert [name for name in leftovers(out) if name.startswith(".site.new-")]
    again = run_gen("publish", "--call", call, "--out", out)
    assert again.code == 0
    assert again.err.startswith("gen: removed .site.new-")
    assert leftovers(out) == []
    assert tree(out) == before


def test_killed_just_after_the_swap_the_new_publication_is_whole(
    call: Path, tmp_path: Path, published: tuple[Path, dict[str, bytes]]
) -> None:
    out, before = published
    english = tmp_path / "english"
    assert run_gen("publish", "--call", call, "--out", english, "--lang", "en").code == 0
    child = paused(
        "publish-exchanged", tmp_path, "publish", "--call", call, "--out", out, "--lang", "en"
    )
    kill(child)
    assert tree(out) == tree(english)  # the whole new one, already in place
    (staged,) = [n for n in leftovers(out) if n.startswith(".site.new-")]
    assert tree(out.parent / staged) == before  # the old one, waiting to be removed
    assert run_gen("publish", "--call", call, "--out", out).code == 0
    assert leftovers(out) == [] and tree(out) == before


NO_EXCHANGE = "import gen_cli.swap as swap\nswap._renameat2 = None"


def test_without_exchange_a_kill_between_the_renames_is_recovered(
    call: Path, tmp_path: Path, published: tuple[Path, dict[str, bytes]]
) -> None:
    out, before = published
    child = paused(
        "publish-between-renames",
        tmp_path,
        "publish",
        "--call",
        call,
        "--out",
        out,
        "--lang",
        "en",
        code=NO_EXCHANGE,
    )
    kill(child)
    # The documented window of the fallback: the old publication is aside, whole.
    assert not out.exists()
    (aside,) = [n for n in leftovers(out) if n.startswith(".site.old-")]
    assert tree(out.parent / aside) == before
    # The next run puts it back before anything else, then publishes.
    notes = swap.recover(out, lambda folder: (folder / ".gen-publication").is_file())
    assert sorted(notes) == [
        aside.replace(".site.old-", "removed .site.new-") + ", left by an interrupted run",
        f"restored the previous publication from {aside}",
    ]
    assert tree(out) == before
    assert leftovers(out) == []


def test_the_fallback_replaces_the_folder_whole(call: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    program = NO_EXCHANGE + "\nfrom gen_cli.cli import main\nraise SystemExit(main())"
    for lang in ("fr", "en"):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                program,
                "publish",
                "--call",
                str(call),
                "--out",
                str(out),
                "--lang",
                lang,
            ],
            capture_output=True,
            text=True,
            env=child_env(),
        )
        assert done.returncode == 0, done.stderr
    assert '<html lang="en">' in (out / "index.html").read_text(encoding="utf-8")
    assert leftovers(out) == []


def test_recovery_never_follows_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / ".gen-publication").write_text("looks like gen's\n", encoding="utf-8")
    (victim / "precious.txt").write_text("precious\n", encoding="utf-8")
    out = tmp_path / "site"
    (tmp_path / ".site.new-evil").symlink_to(victim)
    (tmp_path / ".site.old-evil").symlink_to(victim)
    (tmp_path / ".site.new-theirs").mkdir()
    (tmp_path / ".site.new-theirs" / "notes.txt").write_text("not gen's\n", encoding="utf-8")
    assert swap.recover(out, lambda folder: (folder / ".gen-publication").is_file()) == []
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "precious\n"
    assert (tmp_path / ".site.new-theirs" / "notes.txt").exists()
    assert not out.exists()


# --- one gen at a time ------------------------------------------------------------------------


def test_a_second_publish_is_refused_while_one_runs_then_a_killed_one_leaves_no_lock(
    call: Path, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    first = paused("locked", tmp_path, "publish", "--call", call, "--out", out)
    second = run_gen("publish", "--call", call, "--out", out)
    assert second.code == 2
    assert second.err == (
        f"gen: error: another gen is at work on this call (process {first.pid} on "
        f"{os.uname().nodename}: gen publish): wait for it to finish, then run again "
        f"({tmp_path / '.site.lock'} is its lock)\n"
    )
    assert not out.exists()
    kill(first)
    assert (tmp_path / ".site.lock").exists()  # left by the killed run, held by no one
    third = run_gen("publish", "--call", call, "--out", out)
    assert third.code == 0, third.err
    assert not (tmp_path / ".site.lock").exists()


def test_a_second_score_is_refused_while_one_runs_and_a_killed_one_loses_nothing(
    call: Path, tmp_path: Path
) -> None:
    record = call / "2022Q1" / "results.yaml"
    before = record.read_bytes()
    first = paused("locked", tmp_path, "score", "--round", "2022Q1", "--call", call)
    second = run_gen("score", "--round", "2022Q1", "--call", call)
    assert second.code == 2
    assert "gen: error: another gen is at work on this call" in second.err
    assert f"gen score): wait for it to finish, then run again ({call / '.gen.lock'}" in second.err
    assert run_gen("score", "--check", "--call", call).code == 0  # reading needs no lock
    kill(first)
    assert record.read_bytes() == before
    assert run_gen("score", "--round", "2022Q1", "--call", call).code == 0
    assert record.read_bytes() == before
    assert not (call / ".gen.lock").exists()


def test_a_link_planted_at_the_lock_is_refused_and_not_followed(call: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (call / ".gen.lock").symlink_to(victim)
    result = run_gen("score", "--round", "2022Q1", "--call", call)
    assert result.code == 2
    assert result.err == (
        f"gen: error: {call / '.gen.lock'} is a symbolic link: remove it (gen's lock is a "
        "plain file)\n"
    )
    assert victim.read_text(encoding="utf-8") == "precious\n"


# --- folders that cannot be read or written ---------------------------------------------------


def test_a_round_folder_that_is_a_file_is_located(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    shutil.rmtree(call / "2022Q2")
    (call / "2022Q2").write_text("not a folder\n", encoding="utf-8")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        f"{call / '2022Q2'}:1:1: error E010 round 2022Q2's place is a file: make 2022Q2/ a "
        "folder that holds the round's dossiers"
    )


def unprivileged(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run gen without the power to read or write what its mode forbids, even as root.

    In a new user namespace with no mapping, root's files are no longer root's to override.
    """
    if os.geteuid() != 0:
        command = [sys.executable, "-m", "gen_cli", *map(str, args)]
    elif shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to drop root's power over file modes")
    else:
        command = ["unshare", "--user", sys.executable, "-m", "gen_cli", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, env=child_env())
    if "unshare failed" in done.stderr:
        pytest.skip(f"user namespaces are not allowed here: {done.stderr.strip()}")
    return done


def test_an_unreadable_round_folder_is_an_error_not_a_crash(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    (call / "2022Q2").chmod(0)
    try:
        done = unprivileged("validate", "--call", call)
    finally:
        (call / "2022Q2").chmod(0o755)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[:2] == [
        f"{call / '2022Q2'}:1:1: error E010 cannot read this folder: Permission denied",
        f"{call / '2022Q2' / 'results.yaml'}:1:1: error E404 cannot read "
        f"{call / '2022Q2' / 'results.yaml'}: Permission denied",
    ]


def test_a_read_only_call_folder_is_a_clear_error(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    for folder in (call, call / "2022Q1"):
        folder.chmod(0o555)
    try:
        scored = unprivileged("score", "--round", "2022Q1", "--call", call)
        published = unprivileged("publish", "--call", call, "--out", call / "public")
    finally:
        for folder in (call, call / "2022Q1"):
            folder.chmod(0o755)
    assert scored.returncode == 2
    assert scored.stderr == (
        f"gen: error: cannot write in {call}: Permission denied (gen keeps its lock "
        ".gen.lock there while it writes)\n"
    )
    assert published.returncode == 2
    assert published.stderr == (
        f"gen: error: cannot write in {call}: Permission denied (gen keeps its lock "
        ".public.lock there while it writes)\n"
    )
    assert sorted(p.name for p in call.iterdir()) == ["2022Q1", "2022Q2", "call.yaml"]


# --- what a pull request should not add ----------------------------------------------------


def test_hidden_files_and_links_in_the_call_folder_are_reported(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    (call / "2022Q1" / ".hidden.yaml").write_text("id: x\n", encoding="utf-8")
    (call / "2022Q1" / "reviews" / ".notes").write_text("x\n", encoding="utf-8")
    (call / "2022Q2" / ".gitkeep").write_text("", encoding="utf-8")  # keeps a folder: fine
    (call / ".secrets").symlink_to("/etc/passwd")
    (call / ".gitignore").write_text("public/\n", encoding="utf-8")  # a tool's: fine
    result = invoke("validate", "--call", call)
    hidden = (
        "hidden file: gen ignores it, and a pull request should not add it; remove it "
        "(a .tmp file is left by an interrupted gen)"
    )
    assert result.out.splitlines() == [
        f"{call / '.secrets'}:1:1: error E010 gen does not follow links",
        f"{call / '2022Q1' / '.hidden.yaml'}:1:1: warning W014 {hidden}",
        f"{call / '2022Q1' / 'reviews' / '.notes'}:1:1: warning W014 {hidden}",
        "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews: 1 error, 2 warnings",
    ]


def test_a_publication_marker_cannot_hide_a_round(tmp_path: Path) -> None:
    call = Path(shutil.copytree(MINIMAL, tmp_path / "call"))
    (call / "2022Q1" / ".gen-publication").write_text("", encoding="utf-8")
    (call / ".gen.lock").write_text("committed by a pull request\n", encoding="utf-8")
    result = invoke("validate", "--call", call)
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{call / '.gen.lock'}:1:1: warning W014 hidden file: gen ignores it, and a pull "
        "request should not add it; remove it (a .tmp file is left by an interrupted gen)",
        f"{call / '2022Q1' / '.gen-publication'}:1:1: error E010 .gen-publication marks a "
        "folder gen publishes, and this is round 2022Q1's folder: remove it",
        f"{call / '2022Q1' / '.gen-publication'}:1:1: warning W014 hidden file: gen ignores "
        "it, and a pull request should not add it; remove it (a .tmp file is left by an "
        "interrupted gen)",
        "checked 1 call file, 2 rounds, 4 dossiers, 2 reviews: 1 error, 2 warnings",
    ]


def test_recovery_restores_the_latest_publication_set_aside(tmp_path: Path) -> None:
    out = tmp_path / "site"
    empty = tmp_path / ".site.old-0"
    empty.mkdir()
    for name, text in ((".site.old-a", "older"), (".site.old-b", "latest")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / ".gen-publication").write_text("", encoding="utf-8")
        (folder / "index.html").write_text(text, encoding="utf-8")
        os.utime(folder, ns=(10**18, 10**18 if text == "older" else 2 * 10**18))
    notes = swap.recover(out, lambda folder: (folder / ".gen-publication").is_file())
    assert notes == [
        "restored the previous publication from .site.old-b",
        "removed .site.old-0, left by an interrupted run",
        "removed .site.old-a, left by an interrupted run",
    ]
    assert (out / "index.html").read_text(encoding="utf-8") == "latest"
