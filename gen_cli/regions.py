"""The 18 regions of France (since 2016), by slug, with INSEE code and names."""

from __future__ import annotations

from typing import Literal, NamedTuple


class Region(NamedTuple):
    """One region: its INSEE code and its names in French and English."""

    insee: str
    fr: str
    en: str


REGIONS: dict[str, Region] = {
    "auvergne-rhone-alpes": Region("84", "Auvergne-Rhône-Alpes", "Auvergne-Rhône-Alpes"),
    "bourgogne-franche-comte": Region("27", "Bourgogne-Franche-Comté", "Bourgogne-Franche-Comté"),
    "bretagne": Region("53", "Bretagne", "Brittany"),
    "centre-val-de-loire": Region("24", "Centre-Val de Loire", "Centre-Val de Loire"),
    "corse": Region("94", "Corse", "Corsica"),
    "grand-est": Region("44", "Grand Est", "Grand Est"),
    "guadeloupe": Region("01", "Guadeloupe", "Guadeloupe"),
    "guyane": Region("03", "Guyane", "French Guiana"),
    "hauts-de-france": Region("32", "Hauts-de-France", "Hauts-de-France"),
    "ile-de-france": Region("11", "Île-de-France", "Île-de-France"),
    "la-reunion": Region("04", "La Réunion", "Réunion"),
    "martinique": Region("02", "Martinique", "Martinique"),
    "mayotte": Region("06", "Mayotte", "Mayotte"),
    "normandie": Region("28", "Normandie", "Normandy"),
    "nouvelle-aquitaine": Region("75", "Nouvelle-Aquitaine", "Nouvelle-Aquitaine"),
    "occitanie": Region("76", "Occitanie", "Occitania"),
    "pays-de-la-loire": Region("52", "Pays de la Loire", "Pays de la Loire"),
    "provence-alpes-cote-d-azur": Region(
        "93", "Provence-Alpes-Côte d'Azur", "Provence-Alpes-Côte d'Azur"
    ),
}

RegionSlug = Literal[
    "auvergne-rhone-alpes",
    "bourgogne-franche-comte",
    "bretagne",
    "centre-val-de-loire",
    "corse",
    "grand-est",
    "guadeloupe",
    "guyane",
    "hauts-de-france",
    "ile-de-france",
    "la-reunion",
    "martinique",
    "mayotte",
    "normandie",
    "nouvelle-aquitaine",
    "occitanie",
    "pays-de-la-loire",
    "provence-alpes-cote-d-azur",
]
