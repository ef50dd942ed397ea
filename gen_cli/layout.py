"""The fixed names of a call folder's files and folders.

A module of its own, importing nothing, so that what only looks at the folder (the check
of an unchanged folder) need not build gen's models to know them.
"""

from __future__ import annotations

import os
from pathlib import Path

from gen_cli.errors import GenError

CALL_FILE = "call.yaml"
#: Where a round's closing day ends when call.yaml does not say.
DEFAULT_TIMEZONE = "Europe/Paris"
RECORD_FILE = "results.yaml"
#: A round's deliberation file, written by the secretariat after the jury meets.
JURY_FILE = "jury.yaml"
#: Who reviews what in a round, written by gen assign (not an input of the decision).
ASSIGNMENTS_FILE = "assignments.yaml"
REVIEWS_DIR = "reviews"
#: Folders of a call folder that are not rounds.
NOT_ROUNDS = frozenset({"templates"})
#: The file gen publish leaves at the root of what it writes: such a folder is no round.
PUBLICATION_MARKER = ".gen-publication"
#: How gen opens a file of the call folder to read it: never through a link, and never
#: waiting on a pipe put in its place (what is opened is then checked to be a regular file).
READ_IN_PLACE = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
#: How every decision record gen writes begins.
RECORD_HEADER = "# Decision record written by `gen score"
#: The call folder when none is given and none is found: the example call.
DEFAULT_CALL = Path("dossiers")


def find_call_folder(given: Path | None, cwd: Path | None = None) -> Path:
    """The call folder to use, found the way git finds ``.git``.

    ``--call`` (or ``GEN_CALL``) first; then the current folder or the nearest of its
    parents that holds a call.yaml; then ``./dossiers``. The path is returned relative
    to ``cwd`` when it lies inside it, so that diagnostics name files as the user sees them.
    """
    if given is not None:
        return given
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CALL_FILE).is_file():
            relative = os.path.relpath(folder, here)
            return Path(relative)
    return DEFAULT_CALL


def require_call_folder(root: Path, shown: str) -> None:
    """Stop unless ``root`` is a folder holding a call.yaml (``shown`` names it).

    Raises:
        GenError: it is not (exit status 2).
    """
    if not root.is_dir():
        raise GenError(f"call folder {shown} not found (give --call DIR or set GEN_CALL)")
    call_path = root / CALL_FILE
    if not call_path.exists() and not call_path.is_symlink():
        raise GenError(f"no {CALL_FILE} in {shown}: is this a call folder?")
