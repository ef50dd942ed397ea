"""Make the map of France's regions that gen publish draws: SVG paths, a few tens of KB.

The geometry is IGN's GEOFLA (2016) as converted to GeoJSON and simplified by Grégoire
David's france-geojson (``regions-avec-outre-mer.geojson``), under the Licence Ouverte.
gen never fetches it: this script turns a local copy into gen_cli/data/map/regions.json,
which is committed with its source and licence (gen_cli/data/map/README.md).

    python scripts/make_regions_map.py regions-avec-outre-mer.geojson

Metropolitan France (with Corsica) is drawn in one frame, projected at its mean latitude;
each overseas region in an inset of its own, as French maps do. Outlines are simplified
(Douglas-Peucker) and islets below a few pixels are dropped; coordinates are integers.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_cli.regions import REGIONS

OUT = Path(__file__).resolve().parent.parent / "gen_cli" / "data" / "map" / "regions.json"
OVERSEAS = ["guadeloupe", "martinique", "guyane", "la-reunion", "mayotte"]
MAIN = (120, 0, 480, 480)  # x, y, width, height of metropolitan France
INSET = 96  # the side of an overseas region's box, stacked on the left
TOLERANCE = 1.2  # pixels
MIN_AREA = 6.0  # square pixels: smaller islets are dropped


Ring = list[tuple[float, float]]


def _rings(geometry: dict) -> list[Ring]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [[(x, y) for x, y in polygon[0]] for polygon in polygons]  # outer rings only


def _project(rings: list[Ring], latitude: float) -> list[Ring]:
    scale = math.cos(math.radians(latitude))
    return [[(lon * scale, -lat) for lon, lat in ring] for ring in rings]


def _fit(rings_by_region: dict[str, list[Ring]], box: tuple[int, int, int, int]) -> None:
    points = [p for rings in rings_by_region.values() for ring in rings for p in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x, y, width, height = box
    scale = min(width / (max(xs) - min(xs)), height / (max(ys) - min(ys)))
    left = x + (width - (max(xs) - min(xs)) * scale) / 2
    top = y + (height - (max(ys) - min(ys)) * scale) / 2
    for region, rings in rings_by_region.items():
        rings_by_region[region] = [
            [(left + (px - min(xs)) * scale, top + (py - min(ys)) * scale) for px, py in ring]
            for ring in rings
        ]


def _simplified(ring: Ring) -> Ring:
    if len(ring) < 4:
        return ring
    start, end = ring[0], ring[-1]
    far, index = 0.0, 0
    for i in range(1, len(ring) - 1):
        distance = _distance(ring[i], start, end)
        if distance > far:
            far, index = distance, i
    if far <= TOLERANCE:
        return [start, end]
    return _simplified(ring[: index + 1])[:-1] + _simplified(ring[index:])


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    if a == b:
        return math.dist(p, a)
    (x, y), (x1, y1), (x2, y2) = p, a, b
    return abs((y2 - y1) * x - (x2 - x1) * y + x2 * y1 - y2 * x1) / math.dist(a, b)


def _area(ring: Ring) -> float:
    return (
        abs(
            sum(
                x1 * y2 - x2 * y1
                for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
            )
        )
        / 2
    )


def _path(rings: list[Ring]) -> str:
    parts = []
    for ring in rings:
        half = len(ring) // 2  # split a closed ring so both halves keep their ends
        points = _simplified(ring[: half + 1])[:-1] + _simplified(ring[half:])
        points = [(round(x), round(y)) for x, y in points]
        points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
        if len(points) >= 3 and _area(points) >= MIN_AREA:
            parts.append("M" + "L".join(f"{x} {y}" for x, y in points) + "Z")
    return "".join(parts)


def main() -> None:
    """Read the GeoJSON, write regions.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("geojson", type=Path)
    args = parser.parse_args()
    features = json.loads(args.geojson.read_text(encoding="utf-8"))["features"]
    slug_of = {region.insee: slug for slug, region in REGIONS.items()}
    rings = {slug_of[f["properties"]["code"]]: _rings(f["geometry"]) for f in features}
    main_regions = {s: _project(r, 46.5) for s, r in rings.items() if s not in OVERSEAS}
    _fit(main_regions, MAIN)
    insets = []
    for index, slug in enumerate(OVERSEAS):
        latitude = sum(lat for ring in rings[slug] for _, lat in ring) / sum(
            len(ring) for ring in rings[slug]
        )
        one = {slug: _project(rings[slug], latitude)}
        box = (4, 4 + index * (INSET + 2), INSET - 8, INSET - 8)
        _fit(one, box)
        main_regions.update(one)
        insets.append({"region": slug, "x": 0, "y": index * (INSET + 2), "size": INSET})
    document = {
        "source": "IGN GEOFLA 2.2 (2016), via github.com/gregoiredavid/france-geojson "
        "(regions-avec-outre-mer.geojson), simplified by scripts/make_regions_map.py",
        "licence": "Licence Ouverte / Open Licence (Etalab)",
        "viewBox": f"0 0 {MAIN[0] + MAIN[2]} {max(MAIN[3], len(OVERSEAS) * (INSET + 2))}",
        "insets": insets,
        "regions": {slug: _path(main_regions[slug]) for slug in sorted(main_regions)},
    }
    OUT.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
