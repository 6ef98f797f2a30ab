"""A small SVG rasterizer (numpy only) for flat icon themes such as Papirus, used to build training sets.

``training`` may not import Qt, and no SVG library (cairosvg, resvg) is a dependency, so this draws the subset
of SVG 1.1 that flat icons use: ``path`` (all commands, arcs included), ``rect`` (rounded), ``circle``,
``ellipse``, ``polygon``, ``polyline``, ``line``, ``g`` and ``use``, with ``transform``, ``fill``/``stroke``
colours (hex, ``rgb()``, a few names, ``currentColor`` via ``<style>`` classes), ``opacity``, ``fill-opacity``,
``stroke-opacity``, ``fill-rule`` (nonzero / evenodd) and ``stroke-width``. Approximations, chosen because they
are invisible or nearly so at 64x64: a gradient fill is drawn in the mean colour of its stops; group opacity
multiplies into each child; strokes get round joins and caps (dashes and clip paths are ignored).

Shapes are flattened to polygons and filled by a supersampled scanline coverage pass (``SUPERSAMPLE``^2
samples per pixel), then composited in document order onto white.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

SUPERSAMPLE = 4
CURVE_SEGMENTS = 12  # line segments per Bezier curve / arc quarter
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NAMED = {"black": (0, 0, 0), "white": (255, 255, 255), "red": (255, 0, 0), "green": (0, 128, 0),
          "blue": (0, 0, 255), "yellow": (255, 255, 0), "gray": (128, 128, 128), "grey": (128, 128, 128),
          "orange": (255, 165, 0), "purple": (128, 0, 128)}
_SKIP = {"defs", "clipPath", "mask", "linearGradient", "radialGradient", "metadata", "title", "desc", "style",
         "pattern", "symbol", "marker", "filter", "text"}
Matrix = np.ndarray  # (3, 3) affine, points are column vectors (x, y, 1)


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _attr(el: ET.Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return value
    return None


# ------------------------------------------------------------------------------------------------ parsing
def parse_transform(text: str | None) -> Matrix:
    m = np.eye(3)
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", text or ""):
        v = [float(a) for a in _NUM.findall(args)]
        t = np.eye(3)
        if name == "matrix" and len(v) == 6:
            t[:2] = [[v[0], v[2], v[4]], [v[1], v[3], v[5]]]
        elif name == "translate" and v:
            t[0, 2], t[1, 2] = v[0], v[1] if len(v) > 1 else 0.0
        elif name == "scale" and v:
            t[0, 0], t[1, 1] = v[0], v[1] if len(v) > 1 else v[0]
        elif name == "rotate" and v:
            a = math.radians(v[0])
            r = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
            cx, cy = (v[1], v[2]) if len(v) >= 3 else (0.0, 0.0)
            t = _translate(cx, cy) @ r @ _translate(-cx, -cy)
        elif name == "skewX" and v:
            t[0, 1] = math.tan(math.radians(v[0]))
        elif name == "skewY" and v:
            t[1, 0] = math.tan(math.radians(v[0]))
        m = m @ t
    return m


def _translate(x: float, y: float) -> Matrix:
    t = np.eye(3)
    t[0, 2], t[1, 2] = x, y
    return t


def parse_color(text: str | None, current: tuple | None = None,
                gradients: dict | None = None) -> tuple[float, float, float, float] | None:
    """(r, g, b, alpha) in [0, 1], or None for ``none``/unknown."""
    if text is None:
        return None
    text = text.strip()
    if text in ("none", "transparent", ""):
        return None
    if text == "currentColor":
        return current
    if text.startswith("url("):
        ref = re.search(r"#([^)'\"]+)", text)
        return (gradients or {}).get(ref.group(1)) if ref else None
    if text.startswith("#"):
        h = text[1:]
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        if len(h) == 6:
            return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, 1.0)
        return None
    if text.startswith("rgb"):
        v = [float(x) for x in _NUM.findall(text)]
        scale = [100.0 if "%" in text else 255.0] * 3
        return (v[0] / scale[0], v[1] / scale[1], v[2] / scale[2], v[3] if len(v) > 3 else 1.0)
    if text.lower() in _NAMED:
        return (*(c / 255 for c in _NAMED[text.lower()]), 1.0)
    return None


def _style(el: ET.Element) -> dict[str, str]:
    props = {k: v for k, v in el.attrib.items() if "}" not in k}
    for item in (el.get("style") or "").split(";"):
        if ":" in item:
            k, v = item.split(":", 1)
            props[k.strip()] = v.strip()
    return props


def _float(text: str | None, default: float = 0.0) -> float:
    found = _NUM.search(text or "")
    return float(found.group()) if found else default


def _class_colors(root: ET.Element) -> dict[str, tuple]:
    """``.ColorScheme-Text { color:#444444; }`` rules of embedded stylesheets, by class name."""
    out: dict[str, tuple] = {}
    for el in root.iter():
        if _tag(el) == "style" and el.text:
            for cls, body in re.findall(r"\.([\w-]+)\s*\{([^}]*)\}", el.text):
                col = re.search(r"(?<![-\w])color\s*:\s*([^;]+)", body)
                if col and parse_color(col.group(1)):
                    out[cls] = parse_color(col.group(1))
    return out


def _gradient_colors(root: ET.Element) -> dict[str, tuple]:
    """Mean stop colour of each gradient (following ``xlink:href`` to inherited stops)."""
    grads = {el.get("id"): el for el in root.iter() if _tag(el) in ("linearGradient", "radialGradient")}
    out: dict[str, tuple] = {}
    for gid, el in grads.items():
        seen = set()
        while el is not None and not [s for s in el if _tag(s) == "stop"] and id(el) not in seen:
            seen.add(id(el))
            href = _attr(el, "href")
            el = grads.get(href[1:]) if href else None
        stops = [_style(s) for s in el if _tag(s) == "stop"] if el is not None else []
        cols = [(parse_color(s.get("stop-color", "#000")), _float(s.get("stop-opacity"), 1.0)) for s in stops]
        cols = [(c, a) for c, a in cols if c is not None]
        if gid and cols:
            rgb = np.mean([c[:3] for c, _ in cols], axis=0)
            out[gid] = (*map(float, rgb), float(np.mean([a for _, a in cols])))
    return out


# ------------------------------------------------------------------------------------------------ geometry
def _cubic(p0, p1, p2, p3, n: int = CURVE_SEGMENTS) -> list:
    t = np.linspace(0, 1, n + 1)[1:, None]
    pts = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3
    return list(pts)


def _quad(p0, p1, p2, n: int = CURVE_SEGMENTS) -> list:
    t = np.linspace(0, 1, n + 1)[1:, None]
    return list((1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2)


def _arc(p0, rx: float, ry: float, phi_deg: float, large: bool, sweep: bool, p1) -> list:
    """Endpoint-parameterised elliptical arc (SVG 1.1 appendix F.6) as points after ``p0``."""
    rx, ry = abs(rx), abs(ry)
    if rx == 0 or ry == 0 or np.allclose(p0, p1):
        return [np.asarray(p1, float)]
    phi = math.radians(phi_deg)
    c, s = math.cos(phi), math.sin(phi)
    dx, dy = (p0[0] - p1[0]) / 2, (p0[1] - p1[1]) / 2
    x1, y1 = c * dx + s * dy, -s * dx + c * dy
    lam = x1 ** 2 / rx ** 2 + y1 ** 2 / ry ** 2
    if lam > 1:
        rx, ry = rx * math.sqrt(lam), ry * math.sqrt(lam)
    num = rx ** 2 * ry ** 2 - rx ** 2 * y1 ** 2 - ry ** 2 * x1 ** 2
    den = rx ** 2 * y1 ** 2 + ry ** 2 * x1 ** 2
    k = math.sqrt(max(num / den, 0.0)) if den else 0.0
    if large == sweep:
        k = -k
    cx1, cy1 = k * rx * y1 / ry, -k * ry * x1 / rx
    cx = c * cx1 - s * cy1 + (p0[0] + p1[0]) / 2
    cy = s * cx1 + c * cy1 + (p0[1] + p1[1]) / 2
    th1 = math.atan2((y1 - cy1) / ry, (x1 - cx1) / rx)
    th2 = math.atan2((-y1 - cy1) / ry, (-x1 - cx1) / rx)
    dth = th2 - th1
    if sweep and dth < 0:
        dth += 2 * math.pi
    elif not sweep and dth > 0:
        dth -= 2 * math.pi
    n = max(2, int(math.ceil(abs(dth) / (math.pi / 2) * CURVE_SEGMENTS)))
    th = th1 + dth * np.linspace(0, 1, n + 1)[1:]
    xs, ys = rx * np.cos(th), ry * np.sin(th)
    pts = np.stack([c * xs - s * ys + cx, s * xs + c * ys + cy], 1)
    pts[-1] = p1
    return list(pts)


def path_subpaths(d: str) -> list[tuple[np.ndarray, bool]]:
    """Flatten SVG path data into (points (K, 2), closed) subpaths in user units."""
    tokens = _PATH_TOKEN.findall(d or "")
    subs: list[tuple[np.ndarray, bool]] = []
    pts: list = []
    cur = np.zeros(2)
    start = np.zeros(2)
    last_ctrl, last_cmd, cmd, i = None, "", "", 0

    def flush(closed: bool) -> None:
        nonlocal pts
        if len(pts) >= 2:
            subs.append((np.array(pts, float), closed))
        pts = []

    def nums(k: int) -> list[float] | None:
        nonlocal i
        if i + k > len(tokens) or any(t.isalpha() for t in tokens[i:i + k]):
            return None
        v = [float(t) for t in tokens[i:i + k]]
        i += k
        return v

    while i < len(tokens):
        if tokens[i].isalpha():
            cmd = tokens[i]
            i += 1
            if cmd in "Zz":
                if pts:
                    flush(True)
                cur = start.copy()
                last_cmd, last_ctrl = "Z", None
                continue
        elif not cmd:
            break
        rel = cmd.islower()
        base = cur if rel else np.zeros(2)
        up = cmd.upper()
        arity = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7}[up]
        v = nums(arity)
        if v is None:
            break
        ctrl = None
        if up == "M":
            flush(False)
            cur = base + v
            start = cur.copy()
            pts = [cur.copy()]
            cmd = "l" if rel else "L"  # further pairs are implicit line-tos
        elif up == "L":
            cur = base + v
            pts.append(cur.copy())
        elif up == "H":
            cur = np.array([(cur[0] if rel else 0) + v[0], cur[1]])
            pts.append(cur.copy())
        elif up == "V":
            cur = np.array([cur[0], (cur[1] if rel else 0) + v[0]])
            pts.append(cur.copy())
        elif up in "CS":
            if up == "C":
                c1, c2, end = base + v[0:2], base + v[2:4], base + v[4:6]
            else:
                c1 = 2 * cur - last_ctrl if last_cmd in "CS" and last_ctrl is not None else cur.copy()
                c2, end = base + v[0:2], base + v[2:4]
            pts.extend(_cubic(cur, c1, c2, end))
            cur, ctrl = end, c2
        elif up in "QT":
            if up == "Q":
                c1, end = base + v[0:2], base + v[2:4]
            else:
                c1 = 2 * cur - last_ctrl if last_cmd in "QT" and last_ctrl is not None else cur.copy()
                end = base + v[0:2]
            pts.extend(_quad(cur, c1, end))
            cur, ctrl = end, c1
        elif up == "A":
            end = base + v[5:7]
            pts.extend(_arc(cur, v[0], v[1], v[2], bool(v[3]), bool(v[4]), end))
            cur = end
        if not pts:
            pts = [cur.copy()]
        last_cmd, last_ctrl = up, ctrl
    flush(False)
    return subs


def _ellipse(cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    th = np.linspace(0, 2 * np.pi, 4 * CURVE_SEGMENTS, endpoint=False)
    return np.stack([cx + rx * np.cos(th), cy + ry * np.sin(th)], 1)


def shape_subpaths(el: ET.Element) -> list[tuple[np.ndarray, bool]]:
    tag, g = _tag(el), (lambda k, d=0.0: _float(el.get(k), d))
    if tag == "path":
        return path_subpaths(el.get("d", ""))
    if tag == "rect":
        x, y, w, h = g("x"), g("y"), g("width"), g("height")
        if w <= 0 or h <= 0:
            return []
        rx, ry = el.get("rx"), el.get("ry")
        rx_v = _float(rx if rx is not None else ry)
        ry_v = _float(ry if ry is not None else rx)
        rx_v, ry_v = min(rx_v, w / 2), min(ry_v, h / 2)
        if rx_v <= 0 or ry_v <= 0:
            return [(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], float), True)]
        d = (f"M{x + rx_v},{y} H{x + w - rx_v} A{rx_v},{ry_v} 0 0 1 {x + w},{y + ry_v} V{y + h - ry_v} "
             f"A{rx_v},{ry_v} 0 0 1 {x + w - rx_v},{y + h} H{x + rx_v} A{rx_v},{ry_v} 0 0 1 {x},{y + h - ry_v} "
             f"V{y + ry_v} A{rx_v},{ry_v} 0 0 1 {x + rx_v},{y} Z")
        return path_subpaths(d)
    if tag == "circle":
        r = g("r")
        return [(_ellipse(g("cx"), g("cy"), r, r), True)] if r > 0 else []
    if tag == "ellipse":
        rx, ry = g("rx"), g("ry")
        return [(_ellipse(g("cx"), g("cy"), rx, ry), True)] if rx > 0 and ry > 0 else []
    if tag in ("polygon", "polyline"):
        v = [float(t) for t in _NUM.findall(el.get("points", ""))]
        pts = np.array(v[: len(v) // 2 * 2], float).reshape(-1, 2)
        return [(pts, tag == "polygon")] if len(pts) >= 2 else []
    if tag == "line":
        return [(np.array([[g("x1"), g("y1")], [g("x2"), g("y2")]]), False)]
    return []


def _stroke_polygons(subs: list[tuple[np.ndarray, bool]], half: float) -> list[np.ndarray]:
    """A stroke as a union of counter-clockwise quads (one per segment) and discs (joins, round caps)."""
    polys: list[np.ndarray] = []
    for pts, closed in subs:
        if closed:
            pts = np.vstack([pts, pts[:1]])
        for a, b in zip(pts[:-1], pts[1:]):
            d = b - a
            n = np.hypot(*d)
            if n < 1e-9:
                continue
            off = np.array([-d[1], d[0]]) / n * half
            polys.append(np.array([a + off, b + off, b - off, a - off]))
        polys.extend(_ellipse(p[0], p[1], half, half) for p in pts)
    return [p if _signed_area(p) > 0 else p[::-1] for p in polys]


def _signed_area(p: np.ndarray) -> float:
    return 0.5 * float(np.sum(p[:, 0] * np.roll(p[:, 1], -1) - np.roll(p[:, 0], -1) * p[:, 1]))


# ------------------------------------------------------------------------------------------------ raster
def coverage(polygons: list[np.ndarray], size: int, evenodd: bool = False,
             supersample: int = SUPERSAMPLE) -> np.ndarray:
    """(size, size) float32 in [0, 1]: the area of each pixel inside the closed polygons (pixel units)."""
    n = size * supersample
    edges = [np.stack([p, np.roll(p, -1, axis=0)], 1) for p in polygons if len(p) >= 3]
    if not edges:
        return np.zeros((size, size), np.float32)
    e = np.concatenate(edges) * supersample  # (E, 2 points, xy)
    x0, y0, x1, y1 = e[:, 0, 0], e[:, 0, 1], e[:, 1, 0], e[:, 1, 1]
    keep = y0 != y1
    x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    direction = np.where(y1 > y0, 1, -1)
    lo = np.clip(np.ceil(np.minimum(y0, y1) - 0.5), 0, n).astype(int)  # first sample row at or below the top
    hi = np.clip(np.ceil(np.maximum(y0, y1) - 0.5), 0, n).astype(int)  # rows lo..hi-1 cross this edge
    counts = hi - lo
    if counts.sum() == 0:
        return np.zeros((size, size), np.float32)
    eid = np.repeat(np.arange(len(lo)), counts)
    rows = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + lo[eid]
    yc = rows + 0.5
    t = (yc - y0[eid]) / (y1[eid] - y0[eid])
    xc = x0[eid] + t * (x1[eid] - x0[eid])
    cols = np.clip(np.ceil(xc - 0.5), 0, n).astype(int)  # first sample column right of the crossing
    acc = np.zeros((n, n + 1), np.int32)
    np.add.at(acc, (rows, cols), direction[eid])
    winding = np.cumsum(acc, axis=1)[:, :n]
    inside = (winding % 2 != 0) if evenodd else (winding != 0)
    return inside.reshape(size, supersample, size, supersample).mean(axis=(1, 3)).astype(np.float32)


class _Renderer:
    def __init__(self, root: ET.Element, size: int):
        self.root, self.size = root, size
        self.ids = {el.get("id"): el for el in root.iter() if el.get("id")}
        self.classes = _class_colors(root)
        self.gradients = _gradient_colors(root)
        self.canvas = np.ones((size, size, 3), np.float32)
        w, h = _float(root.get("width"), 0), _float(root.get("height"), 0)
        vb = [float(v) for v in _NUM.findall(root.get("viewBox", ""))]
        if len(vb) == 4 and vb[2] > 0 and vb[3] > 0:
            s = min(size / vb[2], size / vb[3])
            tx, ty = (size - vb[2] * s) / 2 - vb[0] * s, (size - vb[3] * s) / 2 - vb[1] * s
            self.base = _translate(tx, ty) @ np.diag([s, s, 1.0])
        else:
            s = size / max(w, h, 1e-6) if w and h else 1.0
            self.base = np.diag([s, s, 1.0])

    def draw(self, el: ET.Element, m: Matrix, inherited: dict, opacity: float, depth: int = 0) -> None:
        tag = _tag(el)
        if tag in _SKIP or depth > 32:
            return
        style = _style(el)
        if style.get("display") == "none" or style.get("visibility") == "hidden":
            return
        state = {**inherited, **{k: v for k, v in style.items() if k in _INHERITED}}
        for cls in (el.get("class") or "").split():
            if cls in self.classes:
                state["color"] = self.classes[cls]
        if "color" in style and not isinstance(state.get("color"), tuple):
            state["color"] = parse_color(style["color"])
        m = m @ parse_transform(el.get("transform"))
        opacity *= _float(style.get("opacity"), 1.0)
        if tag in ("svg", "g", "a", "switch"):
            for child in el:
                self.draw(child, m, state, opacity, depth + 1)
        elif tag == "use":
            href = _attr(el, "href")
            target = self.ids.get(href[1:]) if href and href.startswith("#") else None
            if target is not None:
                shifted = m @ _translate(_float(el.get("x")), _float(el.get("y")))
                children = list(target) if _tag(target) == "symbol" else [target]
                for child in children:
                    self.draw(child, shifted, state, opacity, depth + 1)
        else:
            self.paint(shape_subpaths(el), m, state, opacity)

    def paint(self, subs: list[tuple[np.ndarray, bool]], m: Matrix, state: dict, opacity: float) -> None:
        if not subs or opacity <= 0:
            return
        current = state.get("color") if isinstance(state.get("color"), tuple) else (0.0, 0.0, 0.0, 1.0)
        pix = [((m[:2, :2] @ p.T).T + m[:2, 2], closed) for p, closed in subs]
        fill = parse_color(state.get("fill", "#000000"), current, self.gradients)
        if fill is not None:
            cov = coverage([p for p, _ in pix], self.size, evenodd=state.get("fill-rule") == "evenodd")
            self._composite(cov, fill, opacity * _float(state.get("fill-opacity"), 1.0))
        stroke = parse_color(state.get("stroke"), current, self.gradients)
        width = _float(state.get("stroke-width"), 1.0) * math.sqrt(abs(np.linalg.det(m[:2, :2])))
        if stroke is not None and width > 0:
            cov = coverage(_stroke_polygons(pix, width / 2), self.size)
            self._composite(cov, stroke, opacity * _float(state.get("stroke-opacity"), 1.0))

    def _composite(self, cov: np.ndarray, color: tuple, alpha: float) -> None:
        a = (cov * alpha * color[3])[..., None]  # (H, W, 1)
        self.canvas = self.canvas * (1 - a) + np.asarray(color[:3], np.float32) * a


_INHERITED = {"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "color"}


def render_svg(source: str | bytes | Path, size: int = 64) -> np.ndarray:
    """(size, size, 3) uint8: the SVG document scaled to fit ``size`` and drawn onto white."""
    text = Path(source).read_bytes() if isinstance(source, Path) else source
    root = ET.fromstring(text)
    r = _Renderer(root, size)
    r.draw(root, r.base, {}, 1.0)
    return np.clip(np.rint(r.canvas * 255), 0, 255).astype(np.uint8)
