"""Our own illustration of every exercise: a short looping animation and a still, drawn from pose data.

The poses live in `bot/domain/poses/<exercise>.toml` next to the routine; `rig` turns them into
2D shapes and `draw` (Pillow, imported only when something is rendered) into pixels. Rendering
is pure CPU work with no shared state, so callers run it in a worker thread
(:func:`render_async`); results are cached per process, keyed by `IllustrationKey`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.domain.routine import BY_KEY, ROUTINE, Exercise, Variant

if TYPE_CHECKING:  # the rig (pose files, geometry) loads with the first picture, not at start-up
    from bot.illustrations import rig

WIDTH, HEIGHT = 480, 320  # a phone-sized landscape canvas
MARGIN = 14.0  # pixels kept clear at every edge
MAX_SCALE = 1.2  # pixels per pose unit, at most (lying figures all come out the same size)
GIF_MIME = "image/gif"
PNG_MIME = "image/png"


@dataclass(frozen=True, order=True)
class IllustrationKey:
    """Which picture: an exercise, in its default or no-band form."""

    exercise: str
    variant: Variant = Variant.DEFAULT

    def __post_init__(self) -> None:
        object.__setattr__(self, "variant", Variant(self.variant))  # "no_band" works as well

    @property
    def slug(self) -> str:
        """A file-name-safe name: "clam_shell", "clam_shell-no_band"."""
        return self.exercise if self.variant is Variant.DEFAULT else f"{self.exercise}-{self.variant}"

    @classmethod
    def of(cls, exercise: Exercise, *, has_band: bool = True) -> IllustrationKey:
        """The picture a user sees for an exercise (the no-band form when they have no band)."""
        return cls(exercise.key, exercise.variant_for(has_band))


@dataclass(frozen=True)
class Illustration:
    key: IllustrationKey
    data: bytes
    mime: str
    filename: str
    duration_s: float
    frames: int
    width: int
    height: int
    key_poses: tuple[str, ...]  # the key poses, in the order the loop first reaches them

    @property
    def size(self) -> int:
        return len(self.data)


def all_keys() -> list[IllustrationKey]:
    """Every picture the routine needs: each exercise, and each of its variants."""
    return [IllustrationKey(exercise.key, variant) for exercise in ROUTINE for variant in exercise.variants]


def _drawing(key: IllustrationKey) -> rig.Drawing:
    from bot.illustrations import rig

    if key.exercise not in BY_KEY or key.variant not in BY_KEY[key.exercise].variants:
        raise KeyError(f"no such illustration: {key}")
    return rig.drawings()[key.exercise]


def _view(key: IllustrationKey, drawing: rig.Drawing, skeletons: list[rig.Skeleton]) -> rig.View:
    from bot.illustrations import rig

    return rig.fit_view(drawing, key.variant, skeletons, WIDTH, HEIGHT, MARGIN, MAX_SCALE)


def scenes(key: IllustrationKey) -> list[tuple[rig.Scene, int, str | None]]:
    """(scene, duration in ms, key pose name or None) for every frame of the loop, no pixels.

    Every key pose's own skeleton is part of the fit, so the still fits the same camera."""
    from bot.illustrations import rig

    drawing = _drawing(key)
    frames = rig.frames(drawing)
    skeletons = [f.skeleton for f in frames]
    view = _view(key, drawing, skeletons)
    return [
        (rig.build_scene(drawing, key.variant, f.skeleton, view), f.duration_ms, f.key_pose) for f in frames
    ]


@cache
def render(key: IllustrationKey) -> Illustration:
    """The looping animation (GIF) for `key`. CPU-bound: call it off the event loop."""
    from bot.illustrations import draw

    drawing = _drawing(key)
    frames = scenes(key)
    images = [draw.draw_scene(scene, WIDTH, HEIGHT) for scene, _, _ in frames]
    durations = [ms for _, ms, _ in frames]
    data = draw.encode_gif(images, durations)
    reached: list[str] = []
    for _, _, pose in frames:
        if pose is not None and pose not in reached:
            reached.append(pose)
    assert set(reached) == set(drawing.poses), "every key pose appears in the loop"
    return Illustration(
        key=key,
        data=data,
        mime=GIF_MIME,
        filename=f"{key.slug}.gif",
        duration_s=sum(durations) / 1000,
        frames=len(images),
        width=WIDTH,
        height=HEIGHT,
        key_poses=tuple(reached),
    )


async def render_async(key: IllustrationKey) -> Illustration:
    """:func:`render` in a worker thread, leaving the event loop free."""
    return await asyncio.to_thread(render, key)


@cache
def still_png(key: IllustrationKey, pose: str | None = None) -> bytes:
    """One key pose as a PNG (by default the drawing's `still`, the position held)."""
    from bot.illustrations import draw, rig

    drawing = _drawing(key)
    name = pose or drawing.still
    if name not in drawing.poses:
        raise KeyError(f"{key.exercise} has no pose {name!r}")
    skeletons = [f.skeleton for f in rig.frames(drawing)]
    view = _view(key, drawing, skeletons)
    scene = rig.build_scene(drawing, key.variant, rig.key_pose_skeleton(drawing, name), view)
    return draw.encode_png(draw.draw_scene(scene, WIDTH, HEIGHT))


def write_all(directory: str | Path) -> list[Path]:
    """Write every animation and one still PNG of each into `directory` (created if missing)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for key in all_keys():
        illustration = render(key)
        gif = target / illustration.filename
        gif.write_bytes(illustration.data)
        png = target / f"{key.slug}.png"
        png.write_bytes(still_png(key))
        written += [gif, png]
    return written


def describe(illustration: Illustration) -> str:
    """The console demo's stand-in for a picture: ``[animation: knees_to_chest, 2.8 s, 140 KB]``."""
    kb = max(1, round(illustration.size / 1024))
    return f"[animation: {illustration.key.slug}, {illustration.duration_s:.1f} s, {kb} KB]"
