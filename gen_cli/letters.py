"""Decision letters to applicants, from a closed round's record: Markdown, PDF, e-mail.

Each letter gives the decision as `gen show` explains it (the same words, from the record),
the jury's conditions and justification when it departed from the ranking, reviewers'
comments when the call shares them (never who wrote them), and what a French administrative
decision must say: how and when to appeal, who signs and when. The wording comes from the
templates `letter.md` (Jinja2, sandboxed, overridable by file name like the publication's)
and `letter.typ` (Typst, which receives the letter as data: nothing in it is read as code).
gen writes the letters; it never sends them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from gen_cli.errors import GenError
from gen_cli.formatting import day
from gen_cli.models import Call, Dossier, Review
from gen_cli.showing import explain_record

WORDS = {
    "fr": {
        "subject": "{call} — relevé {round}\u00a0: décision sur le dossier «\u00a0{title}\u00a0»",
        "greeting": "Madame, Monsieur,",
        "intro": "Votre dossier «\u00a0{title}\u00a0» a été examiné lors du relevé {round}. "
        "Voici la décision et ce qui l’a fondée.",
        "comments": "Commentaires des évaluateurs",
        "place_date": "Le {date}",
        "appeal": "Voies et délais de recours\u00a0: cette décision peut faire l’objet d’un recours "
        "gracieux auprès de {funder} dans un délai de deux mois à compter de sa notification, "
        "puis d’un recours contentieux devant le {court} dans un délai de deux mois à compter "
        "de la réponse, ou du rejet implicite né du silence gardé pendant deux mois. Le "
        "recours contentieux peut aussi être formé directement, dans les deux mois de la "
        "notification.",
        "reference": "Référence de la décision\u00a0: {reference}",
    },
    "en": {
        "subject": "{call} — round {round}: decision on the dossier “{title}”",
        "greeting": "Dear Sir or Madam,",
        "intro": "Your dossier “{title}” was examined in round {round}. Here is the decision "
        "and what it rests on.",
        "comments": "Reviewers' comments",
        "place_date": "{date}",
        "appeal": "How and when to appeal: this decision may be challenged by a request to "
        "{funder} for reconsideration within two months of its notification, then before the "
        "{court} within two months of the answer, or of the implicit refusal that two months "
        "of silence amount to. It may also be challenged before the court directly, within "
        "two months of the notification.",
        "reference": "Decision reference: {reference}",
    },
}


@dataclass
class Letter:
    """One applicant's letter, as data the templates turn into Markdown and PDF."""

    dossier: str
    email: str
    name: str
    lead: str
    funder: str
    subject: str
    greeting: str
    place_date: str
    body: list[str]
    comments_heading: str
    appeal: str
    signatory: str
    role: str
    lang: str
    year: int
    month: int
    day: int
    comments: list[str] = field(default_factory=list)


def build_letters(
    call: Call,
    round_id: str,
    record: dict[str, Any],
    dossiers: Sequence[Dossier],
    reviews: Sequence[Review],
    lang: str = "fr",
) -> list[Letter]:
    """One letter a dossier of the round, in ``lang``, from the round's record.

    Raises:
        GenError: call.yaml says nothing of letters, or the round has no decision date.
    """
    if call.letters is None:
        raise GenError(
            "call.yaml does not say who signs the letters: add letters: {signatory: …, "
            "role: …, court: …}"
        )
    round_ = call.round(round_id)
    if round_ is None or round_.decision_date is None:
        raise GenError(
            f"round {round_id} has no decision_date in call.yaml: letters are dated by it"
        )
    w = WORDS[lang]
    signed = round_.decision_date
    name = getattr(call.name, lang)
    letters = []
    for dossier in sorted(dossiers, key=lambda d: d.id):
        if dossier.id not in record.get("decisions", {}):
            continue
        explained = explain_record(call, round_id, record, dossier, lang)
        # The header lines (dossier, round, amount) are the letter's own; keep the rest.
        body = [w["intro"].format(title=dossier.title, round=round_id)]
        body += [line.strip() for line in explained.lines[4:] if line.strip()]
        if round_.decision_reference:
            body.append(w["reference"].format(reference=round_.decision_reference))
        comments = _comments(reviews, dossier.id) if call.letters.share_comments else []
        letters.append(
            Letter(
                dossier=dossier.id,
                email=dossier.contact.email,
                name=dossier.contact.name,
                lead=dossier.porteur.name,
                funder=call.funder.name,
                subject=w["subject"].format(call=name, round=round_id, title=dossier.title),
                greeting=w["greeting"],
                place_date=w["place_date"].format(date=day(signed, lang)),
                body=body,
                comments_heading=w["comments"],
                appeal=w["appeal"].format(funder=call.funder.name, court=call.letters.court),
                signatory=call.letters.signatory,
                role=call.letters.role,
                lang=lang,
                year=signed.year,
                month=signed.month,
                day=signed.day,
                comments=comments,
            )
        )
    return letters


def _comments(reviews: Sequence[Review], ident: str) -> list[str]:
    # Anonymised: the comments only, in an order that does not follow the reviewers' ids.
    found = [
        e.comment.strip()
        for review in reviews
        for key, e in review.evaluations.items()
        if key == ident and e.comment and e.comment.strip()
    ]
    return sorted(found, key=lambda text: hashlib.sha256(text.encode()).hexdigest())


def letter_pdf(letter: Letter, template: Path) -> bytes:
    """The letter as a PDF, made by Typst from ``template`` with the letter as data."""
    import typst  # a large import, for this command only

    try:
        pdf: bytes = typst.compile(
            str(template),
            root=str(template.parent),
            sys_inputs={"letter": json.dumps(asdict(letter), ensure_ascii=False)},
            ignore_system_fonts=True,
        )
    except Exception as error:  # Typst reports a template's error as a bare exception
        raise GenError(f"template {template.name}: {str(error).strip()}") from None
    return pdf


def letter_email(letter: Letter, pdf: bytes, sender: str, signed: date) -> bytes:
    """An e-mail ready to send, the PDF attached; gen never sends it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"{letter.name} <{letter.email}>"
    message["Subject"] = letter.subject
    message["Date"] = format_datetime(datetime(signed.year, signed.month, signed.day, 9, 0))
    message["Message-ID"] = f"<{letter.dossier}.{signed.isoformat()}@gen.invalid>"
    message.set_content(
        "\n\n".join([letter.greeting, *letter.body, letter.appeal, letter.signatory])
    )
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"{letter.dossier}.pdf"
    )
    message.set_boundary(f"gen-letter-{letter.dossier}")  # the same letter, the same bytes
    return bytes(message)


def mailing_csv(letters: Sequence[Letter]) -> str:
    """The mail-merge list: one row a letter, with its e-mail, subject and files."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["email", "name", "subject", "pdf", "markdown", "eml"])
    for letter in letters:
        writer.writerow(
            [
                letter.email,
                letter.name,
                letter.subject,
                f"{letter.dossier}.pdf",
                f"{letter.dossier}.md",
                f"{letter.dossier}.eml",
            ]
        )
    return buffer.getvalue()


#: Marks a folder of letters: private, so gen publish never writes there.
LETTERS_MARKER = ".gen-letters"


def letter_files(
    letters: Sequence[Letter],
    render_markdown: Any,
    typst_template: Path,
    sender: str,
    signed: date,
) -> dict[str, bytes]:
    """Every file of the letters folder: Markdown, PDF and e-mail a letter, the mailing list."""
    files: dict[str, bytes] = {
        LETTERS_MARKER: b"Decision letters written by gen letters: private, never published.\n",
        "mailing.csv": mailing_csv(letters).encode("utf-8"),
    }
    for letter in letters:
        pdf = letter_pdf(letter, typst_template)
        files[f"{letter.dossier}.md"] = render_markdown(letter).encode("utf-8")
        files[f"{letter.dossier}.pdf"] = pdf
        files[f"{letter.dossier}.eml"] = letter_email(letter, pdf, sender, signed)
    return files
