"""Checks a saved figure for print legibility, reading the SVG file as written.

A figure passes when, at its print width, every piece of text is at least
:data:`MIN_PT` points, no two pieces of text overlap, and no text reaches outside the
canvas. The print width is the one the figure was drawn for (:data:`PRINT_WIDTHS`:
84 mm for one journal column, 170 mm for the full text width of an A4 page with 2 cm
margins, the manuscript's page, which is also within the 174 mm of a double column), and
:func:`compendium.reporting.figures.save` writes it into the SVG's description. The
checker scales the SVG canvas to that width, so text drawn at 7 pt on a canvas wider than
its print width fails.

Each ``<text>`` element of an SVG written with ``svg.fonttype: none`` is one line of
text: its baseline anchor (``x``, ``y``), its horizontal anchor (``text-anchor``), its
rotation (``transform``) and its font size. Its box is measured with matplotlib's own
font metrics, unhinted as a browser or PDF viewer sets them (``matplotlib.textpath``,
in points, the SVG canvas's unit), ink extent above and below the baseline, and placed
as an oriented rectangle; two boxes overlap when no separating axis divides them (the
separating axis theorem; Gottschalk, Lin & Manocha 1996, "OBBTree", SIGGRAPH), after each has been shrunk by
:data:`TOLERANCE_PT` so that touching boxes pass.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

MM_PER_INCH = 25.4
PRINT_WIDTHS = {"single": 84.0, "double": 170.0}  # mm
MIN_PT = 7.0
TOLERANCE_PT = 0.3
SVG = "{http://www.w3.org/2000/svg}"
PRINT_WIDTH_RE = re.compile(r"print width ([0-9.]+) mm")


class FigureCheckError(ValueError):
    """A saved figure breaks a print rule; the message names the file and every problem."""


@dataclass(frozen=True)
class TextBox:
    """One line of text as saved: its string, font size (pt at canvas scale) and corners."""

    text: str
    size: float
    corners: tuple[tuple[float, float], ...]

    def bounds(self) -> tuple[float, float, float, float]:
        xs = [c[0] for c in self.corners]
        ys = [c[1] for c in self.corners]
        return min(xs), min(ys), max(xs), max(ys)


def _length(value: str) -> float:
    return float(re.sub(r"(pt|px)$", "", value.strip()))


def _style(element) -> dict[str, str]:
    style = {}
    for part in (element.get("style") or "").split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            style[key.strip()] = value.strip()
    return style


def _measure(text: str, size: float, family: str, weight: str, style: str) -> tuple[float, float, float]:
    """Width, ascent and descent in points of one line at ``size`` points."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    families = [f.strip().strip("'\"") for f in family.split(",") if f.strip()] or ["DejaVu Sans"]
    prop = FontProperties(family=families, size=size, weight=int(weight) if weight.isdigit() else weight, style=style)  # type: ignore[arg-type]
    width, height, descent = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return width, height - descent, descent


def _transform(attr: str | None, x: float, y: float):
    """Map a point of the text's own frame (x right, y down, origin at its anchor) onto the canvas."""
    angle, tx, ty = 0.0, x, y
    for name, args in re.findall(r"(\w+)\(([^)]*)\)", attr or ""):
        values = [float(v) for v in re.split(r"[ ,]+", args.strip()) if v]
        if name == "rotate":
            angle = values[0]
            if len(values) == 3:
                tx, ty = values[1], values[2]
        elif name == "translate":
            tx, ty = values[0], values[1] if len(values) > 1 else 0.0
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    return lambda dx, dy: (tx + dx * cos - dy * sin, ty + dx * sin + dy * cos)


def text_boxes(svg: bytes | str | Path) -> tuple[float, float, str, list[TextBox]]:
    """The canvas width and height (pt), the description and every text line's box of a saved SVG."""
    data = Path(svg).read_bytes() if isinstance(svg, Path) else svg
    root = ET.fromstring(data)
    width, height = _length(root.get("width", "0")), _length(root.get("height", "0"))
    description = " ".join(e.text or "" for e in root.iter() if e.tag.endswith("}description"))
    boxes = []
    for element in root.iter(f"{SVG}text"):
        if element.find(f"{SVG}tspan") is not None:
            raise FigureCheckError("mathtext is not checked; write the text without $...$")
        content = element.text or ""
        if not content.strip():
            continue
        style = _style(element)
        size = _length(style.get("font-size", "10px"))
        w, ascent, descent = _measure(
            content,
            size,
            style.get("font-family", "DejaVu Sans"),
            style.get("font-weight", "normal"),
            style.get("font-style", "normal"),
        )
        anchor = style.get("text-anchor", "start")
        x0 = {"start": 0.0, "middle": -w / 2, "end": -w}[anchor]
        if "x" in element.attrib:
            place = _transform(element.get("transform"), float(element.get("x", 0)), float(element.get("y", 0)))
            # rotate(a cx cy) turns about the anchor, which is the text's own (x, y)
        else:
            place = _transform(element.get("transform"), 0.0, 0.0)
        corners = tuple(
            place(dx, dy) for dx, dy in ((x0, -ascent), (x0 + w, -ascent), (x0 + w, descent), (x0, descent))
        )
        boxes.append(TextBox(content, size, corners))
    return width, height, description, boxes


def _shrink(corners, by: float):
    cx = sum(c[0] for c in corners) / 4
    cy = sum(c[1] for c in corners) / 4
    out = []
    for x, y in corners:
        dx, dy = x - cx, y - cy
        d = math.hypot(dx, dy) or 1.0
        out.append((x - by * dx / d, y - by * dy / d))
    return out


def _overlap(a, b) -> bool:
    """Separating axis test for two convex quadrilaterals."""
    for poly in (a, b):
        for i in range(4):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % 4]
            nx, ny = y2 - y1, x1 - x2
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            if max(pa) <= min(pb) or max(pb) <= min(pa):
                return False
    return True


def problems(svg: bytes | str | Path, print_width_mm: float | None = None) -> list[str]:
    """Every print problem of one saved SVG figure, as sentences; empty when it passes.

    Parameters
    ----------
    svg : bytes, str or Path
        The SVG as saved (bytes or text), or its path.
    print_width_mm : float, optional
        The width the figure is printed at; by default the one written in the SVG's
        description by :func:`compendium.reporting.figures.save`, else the canvas width.
    """
    width, height, description, boxes = text_boxes(svg)
    if print_width_mm is None:
        found = PRINT_WIDTH_RE.search(description)
        print_width_mm = float(found.group(1)) if found else width / 72 * MM_PER_INCH
    scale = print_width_mm / MM_PER_INCH * 72 / width if width else 1.0
    out = []
    for box in boxes:
        printed = box.size * scale
        if printed < MIN_PT - 1e-6:
            out.append(f"text {box.text!r} prints at {printed:.1f} pt (< {MIN_PT:g} pt at {print_width_mm:g} mm wide)")
        x0, y0, x1, y1 = box.bounds()
        if x0 < -TOLERANCE_PT or y0 < -TOLERANCE_PT or x1 > width + TOLERANCE_PT or y1 > height + TOLERANCE_PT:
            out.append(f"text {box.text!r} reaches outside the canvas")
    shrunk = [_shrink(b.corners, TOLERANCE_PT) for b in boxes]
    bounds = [b.bounds() for b in boxes]
    order = sorted(range(len(boxes)), key=lambda k: bounds[k][0])
    for pos, i in enumerate(order):
        for j in order[pos + 1 :]:
            if bounds[j][0] > bounds[i][2]:
                break
            if bounds[j][1] > bounds[i][3] or bounds[i][1] > bounds[j][3]:
                continue
            if _overlap(shrunk[i], shrunk[j]):
                first, second = sorted((boxes[i].text, boxes[j].text))
                out.append(f"texts {first!r} and {second!r} overlap")
    return out


def check(svg: Path | bytes, name: str | None = None, print_width_mm: float | None = None) -> None:
    """Raise :class:`FigureCheckError` naming the figure and each problem, if any."""
    found = problems(svg, print_width_mm)
    if found:
        label = name or (str(svg) if isinstance(svg, Path) else "figure")
        raise FigureCheckError(f"{label}: fails the print check:\n  - " + "\n  - ".join(found))
