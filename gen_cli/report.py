"""Plain-text renderings for the terminal: the ranking table and a dossier explained."""

from __future__ import annotations

from decimal import Decimal

from gen_cli.rounds import ScoredRound


def money(value: Decimal) -> str:
    """An amount for the terminal: ``38,000.00 EUR``."""
    return f"{value:,.2f} EUR"


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def ranking(scored: ScoredRound) -> str:
    """The round's ranking table and its envelope, as text."""
    result = scored.result
    outcome = result.outcome
    rows = [
        [
            str(d.rank) if d.rank is not None else "-",
            d.evaluated.dossier.id,
            d.evaluated.dossier.principal_theme,
            str(d.evaluated.mark) if d.evaluated.mark is not None else "-",
            f"{d.evaluated.dossier.budget.requested:,.2f}",
            f"{d.granted:,.2f}",
            d.status,
        ]
        for d in outcome.decisions
    ]
    lines = [f"Round {result.round.id}", ""]
    lines += _table(
        ["rank", "dossier", "theme", "mark/20", "requested", "granted", "status"],
        rows,
        {0, 3, 4, 5},
    )
    laureates = sum(1 for d in outcome.decisions if d.status == "laureat")
    lines += [
        "",
        f"{laureates} laureate(s) of {len(outcome.decisions)} dossier(s); "
        f"envelope {money(outcome.envelope)}: granted {money(outcome.granted)}, "
        f"left {money(outcome.envelope - outcome.granted)}",
        f"call budget left after this round: {money(result.available - outcome.granted)}",
    ]
    if outcome.lapsed:
        lines.append(f"reserved theme shares lapsed: {money(outcome.lapsed)}")
    if result.excluded:
        lines.append(
            "reviews excluded for a conflict of interest: "
            + ", ".join(f"{e.reviewer} on {e.dossier} ({e.reason})" for e in result.excluded)
        )
    if result.uncalibrated:
        lines.append(
            "reviewers left uncalibrated (too few grades): " + ", ".join(result.uncalibrated)
        )
    return "\n".join(lines)
