"""One decision explained to the person it concerns, from the committed decision record.

`gen show` reads what was decided (the record), not what the files would give today, and
says it in the call's language: labels instead of ids, each criterion's scale and weight,
the threshold, the mark and the rank, how many reviews counted and how many were set aside
for a conflict of interest (never by whom), the place on the waiting list, and in plain
words what decided the outcome: the envelope, a threshold, a tie-break, the jury.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gen_cli.formatting import money, number, round_name
from gen_cli.models import Call, Dossier, ReviewCriterion

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "dossier": "Dossier",
        "theme": "thématique principale",
        "lead": "porteur",
        "requested": "Montant demandé",
        "total_cost": "coût total",
        "decision": "Décision",
        "laureat": "lauréat",
        "liste-complementaire": "liste complémentaire",
        "non-retenu": "non retenu",
        "ineligible": "inéligible",
        "incomplet": "incomplet",
        "desiste": "désisté",
        "granted": "subvention accordée",
        "place": "{n} position",
        "ranked": "Classé {rank} sur {ranked} dossiers classés, {in_theme} de sa thématique.",
        "funded": "La demande tenait dans l’enveloppe restante du relevé.",
        "partial": "La subvention est partielle\u00a0: {granted} sur {requested} demandés.",
        "envelope": "L’enveloppe restante ({left}) ne couvrait pas la demande de {requested}.",
        "theme_envelope": "L’enveloppe de la thématique ({left} restants) ne couvrait pas la "
        "demande de {requested}.",
        "stopped": "La sélection s’est arrêtée au {rank}e dossier classé, qui ne tenait pas "
        "dans l’enveloppe.",
        "beyond_list": "La liste complémentaire était déjà complète.",
        "threshold": "La note {mark} est sous le seuil de {threshold} sur 20\u00a0: le dossier n’est "
        "pas classé.",
        "minimum": "{criterion}\u00a0: {value} est sous le minimum de {minimum}\u00a0: le dossier n’est "
        "pas classé.",
        "ineligible_rule": "Le dossier ne remplit pas une condition d’éligibilité\u00a0: {message}",
        "incomplete_why": "Le dossier n’a pas pu être noté\u00a0: {why}.",
        "no_grade": "aucune note pour le critère «\u00a0{criterion}\u00a0»",
        "too_few": "{got} évaluation(s) pour {needed} requises",
        "tie": "À égalité de note ({mark}) avec {others}\u202f; départagé par {key}.",
        "tie_other": "un autre dossier",
        "tie_others": "{n} autres dossiers",
        "key_requested": "le montant demandé (le plus faible passe devant)",
        "key_submitted": "la date de dépôt (la plus ancienne passe devant)",
        "key_id": "l’identifiant du dossier (ordre alphabétique)",
        "key_criterion": "les points du critère «\u00a0{label}\u00a0» (le plus de points passe devant)",
        "jury": "Le jury s’est écarté du classement calculé ({computed})\u00a0: {why}",
        "conditions": "Conditions\u00a0: {conditions}",
        "withdrawn": "Le porteur a renoncé le {date}\u00a0: {reason}",
        "promoted": "Promu de la liste complémentaire après le désistement d’un lauréat.",
        "mark": "Note\u00a0: {mark} / 20, sur {reviews} évaluation(s)",
        "excluded": " ({n} écartée(s) pour conflit d’intérêts)",
        "no_mark": "Pas de note\u00a0: le dossier n’a pas concouru.",
        "criterion": "{label}\u00a0: {value} / {scale} → {points} points sur {out_of}",
        "indicator": "{label} (indicateur)\u00a0: {value} → {points} points sur {out_of}",
        "threshold_line": "Seuil de classement\u00a0: {threshold} / 20.",
        "stale": "Les fichiers ont changé depuis la décision enregistrée\u00a0: voici la décision "
        "enregistrée (gen show --recompute montre ce que donneraient les fichiers).",
        "recomputed": "Calcul à partir des fichiers actuels, qui diffèrent de la décision "
        "enregistrée\u00a0: ce n’est pas la décision.",
        "unscored": "Aucune décision n’est encore enregistrée pour ce relevé\u00a0: voici ce que "
        "donnent les fichiers actuels.",
    },
    "en": {
        "dossier": "Dossier",
        "theme": "principal theme",
        "lead": "lead",
        "requested": "Requested",
        "total_cost": "total cost",
        "decision": "Decision",
        "laureat": "laureate",
        "liste-complementaire": "waiting list",
        "non-retenu": "not selected",
        "ineligible": "ineligible",
        "incomplet": "incomplete",
        "desiste": "withdrawn",
        "granted": "grant",
        "place": "{n} in line",
        "ranked": "Ranked {rank} of {ranked} ranked dossiers, {in_theme} in its theme.",
        "funded": "The request fitted in what was left of the round's envelope.",
        "partial": "The grant is partial: {granted} of the {requested} requested.",
        "envelope": "What was left of the envelope ({left}) did not cover the request of "
        "{requested}.",
        "theme_envelope": "What was left of the theme's envelope ({left}) did not cover the "
        "request of {requested}.",
        "stopped": "The selection stopped at ranked dossier {rank}, which did not fit.",
        "beyond_list": "The waiting list was already full.",
        "threshold": "The mark {mark} is below the threshold of {threshold} out of 20: the "
        "dossier is not ranked.",
        "minimum": "{criterion}: {value} is below the minimum of {minimum}: the dossier is not "
        "ranked.",
        "ineligible_rule": "The dossier does not meet an eligibility condition: {message}",
        "incomplete_why": "The dossier could not be marked: {why}.",
        "no_grade": "no grade for criterion “{criterion}”",
        "too_few": "{got} review(s) of the {needed} required",
        "tie": "Tied on the mark ({mark}) with {others}; decided by {key}.",
        "tie_other": "another dossier",
        "tie_others": "{n} other dossiers",
        "key_requested": "the amount requested (the smaller comes first)",
        "key_submitted": "the date of submission (the earlier comes first)",
        "key_id": "the dossier's id (alphabetical order)",
        "key_criterion": "the points of criterion “{label}” (more points come first)",
        "jury": "The jury departed from the computed ranking ({computed}): {why}",
        "conditions": "Conditions: {conditions}",
        "withdrawn": "The applicant withdrew on {date}: {reason}",
        "promoted": "Promoted from the waiting list after a laureate withdrew.",
        "mark": "Mark: {mark} / 20, from {reviews} review(s)",
        "excluded": " ({n} set aside for a conflict of interest)",
        "no_mark": "No mark: the dossier did not compete.",
        "criterion": "{label}: {value} / {scale} → {points} points out of {out_of}",
        "indicator": "{label} (indicator): {value} → {points} points out of {out_of}",
        "threshold_line": "Ranking threshold: {threshold} / 20.",
        "stale": "The files have changed since the recorded decision: this is the recorded "
        "decision (gen show --recompute shows what the files would give).",
        "recomputed": "Computed from the files as they are now, which differ from the recorded "
        "decision: this is not the decision.",
        "unscored": "No decision is recorded for this round yet: this is what the files give now.",
    },
}

_ENVELOPE = re.compile(r"envelope exhausted at rank (\d+) \(([-\d.]+) left, ([\d.]+) requested\)")
_THEME = re.compile(r"theme \S+ envelope exhausted \(([-\d.]+) left\) at rank (\d+)")
_STOPPED = re.compile(r"selection stopped at rank (\d+)")
_THRESHOLD = re.compile(r"mark ([\d.]+) below the threshold ([\d.]+)")
_MINIMUM = re.compile(r"(\S+) ([\d.]+) below its minimum ([\d.]+)")
_NO_GRADE = re.compile(r"no grade for criterion (\S+)")
_TOO_FEW = re.compile(r"(\d+) review\(s\), (\d+) required")


@dataclass
class Explanation:
    """What `gen show` says about one dossier: lines of text, and the same as data."""

    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def explain_record(
    call: Call,
    round_id: str,
    record: dict[str, Any],
    dossier: Dossier,
    lang: str = "fr",
    note: str | None = None,
) -> Explanation:
    """Explain one dossier's decision from a round's record, in ``lang``.

    Args:
        note: "stale" or "recomputed", to say where the decision shown comes from.
    """
    w = WORDS[lang]
    decisions: dict[str, dict[str, Any]] = record["decisions"]
    mine = decisions[dossier.id]
    status = str(mine["status"])
    themes = {t.id: getattr(t.label, lang) for t in call.themes}
    theme = str(mine.get("theme", dossier.principal_theme))

    def amount(value: Any) -> str:
        return money(Decimal(str(value)), lang)

    def decimal(value: Any) -> str:
        text = f"{Decimal(str(value)):.2f}"
        return text.replace(".", ",") if lang == "fr" else text

    out = Explanation()
    if note:
        out.lines += [w[note], ""]
    out.lines += [
        f"{w['dossier']} {dossier.id} — {dossier.title}",
        f"{round_name(call, call.round(round_id), lang)} · {w['theme']}"
        f"{_colon(lang)}{themes.get(theme, theme)} · {w['lead']}{_colon(lang)}"
        f"{dossier.porteur.name}",
        f"{w['requested']}{_colon(lang)}{amount(mine['requested'])} "
        f"({w['total_cost']} {amount(dossier.budget.total_cost)})",
        "",
    ]
    heading = f"{w['decision']}{_colon(lang)}{w[status]}"
    if status == "laureat":
        heading += f", {w['granted']} {amount(mine['granted'])}"
    if status == "liste-complementaire":
        place = _waiting_place(decisions, dossier.id)
        heading += ", " + w["place"].format(n=_ordinal(place, lang, feminine=True))
    out.lines.append(heading)

    ranked = sorted((d for d in decisions.values() if d.get("rank")), key=lambda d: d["rank"])
    rank = mine.get("rank")
    if rank:
        same_theme = [d for d in ranked if d.get("theme") == theme]
        in_theme = 1 + sum(1 for d in same_theme if d["rank"] < rank)
        out.lines.append(
            w["ranked"].format(
                rank=_ordinal(rank, lang),
                ranked=len(ranked),
                in_theme=_ordinal(in_theme, lang),
            )
        )
    out.lines += _why(mine, status, call, lang, w, amount, decimal)
    tie = _tie(call, mine, dossier.id, ranked, lang, w, decimal)
    if tie:
        out.lines.append(tie)
    computed = mine.get("computed")
    jury = mine.get("jury")
    if isinstance(jury, dict) and isinstance(computed, dict):
        out.lines.append(
            w["jury"].format(computed=w[str(computed["status"])], why=jury["justification"])
        )
        if jury.get("conditions"):
            out.lines.append(w["conditions"].format(conditions=jury["conditions"]))
    withdrawn = mine.get("withdrawn")
    if isinstance(withdrawn, dict):
        out.lines.append(w["withdrawn"].format(date=withdrawn["date"], reason=withdrawn["reason"]))
    if mine.get("promoted"):
        out.lines.append(w["promoted"])

    out.lines.append("")
    excluded = sum(1 for e in record.get("excluded_reviews", []) if e.get("dossier") == dossier.id)
    if mine.get("mark") is not None and status not in {"ineligible", "incomplet"}:
        line = w["mark"].format(mark=decimal(mine["mark"]), reviews=mine.get("reviews", 0))
        out.lines.append(line + (w["excluded"].format(n=excluded) if excluded else ""))
        out.lines += _criteria(call, theme, mine, lang, w, decimal)
        out.lines.append(w["threshold_line"].format(threshold=decimal(call.scoring.threshold)))
    else:
        out.lines.append(w["no_mark"])
    out.data = {
        "dossier": dossier.id,
        "round": round_id,
        "status": status,
        "rank": rank,
        "granted": mine.get("granted"),
        "requested": mine.get("requested"),
        "mark": mine.get("mark") if status not in {"ineligible", "incomplet"} else None,
        "reviews": mine.get("reviews"),
        "reviews_set_aside": excluded,
        "waiting_list_place": _waiting_place(decisions, dossier.id)
        if status == "liste-complementaire"
        else None,
        "lines": [line for line in out.lines if line],
        "source": note or "record",
    }
    return out


def _ordinal(n: int, lang: str, feminine: bool = False) -> str:
    if lang == "fr":
        return ("1re" if feminine else "1er") if n == 1 else f"{n}e"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _colon(lang: str) -> str:
    return "\u00a0: " if lang == "fr" else ": "


def _waiting_place(decisions: dict[str, dict[str, Any]], ident: str) -> int:
    waiting = sorted(
        (d["rank"], i) for i, d in decisions.items() if d["status"] == "liste-complementaire"
    )
    return 1 + [i for _, i in waiting].index(ident)


def _why(
    mine: dict[str, Any],
    status: str,
    call: Call,
    lang: str,
    w: dict[str, str],
    amount: Any,
    decimal: Any,
) -> list[str]:
    lines: list[str] = []
    reasons = [str(r) for r in mine.get("reasons", [])]
    if status == "laureat" and not mine.get("computed"):
        lines.append(w["funded"])
        if Decimal(str(mine["granted"])) < Decimal(str(mine["requested"])):
            lines.append(
                w["partial"].format(
                    granted=amount(mine["granted"]), requested=amount(mine["requested"])
                )
            )
    if status == "ineligible":
        messages = {r.id: getattr(r, "message", "") for r in call.eligibility}
        for reason in reasons:
            rule = reason.split(":", 1)[0]
            lines.append(w["ineligible_rule"].format(message=messages.get(rule) or reason))
    criteria = _labels(call, lang)
    if status == "incomplet":
        for reason in reasons:
            if found := _NO_GRADE.search(reason):
                label = criteria.get(found.group(1), found.group(1))
                why = w["no_grade"].format(criterion=label)
            elif found := _TOO_FEW.search(reason):
                why = w["too_few"].format(got=found.group(1), needed=found.group(2))
            else:
                why = reason
            lines.append(w["incomplete_why"].format(why=why))
    for reason in reasons:
        if status in {"laureat", "ineligible", "incomplet", "desiste"}:
            break
        if found := _ENVELOPE.search(reason):
            lines.append(
                w["envelope"].format(left=amount(found.group(2)), requested=amount(found.group(3)))
            )
        elif found := _THEME.search(reason):
            lines.append(
                w["theme_envelope"].format(
                    left=amount(found.group(1)), requested=amount(mine["requested"])
                )
            )
        elif found := _STOPPED.search(reason):
            lines.append(w["stopped"].format(rank=found.group(1)))
        elif found := _THRESHOLD.search(reason):
            lines.append(
                w["threshold"].format(
                    mark=decimal(found.group(1)), threshold=decimal(found.group(2))
                )
            )
        elif found := _MINIMUM.search(reason):
            lines.append(
                w["minimum"].format(
                    criterion=criteria.get(found.group(1), found.group(1)),
                    value=decimal(found.group(2)),
                    minimum=decimal(found.group(3)),
                )
            )
    if status == "non-retenu" and mine.get("rank"):
        lines.append(w["beyond_list"])
    return lines


def _labels(call: Call, lang: str) -> dict[str, str]:
    return {c.id: getattr(c.label, lang) for grid in call.grids.values() for c in grid.criteria}


def _tie(
    call: Call,
    mine: dict[str, Any],
    ident: str,
    ranked: list[dict[str, Any]],
    lang: str,
    w: dict[str, str],
    decimal: Any,
) -> str | None:
    if not mine.get("rank"):
        return None
    tied = [d for d in ranked if d["mark"] == mine["mark"] and d is not mine]
    if not tied:
        return None
    others = w["tie_other"] if len(tied) == 1 else w["tie_others"].format(n=len(tied))
    # The first tie-break key on which the dossier and those it tied with differ.
    labels = _labels(call, lang)
    key = w["key_id"]
    for name in call.scoring.tie_break:
        if name.startswith("criterion:"):
            criterion = name.removeprefix("criterion:")

            def points(d: dict[str, Any], criterion: str = criterion) -> Any:
                return d.get("criteria", {}).get(criterion, {}).get("points")

            if any(points(d) != points(mine) for d in tied):
                key = w["key_criterion"].format(label=labels.get(criterion, criterion))
                break
        elif name == "requested" and any(d["requested"] != mine["requested"] for d in tied):
            key = w["key_requested"]
            break
        elif name == "submitted":
            key = w["key_submitted"]
            break
    return w["tie"].format(mark=decimal(mine["mark"]), others=others, key=key)


def _criteria(
    call: Call, theme: str, mine: dict[str, Any], lang: str, w: dict[str, str], decimal: Any
) -> list[str]:
    grid = call.grids.get(theme)
    if grid is None:
        return []
    total = sum((c.weight for c in grid.criteria), Decimal(0))
    lines = []
    for criterion in grid.criteria:
        part = mine.get("criteria", {}).get(criterion.id)
        if part is None:
            continue
        out_of = decimal(criterion.weight / total * 20)
        label = getattr(criterion.label, lang)
        value = part.get("value")
        shown = "—" if value is None else decimal(value)
        if isinstance(criterion, ReviewCriterion):
            lines.append(
                "  "
                + w["criterion"].format(
                    label=label,
                    value=shown,
                    scale=number(criterion.scale.max, lang),
                    points=decimal(part["points"]),
                    out_of=out_of,
                )
            )
        else:
            lines.append(
                "  "
                + w["indicator"].format(
                    label=label, value=shown, points=decimal(part["points"]), out_of=out_of
                )
            )
    return lines
