"""The jury's spreadsheet: a round's full ranking from its decision record, for the meeting.

Everything comes from the committed record (ranks, marks, points, statuses, grants) and
the call file (labels, grids, envelope); the dossiers give titles and leads. Reviewers'
names and comments are private: they appear only when asked (`private=True`), for the
secretariat. Amounts stay Decimal to the cell: xlsx stores them as written.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from gen_cli.errors import GenError
from gen_cli.models import Call, Dossier, Review

ZERO = Decimal(0)

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "summary": "Synthèse",
        "ranking": "Classement",
        "rank": "Rang",
        "dossier": "Dossier",
        "title": "Projet",
        "lead": "Porteur",
        "theme": "Thématique",
        "requested": "Montant demandé",
        "mark": "Note /20",
        "spread": "Écart max",
        "disagreement": "Désaccord",
        "eligibility": "Éligibilité",
        "status": "Statut calculé",
        "granted": "Montant accordé",
        "cumulative": "Cumul demandé",
        "envelope_line": "Enveloppe",
        "runs_out": "épuisée",
        "grades": "notes",
        "points": "points",
        "eligible": "éligible",
        "yes": "oui",
        "comments": "Commentaires (privé)",
        "round": "Relevé",
        "envelope": "Enveloppe",
        "available": "Disponible",
        "left": "Reste",
        "lapsed": "Réserves perdues",
        "amount": "Montant",
        "dossiers": "Dossiers",
        "count": "Nombre",
        "laureat": "Lauréat",
        "liste-complementaire": "Liste complémentaire",
        "non-retenu": "Non retenu",
        "ineligible": "Inéligible",
        "incomplet": "Incomplet",
        "desiste": "Désisté",
    },
    "en": {
        "summary": "Summary",
        "ranking": "Ranking",
        "rank": "Rank",
        "dossier": "Dossier",
        "title": "Project",
        "lead": "Lead",
        "theme": "Theme",
        "requested": "Requested",
        "mark": "Mark /20",
        "spread": "Max spread",
        "disagreement": "Disagreement",
        "eligibility": "Eligibility",
        "status": "Computed status",
        "granted": "Granted",
        "cumulative": "Cumulative requested",
        "envelope_line": "Envelope",
        "runs_out": "runs out",
        "grades": "grades",
        "points": "points",
        "eligible": "eligible",
        "yes": "yes",
        "comments": "Comments (private)",
        "round": "Round",
        "envelope": "Envelope",
        "available": "Available",
        "left": "Left",
        "lapsed": "Lapsed reserves",
        "amount": "Amount",
        "dossiers": "Dossiers",
        "count": "Count",
        "laureat": "Laureate",
        "liste-complementaire": "Waiting list",
        "non-retenu": "Not selected",
        "ineligible": "Ineligible",
        "incomplet": "Incomplete",
        "desiste": "Withdrawn",
    },
}

#: Kinds of column: how a cell is written and formatted.
TEXT, MONEY, NUMBER, INTEGER = "text", "money", "number", "integer"


@dataclass
class Sheet:
    """One table: a name, typed columns, and rows of cells (Decimal, int, str or None)."""

    name: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: list[list[Any]] = field(default_factory=list)
    marked: set[int] = field(default_factory=set)  # rows to highlight (the envelope line)


def jury_sheets(
    call: Call,
    round_id: str,
    record: dict[str, Any],
    dossiers: dict[str, Dossier],
    reviews: list[Review],
    lang: str = "fr",
    private: bool = False,
) -> list[Sheet]:
    """The summary, the whole ranking, and one sheet per theme, from a round's record."""
    w = WORDS[lang]
    themes = {t.id: getattr(t.label, lang) for t in call.themes}
    decisions: dict[str, dict[str, Any]] = record["decisions"]
    order = sorted(
        decisions,
        key=lambda i: (decisions[i].get("rank") is None, decisions[i].get("rank") or 0, i),
    )
    comments = _comments(reviews, round_id) if private else {}
    envelope = record.get("envelope", {})
    amount = Decimal(str(envelope.get("available", envelope.get("amount", "0"))))

    def common(ident: str) -> list[Any]:
        d = decisions[ident]
        dossier = dossiers.get(ident)
        return [
            d.get("rank"),
            ident,
            dossier.title if dossier else "",
            dossier.porteur.name if dossier else "",
            themes.get(d.get("theme", ""), d.get("theme", "")),
            _decimal(d.get("requested")),
        ]

    def tail(ident: str) -> list[Any]:
        d = decisions[ident]
        spreads = [_decimal(c.get("spread")) for c in d.get("criteria", {}).values()]
        known = [s for s in spreads if s is not None]
        ineligible = [r for r in d.get("reasons", []) if d.get("status") == "ineligible"]
        row = [
            _decimal(d.get("mark")),
            max(known) if known else None,
            w["yes"] if d.get("disagreements") else "",
            "; ".join(ineligible) if ineligible else w["eligible"],
            w.get(str(d.get("status")), str(d.get("status"))),
            _decimal(d.get("granted")) or ZERO,
        ]
        if private:
            row.append(" | ".join(comments.get(ident, [])))
        return row

    head = [
        (w["rank"], INTEGER),
        (w["dossier"], TEXT),
        (w["title"], TEXT),
        (w["lead"], TEXT),
        (w["theme"], TEXT),
        (w["requested"], MONEY),
    ]
    end = [
        (w["mark"], NUMBER),
        (w["spread"], NUMBER),
        (w["disagreement"], TEXT),
        (w["eligibility"], TEXT),
        (w["status"], TEXT),
        (w["granted"], MONEY),
    ] + ([(w["comments"], TEXT)] if private else [])

    ranking = Sheet(
        w["ranking"], [*head, *end, (w["cumulative"], MONEY), (w["envelope_line"], TEXT)]
    )
    cumulative, ran_out = ZERO, False
    for index, ident in enumerate(order):
        d = decisions[ident]
        competes = d.get("rank") is not None
        if competes:
            cumulative += _decimal(d.get("requested")) or ZERO
        line = ""
        if competes and cumulative > amount and not ran_out:
            ran_out, line = True, w["runs_out"]
            ranking.marked.add(index)
        ranking.rows.append([*common(ident), *tail(ident), cumulative if competes else None, line])

    sheets = [_summary(round_id, record, w, themes), ranking]
    for theme in call.themes:
        grid = call.grids.get(theme.id)
        criteria = list(grid.criteria) if grid else []
        columns = [*head]
        for c in criteria:
            label = getattr(c.label, lang)
            columns += [(f"{label} ({w['grades']})", TEXT), (f"{label} ({w['points']})", NUMBER)]
        name = _sheet_name(themes[theme.id])
        taken = {s.name.casefold() for s in sheets}
        for n in range(2, 100):
            if name.casefold() not in taken:
                break
            name = f"{name[:27]} {n}"
        sheet = Sheet(name, [*columns, *end])
        for ident in order:
            d = decisions[ident]
            if d.get("theme") != theme.id:
                continue
            cells: list[Any] = []
            for c in criteria:
                part = d.get("criteria", {}).get(c.id, {})
                grades = part.get("grades")
                cells += [
                    " ; ".join(_shown(g, lang) for g in grades) if grades else "",
                    _decimal(part.get("points")),
                ]
            sheet.rows.append([*common(ident), *cells, *tail(ident)])
        sheets.append(sheet)
    return sheets


def _summary(
    round_id: str,
    record: dict[str, Any],
    w: dict[str, str],
    themes: dict[str, str],
) -> Sheet:
    envelope = record.get("envelope", {})
    totals = record.get("totals", {})
    sheet = Sheet(
        w["summary"],
        [(f"{w['round']} {round_id}", TEXT), (w["amount"], MONEY), (w["count"], INTEGER)],
    )
    for key in ("amount", "available", "granted", "left", "lapsed"):
        sheet.rows.append(
            [w["envelope" if key == "amount" else key], _decimal(envelope.get(key)), None]
        )
    sheet.rows.append([w["requested"], _decimal(totals.get("requested")), totals.get("dossiers")])
    for status, n in sorted(totals.get("statuses", {}).items()):
        sheet.rows.append([w.get(status, status), None, n])
    for theme_id, label in themes.items():
        mine = [d for d in record["decisions"].values() if d.get("theme") == theme_id]
        granted = sum((_decimal(d.get("granted")) or ZERO for d in mine), ZERO)
        sheet.rows.append([label, granted, len(mine)])
    return sheet


def _comments(reviews: list[Review], round_id: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for review in sorted(reviews, key=lambda r: r.reviewer):
        if review.round != round_id:
            continue
        for ident, evaluation in sorted(review.evaluations.items()):
            if evaluation.comment:
                found.setdefault(ident, []).append(f"{review.reviewer}: {evaluation.comment}")
    return found


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _shown(value: Any, lang: str) -> str:
    text = str(value)
    return text.replace(".", ",") if lang == "fr" else text


def _sheet_name(label: str) -> str:
    # Excel limits a sheet's name to 31 characters, without []:*?/\
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in label).strip()
    if len(cleaned) <= 31:
        return cleaned or "?"
    return cleaned[:30].rsplit(" ", 1)[0] + "…"


def write_xlsx(path: Path, sheets: list[Sheet], created: datetime) -> None:
    """Write the sheets as an xlsx workbook; the same sheets give the same bytes."""
    path.write_bytes(xlsx_bytes(sheets, created))


def xlsx_bytes(sheets: list[Sheet], created: datetime) -> bytes:
    """The sheets as an xlsx workbook, in memory; the same sheets give the same bytes.

    Text is always text: a cell that looks like a formula, a number or a link stays as written.
    """
    import xlsxwriter  # a heavy import, for the commands that write spreadsheets only

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    book.set_properties({"created": created})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
    formats = {
        MONEY: book.add_format({"num_format": '#,##0.00\\ "€"'}),
        NUMBER: book.add_format({"num_format": "0.00"}),
        INTEGER: book.add_format({"num_format": "0"}),
        TEXT: book.add_format({}),
    }
    marked = {
        kind: book.add_format({**props, "bg_color": "#FCE4D6", "bold": True})
        for kind, props in (
            (MONEY, {"num_format": '#,##0.00\\ "€"'}),
            (NUMBER, {"num_format": "0.00"}),
            (INTEGER, {"num_format": "0"}),
            (TEXT, {}),
        )
    }
    for sheet in sheets:
        page = book.add_worksheet(sheet.name)
        widths = [len(title) for title, _ in sheet.columns]
        for col, (title, _) in enumerate(sheet.columns):
            page.write_string(0, col, title, header)
        for r, row in enumerate(sheet.rows, start=1):
            for col, value in enumerate(row):
                kind = sheet.columns[col][1] if col < len(sheet.columns) else TEXT
                style = (marked if r - 1 in sheet.marked else formats)[kind]
                if value is None:
                    page.write_blank(r, col, None, style)
                elif isinstance(value, Decimal | int) and not isinstance(value, bool):
                    page.write_number(r, col, value, style)
                    widths[col] = max(widths[col], len(f"{value:,.2f}") + 2)
                else:
                    page.write_string(r, col, str(value), style)
                    widths[col] = max(widths[col], min(len(str(value)), 60))
        for col, width in enumerate(widths):
            page.set_column(col, col, min(max(width, 6), 60) + 1)
        page.freeze_panes(1, 0)
        page.autofilter(0, 0, max(len(sheet.rows), 1), max(len(sheet.columns) - 1, 0))
    book.close()
    return buffer.getvalue()


def csv_text(sheet: Sheet, lang: str = "fr") -> str:
    """One sheet as CSV for a French spreadsheet: semicolons, decimal commas, a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if lang == "fr" else ",", lineterminator="\r\n")
    writer.writerow([title for title, _ in sheet.columns])
    for row in sheet.rows:
        writer.writerow(
            ["" if v is None else _shown(v, lang) if isinstance(v, Decimal) else v for v in row]
        )
    return "\ufeff" + buffer.getvalue()


def write_export(
    path: Path, sheets: list[Sheet], fmt: str, lang: str, day: date, force: bool = False
) -> None:
    """Write the spreadsheet under a fresh name, then rename it into place.

    Raises:
        GenError: the file exists (and ``force`` is not given), is a link, or cannot be written.
    """
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise GenError(f"refusing to write {path}: it is a link or a folder")
    if path.exists() and not force:
        raise GenError(f"{path} exists: give --force to replace it, or another --out")
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(handle)
        temporary = Path(name)
        if fmt == "csv":
            temporary.write_text(csv_text(sheets[1], lang), encoding="utf-8", newline="")
        else:
            write_xlsx(temporary, sheets, datetime(day.year, day.month, day.day, tzinfo=UTC))
        temporary.chmod(0o600)  # it may hold what only the secretariat may read
        temporary.replace(path)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise GenError(f"cannot write {path}: {error.strerror}") from None
