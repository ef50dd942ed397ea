"""The open data's description: a Frictionless Data Package, its labels and its licence (pure).

``datapackage.json`` describes each published CSV file with a Table Schema (types,
descriptions, units; SCDL's own schema for subventions.csv), the publisher, the licence
and the publication date, so that a re-user's tools read the data without guessing.
``libelles.csv`` gives the label of every code the data uses.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, get_args

from gen_cli.messages import MESSAGES
from gen_cli.models import Public
from gen_cli.publication import LAUREATE_FIELDS, Publication
from gen_cli.regions import REGIONS
from gen_cli.tableschema import scdl_schema

LABELS_FILE = "libelles.csv"
LABEL_FIELDS = ("type", "code", "libelle_fr", "libelle_en", "code_insee")

#: The target publics, in the order the format declares them.
_PUBLICS: tuple[str, ...] = get_args(Public)

#: The columns of laureats.csv: (type, description, extra Table Schema keys).
_LAUREATE_COLUMNS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "round": ("string", "The round (relevé) whose decision granted the project", {}),
    "id": ("string", "The project's id in the call; primary key", {"required": True}),
    "title": ("string", "The project's title", {}),
    "lead_name": ("string", "The lead organisation's name", {}),
    "lead_siret": (
        "string",
        "The lead organisation's SIRET (14 digits; annuaire-entreprises.data.gouv.fr)",
        {"pattern": "^[0-9]{14}$"},
    ),
    "region": ("string", "The lead's region, a code of libelles.csv (type region)", {}),
    "region_insee": ("string", "The region's INSEE code", {"pattern": "^[0-9]{2}$"}),
    "principal_theme": ("string", "The theme whose grid scored the project (libelles.csv)", {}),
    "themes": ("string", "The project's themes, codes separated by ';' (libelles.csv)", {}),
    "partners": ("string", "The partners' names, separated by ';'", {}),
    "granted": ("number", "The amount granted, in euros (two decimals)", {"minimum": 0}),
    "people_targeted": ("integer", "The number of people the project means to train", {}),
    "women_percent": ("number", "The share of women among them, in percent", {}),
    "publics": ("string", "The target publics, codes separated by ';' (libelles.csv)", {}),
    "start": ("date", "The project's start", {}),
    "end": ("date", "The project's end", {}),
    "decision_date": ("date", "The date of the grant decision", {}),
    "decision_reference": ("string", "The reference of the grant decision", {}),
}


def _laureate_schema() -> dict[str, Any]:
    fields = []
    for name in LAUREATE_FIELDS:
        kind, description, extra = _LAUREATE_COLUMNS[name]
        field: dict[str, Any] = {"name": name, "type": kind, "description": description}
        if name == "granted":
            field["unit"] = "EUR"
        if extra:
            field["constraints"] = dict(extra)
        fields.append(field)
    return {"fields": fields, "primaryKey": ["id"]}


def _label_schema() -> dict[str, Any]:
    descriptions = {
        "type": "What the code names: theme, region or public",
        "code": "The code, as the data files write it",
        "libelle_fr": "Its label in French",
        "libelle_en": "Its label in English",
        "code_insee": "For a region, its INSEE code",
    }
    return {
        "fields": [
            {"name": name, "type": "string", "description": descriptions[name]}
            for name in LABEL_FIELDS
        ],
        "primaryKey": ["type", "code"],
    }


def label_rows(publication: Publication) -> list[dict[str, str]]:
    """The label of every code the data uses: the call's themes, the regions, the publics."""
    rows = [
        {
            "type": "theme",
            "code": theme.id,
            "libelle_fr": theme.label.fr,
            "libelle_en": theme.label.en,
            "code_insee": "",
        }
        for theme in publication.call.themes
    ]
    rows += [
        {
            "type": "region",
            "code": slug,
            "libelle_fr": region.fr,
            "libelle_en": region.en,
            "code_insee": region.insee,
        }
        for slug, region in sorted(REGIONS.items())
    ]
    rows += [
        {
            "type": "public",
            "code": code,
            "libelle_fr": MESSAGES["fr"][code],
            "libelle_en": MESSAGES["en"][code],
            "code_insee": "",
        }
        for code in _PUBLICS
    ]
    return rows


def labels_csv(publication: Publication) -> str:
    """``libelles.csv``: one row a code."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(LABEL_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(label_rows(publication))
    return buffer.getvalue()


def _resource(name: str, path: str, title: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "title": title,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def data_package(publication: Publication, published: date | None) -> dict[str, Any]:
    """The Data Package of the published CSV files."""
    call = publication.call
    licence = call.publication.licence
    scdl = {k: v for k, v in scdl_schema().items() if k in {"fields", "missingValues"}}
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "laureats",
        "title": call.name.fr,
        "description": (
            f"Laureates and grants of « {call.name.fr} » ({call.funder.name}), "
            "as decided round by round."
        ),
        "licenses": [{"name": licence.id, "title": licence.title, "path": licence.url}],
        "contributors": [{"title": call.funder.name, "role": "publisher"}],
        "resources": [
            _resource(
                "laureats",
                "laureats.csv",
                "The laureate projects, one row each, by round then rank",
                _laureate_schema(),
            ),
            _resource(
                "subventions",
                "subventions.csv",
                "The grants in the national format SCDL « subventions » 2.1.1, one row a "
                "laureate, in the same order as laureats.csv",
                scdl,
            ),
            _resource(
                LABELS_FILE.removesuffix(".csv"),
                LABELS_FILE,
                "Labels of the codes",
                _label_schema(),
            ),
        ],
    }
    if published is not None:
        package["created"] = f"{published.isoformat()}T00:00:00Z"
    return package


def licence_text(publication: Publication, lang: str) -> str:
    """The LICENCE file: which licence the data is under, and where to read it."""
    licence = publication.call.publication.licence
    funder = publication.call.funder.name
    if lang == "fr":
        return (
            f"Les données et documents publiés ici par {funder} sont mis à disposition sous "
            f"la {licence.title}.\nTexte de la licence\u00a0: {licence.url}\n"
        )
    return (
        f"The data and documents published here by {funder} are made available under the "
        f"{licence.title}.\nThe licence: {licence.url}\n"
    )
