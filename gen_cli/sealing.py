"""Sealed files: reviews committed encrypted (age format), opened in memory only.

When call.yaml names the secretariat's public keys (``sealing.recipients``), a reviewer
seals their review before committing it: ``gen seal`` encrypts the file to those keys
and to the reviewer's own (``age_recipient``), writes ``<reviewer>.yaml.age`` and removes
the plaintext. Other reviewers and applicants see that a review exists, not what it says.
The secretariat, and CI on the default branch, give gen the identity (``--identity FILE``
or ``GEN_AGE_IDENTITY``); gen decrypts in memory and never writes the plaintext to disk.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gen_cli.errors import GenError

#: What a sealed file's name ends with, after the plaintext's own name.
SEALED_SUFFIX = ".age"
#: Where gen finds the path of the identity file when --identity is not given.
IDENTITY_VARIABLE = "GEN_AGE_IDENTITY"
#: The most bytes gen reads from a sealed file: a plaintext of 1 MB (the limit of any
#: file gen reads) and age's overhead (a header, and 16 bytes every 64 KiB).
MAX_SEALED_BYTES = 1_100_000


class Unopenable(ValueError):
    """A sealed file that the identities given cannot open, or that was altered."""


def load_identities(path: Path | None) -> list[Any]:
    """The age identities in a file (``AGE-SECRET-KEY-1…`` lines; ``#`` starts a comment).

    ``path`` None: the file named by GEN_AGE_IDENTITY, if set; else no identity.

    Raises:
        GenError: the file cannot be read or holds no valid identity.
    """
    if path is None:
        named = os.environ.get(IDENTITY_VARIABLE)
        if not named:
            return []
        path = Path(named)
    from pyrage import IdentityError, x25519

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = error.strerror if isinstance(error, OSError) else "it is not a text file"
        raise GenError(f"cannot read the identity file {path}: {why}") from None
    identities = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(x25519.Identity.from_str(line))
        except IdentityError:
            raise GenError(
                f"{path}:{number}: this line is not an age identity (it starts with "
                "AGE-SECRET-KEY-1)"
            ) from None
    if not identities:
        raise GenError(f"{path} holds no age identity (a line starting with AGE-SECRET-KEY-1)")
    return identities


def public_key(identity: Any) -> str:
    """The public key (recipient) of an identity, ``age1…``."""
    return str(identity.to_public())


def seal(plaintext: bytes, recipients: Sequence[str]) -> bytes:
    """Encrypt ``plaintext`` to every recipient (``age1…`` public keys).

    Raises:
        GenError: a recipient is not a valid age public key.
    """
    from pyrage import RecipientError, encrypt, x25519

    keys = []
    for recipient in recipients:
        try:
            keys.append(x25519.Recipient.from_str(recipient))
        except RecipientError:
            raise GenError(f"{recipient!r} is not an age public key (age1…)") from None
    return bytes(encrypt(plaintext, keys))


def unseal(data: bytes, identities: Sequence[Any]) -> bytes:
    """Decrypt a sealed file in memory.

    Raises:
        Unopenable: none of the identities opens it, or it was altered.
    """
    from pyrage import DecryptError, decrypt

    if not identities:
        raise Unopenable("no identity given")
    try:
        return bytes(decrypt(data, list(identities)))
    except DecryptError:
        raise Unopenable(
            "it is not sealed to the identity given, or it was altered since it was sealed"
        ) from None


def is_sealed_name(name: str) -> bool:
    """True for a sealed YAML file's name (``amelie-roux.yaml.age``)."""
    return name.endswith(".yaml" + SEALED_SUFFIX)
