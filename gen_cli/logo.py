"""The funder's logo: an image file of the call folder, checked before it is published.

Only PNG, JPEG and WebP (an SVG can carry scripts), at most ``MAX_LOGO_BYTES``, a regular
file inside the call folder (no link out of it), whose first bytes say the same as its name.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gen_cli.layout import READ_IN_PLACE

#: The largest logo gen publishes: a header image, not a poster.
MAX_LOGO_BYTES = 512 * 1024

_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".webp": (b"RIFF",),
}


class LogoError(ValueError):
    """A logo gen will not publish, in words for the person who declared it."""


def logo_problem(root: Path, name: str) -> str | None:
    """Why the logo ``name`` (a path from the call folder ``root``) cannot be published."""
    try:
        read_logo(root, name)
    except LogoError as error:
        return str(error)
    return None


def read_logo(root: Path, name: str) -> bytes:
    """The logo's bytes.

    Raises:
        LogoError: the file is missing, a link, too large or not the image its name says.
    """
    path = root
    for part in name.split("/"):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            raise LogoError(
                f"publication.logo: {name} is not in the call folder: add the image there, "
                "next to call.yaml, or correct the path"
            ) from None
        if stat.S_ISLNK(mode):
            raise LogoError(
                f"publication.logo: {name} is a link: put the image itself in the call folder"
            )
    if not stat.S_ISREG(mode):
        raise LogoError(f"publication.logo: {name} is not a file: name the image file itself")
    size = os.lstat(path).st_size
    if size > MAX_LOGO_BYTES:
        raise LogoError(
            f"publication.logo: {name} weighs {size // 1024} KB, more than a header logo needs "
            f"(at most {MAX_LOGO_BYTES // 1024} KB): export it smaller, about 200 pixels high"
        )
    # no link, and never wait on a pipe put there since: what is opened is checked again
    try:
        descriptor = os.open(path, READ_IN_PLACE)
    except OSError:
        message = f"publication.logo: {name} cannot be read: put the image itself there"
        raise LogoError(message) from None
    with os.fdopen(descriptor, "rb") as file:
        opened = os.fstat(file.fileno())
        if not stat.S_ISREG(opened.st_mode) or opened.st_size > MAX_LOGO_BYTES:
            raise LogoError(f"publication.logo: {name} changed while gen read it: try again")
        data = file.read(MAX_LOGO_BYTES + 1)
    suffix = Path(name).suffix
    kind = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WebP"}.get(suffix, "")
    webp_ok = suffix != ".webp" or data[8:12] == b"WEBP"
    if not any(data.startswith(s) for s in _SIGNATURES.get(suffix, ())) or not webp_ok:
        raise LogoError(
            f"publication.logo: {name} is not a {kind or 'PNG'} image, whatever its name says: "
            "export the logo again as PNG"
        )
    return data
