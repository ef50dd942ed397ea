"""The funder's logo (#12): a PNG, JPEG or WebP file of the call folder, in every header."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest
from conftest import invoke, line_of, replace, run_gen, write

EXAMPLE = Path(__file__).resolve().parent.parent / "dossiers"
CONTACT = "  contact: contact@example.org\n"


def png(width: int = 2, height: int = 1) -> bytes:
    """A real PNG image of ``width`` × ``height`` white pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example call."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "call"))


def declare(call: Path, name: str) -> int:
    """Declare ``name`` as the logo in call.yaml; the line it is on."""
    replace(call / "call.yaml", CONTACT, f"{CONTACT}  logo: {name}\n")
    return line_of(call / "call.yaml", f"  logo: {name}")


def test_the_logo_is_published_and_shown_in_every_header(example: Path) -> None:
    image = write(example / "identite" / "logo-gen.png", png())
    declare(example, "identite/logo-gen.png")
    out = example.parent / "public"
    done = run_gen("publish", "--call", example, "--out", out, SOURCE_DATE_EPOCH="1700000000")
    assert done.code == 0, done.err
    assert (out / "logo.png").read_bytes() == image.read_bytes()
    header = '<p class="funder"><img class="logo" src="{}logo.png" alt="">Grande école du numérique'
    assert header.format("") in (out / "index.html").read_text(encoding="utf-8")
    assert header.format("../") in (out / "rounds" / "2021Q3.html").read_text(encoding="utf-8")
    assert header.format("../") in (out / "projects" / "lovelace.html").read_text(encoding="utf-8")


def test_without_a_logo_no_image_is_published(example: Path) -> None:
    out = example.parent / "public"
    assert run_gen("publish", "--call", example, "--out", out).code == 0
    assert not list(out.glob("logo.*"))
    assert "<img" not in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, "logo.png is not in the call folder: add the image there, next to call.yaml, or "
         "correct the path"),
        ("text", "logo.png is not a PNG image, whatever its name says: export the logo again "
         "as PNG"),
        ("large", "logo.png weighs 600 KB, more than a header logo needs (at most 512 KB): "
         "export it smaller, about 200 pixels high"),
        ("link", "logo.png is a link: put the image itself in the call folder"),
        ("folder", "logo.png is not a file: name the image file itself"),
    ],
)  # fmt: skip
def test_a_logo_gen_cannot_publish_is_reported_at_its_line(
    example: Path, tmp_path: Path, make: str | None, message: str
) -> None:
    logo = example / "logo.png"
    if make == "text":
        write(logo, "<svg onload='alert(1)'/>")
    elif make == "large":
        write(logo, png() + b"\x00" * (600 * 1024 - len(png())))
    elif make == "link":
        logo.symlink_to(write(tmp_path / "elsewhere.png", png()))
    elif make == "folder":
        logo.mkdir()
    line = declare(example, "logo.png")
    result = invoke("validate", "--call", example)
    assert result.code == 1
    assert f"{example / 'call.yaml'}:{line}:9: error E311 publication.logo: {message}" in (
        result.out.splitlines()
    )
    published = invoke("publish", "--call", example, "--out", example.parent / "public")
    assert published.code != 0
    assert not (example.parent / "public").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("logo.svg", "'logo.svg' is not a PNG, JPEG or WebP image: export the logo as logo.png"),
        ("../logo.png", "'../logo.png' is not a file of the call folder: write its path from "
         "the folder holding call.yaml, such as logo.png (letters, digits, - _ . and /)"),
        ("/etc/logo.png", "'/etc/logo.png' is not a file of the call folder: write its path "
         "from the folder holding call.yaml, such as logo.png (letters, digits, - _ . and /)"),
    ],
)  # fmt: skip
def test_a_logo_name_outside_the_folder_or_not_an_image_is_refused(
    example: Path, name: str, message: str
) -> None:
    line = declare(example, name)
    result = invoke("validate", "--call", example)
    assert f"{example / 'call.yaml'}:{line}:9: error E104 publication.logo: {message}" in (
        result.out.splitlines()
    )
