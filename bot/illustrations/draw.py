"""Pixels for a `Scene`: rounded limbs with a soft outline, drawn large and scaled down (anti-aliased).

Imports Pillow at module level; `bot.illustrations` imports this module only when it renders,
so starting the bot does not pay for it. Every function here builds its own images: nothing is
shared between calls, so rendering is safe in worker threads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from PIL import Image, ImageDraw

from bot.illustrations.rig import Capsules, Group, Head, Point, Polygon, Scene

RGB = tuple[int, int, int]

SUPERSAMPLE = 3  # drawn at 3x, reduced with a box filter: smooth edges without Pillow anti-aliasing
OUTLINE = 2.2  # outline width in final pixels

COLOURS: dict[str, RGB] = {
    "background": (248, 245, 239),
    "mat": (190, 212, 226),
    "mat_edge": (138, 168, 190),
    "floor": (234, 228, 218),
    "floor_edge": (214, 205, 190),
    "wood": (214, 180, 134),
    "wood_edge": (168, 130, 88),
    "body": (72, 110, 160),
    "body_far": (146, 170, 204),
    "accent": (236, 128, 52),
    "accent_far": (244, 184, 138),
    "band": (64, 168, 112),
    "hair": (52, 62, 82),
    "hair_far": (120, 128, 146),
}


def _darker(colour: RGB, k: float = 0.68) -> RGB:
    return (round(colour[0] * k), round(colour[1] * k), round(colour[2] * k))


def _fill(role: str, far: bool) -> RGB:
    return COLOURS[f"{role}_far" if far and f"{role}_far" in COLOURS else role]


def _scaled(p: Point, k: float) -> Point:
    return (p[0] * k, p[1] * k)


def _circle(draw: ImageDraw.ImageDraw, c: Point, r: float, colour: RGB) -> None:
    draw.ellipse((c[0] - r, c[1] - r, c[0] + r, c[1] + r), fill=colour)


def _segment(draw: ImageDraw.ImageDraw, c1: Point, r1: float, c2: Point, r2: float, colour: RGB) -> None:
    """Two circles and the band joining them along their outer tangents (a tapered capsule)."""
    _circle(draw, c1, r1, colour)
    _circle(draw, c2, r2, colour)
    dx, dy = c2[0] - c1[0], c2[1] - c1[1]
    d = math.hypot(dx, dy)
    if d <= abs(r1 - r2) + 1e-6:
        return
    ux, uy = dx / d, dy / d
    nx, ny = -uy, ux
    s = (r1 - r2) / d
    c = math.sqrt(max(0.0, 1 - s * s))
    pts = []
    for sign in (1, -1):
        ox, oy = nx * c * sign + ux * s, ny * c * sign + uy * s
        pts.append((c1[0] + ox * r1, c1[1] + oy * r1, c2[0] + ox * r2, c2[1] + oy * r2))
    (a1x, a1y, a2x, a2y), (b1x, b1y, b2x, b2y) = pts
    draw.polygon([(a1x, a1y), (a2x, a2y), (b2x, b2y), (b1x, b1y)], fill=colour)


def _capsules(draw: ImageDraw.ImageDraw, pieces: Sequence[Capsules], k: float) -> None:
    """Outlines of every piece, then fills: the pieces read as one rounded part."""
    for outline in (True, False):
        for shape in pieces:
            fill = _fill(shape.role, shape.far)
            colour, grow = (_darker(fill), OUTLINE * k) if outline else (fill, 0.0)
            pts = [_scaled(p, k) for p in shape.points]
            radii = [r * k + grow for r in shape.radii]
            if len(pts) == 1:
                _circle(draw, pts[0], radii[0], colour)
            for i in range(len(pts) - 1):
                _segment(draw, pts[i], radii[i], pts[i + 1], radii[i + 1], colour)


def _head(draw: ImageDraw.ImageDraw, head: Head, k: float) -> None:
    fill = _fill(head.role, head.far)
    c = _scaled(head.centre, k)
    r = head.radius * k
    _circle(draw, c, r + OUTLINE * k, _darker(fill))
    _circle(draw, c, r, fill)
    # Hair: a cap on the crown and the back of the head, so the face's side reads at a glance.
    fx, fy = head.facing
    ux, uy = head.up
    hx, hy = ux - 0.8 * fx, uy - 0.8 * fy
    if math.hypot(hx, hy) < 1e-6:
        return
    centre = math.degrees(math.atan2(hy, hx))
    box = (c[0] - r, c[1] - r, c[0] + r, c[1] + r)
    draw.chord(box, centre - 70, centre + 70, fill=COLOURS["hair_far" if head.far else "hair"])


def _polygon(draw: ImageDraw.ImageDraw, shape: Polygon, k: float) -> None:
    draw.polygon([_scaled(p, k) for p in shape.points], fill=COLOURS[shape.role])


def draw_scene(scene: Scene, width: int, height: int) -> Image.Image:
    """The scene as an RGB image of width x height."""
    k = SUPERSAMPLE
    image = Image.new("RGB", (width * k, height * k), COLOURS["background"])
    draw = ImageDraw.Draw(image)
    for shape in scene.shapes:
        if isinstance(shape, Polygon):
            _polygon(draw, shape, k)
        elif isinstance(shape, Head):
            _head(draw, shape, k)
        elif isinstance(shape, Group):
            _capsules(draw, shape.pieces, k)
        else:
            _capsules(draw, [shape], k)
    return image.reduce(k)


def encode_gif(images: Sequence[Image.Image], durations_ms: Sequence[int]) -> bytes:
    """A looping GIF with one palette shared by every frame (no colour flicker, small deltas)."""
    sample = Image.new("RGB", (images[0].width, images[0].height * 3))
    picks = [images[0], images[len(images) // 3], images[2 * len(images) // 3]]
    for i, img in enumerate(picks):
        sample.paste(img, (0, i * images[0].height))
    palette = sample.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    frames = [img.quantize(palette=palette, dither=Image.Dither.NONE) for img in images]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=list(durations_ms),
        loop=0,
        optimize=False,
        disposal=1,
    )
    return buffer.getvalue()


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        buffer, format="PNG", optimize=True
    )
    return buffer.getvalue()
