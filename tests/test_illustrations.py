"""Our own pictures: every exercise and variant renders, moves, fits, stays small, and matches the routine."""

import asyncio
import io
import itertools
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageChops, ImageSequence

from bot.domain.routine import BY_KEY, ROUTINE, Variant
from bot.illustrations import (
    HEIGHT,
    MARGIN,
    WIDTH,
    IllustrationKey,
    all_keys,
    describe,
    render,
    render_async,
    rig,
    scenes,
    still_png,
    write_all,
)
from bot.illustrations.draw import COLOURS

GIF_BUDGET = 300 * 1024
PNG_BUDGET = 120 * 1024
KEYS = all_keys()
IDS = [k.slug for k in KEYS]


def _gif_frames(data: bytes) -> list[Image.Image]:
    return [frame.convert("RGB") for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]


def test_every_exercise_and_no_band_variant_has_a_picture() -> None:
    expected = {(e.key, v) for e in ROUTINE for v in e.variants}
    assert {(k.exercise, k.variant) for k in KEYS} == expected
    assert IllustrationKey("clam_shell", Variant.NO_BAND) in KEYS
    assert IllustrationKey("hip_abduction_band", Variant.NO_BAND) in KEYS
    assert len(KEYS) == 9


def test_routine_and_pose_data_cover_each_other_exactly() -> None:
    """No exercise without a drawing, no drawing without an exercise, the same variants on both sides."""
    files = rig.pose_files()
    assert set(files) == {e.key for e in ROUTINE}
    drawings = rig.drawings()
    for exercise in ROUTINE:
        drawing = drawings[exercise.key]
        assert set(drawing.variants) == set(exercise.variants), exercise.key
        for prop in drawing.props:
            if prop.kind == "band":
                assert exercise.uses_band and Variant.NO_BAND not in prop.variants, exercise.key


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_each_picture_shows_its_key_poses_in_a_short_loop(key: IllustrationKey) -> None:
    drawing = rig.drawings()[key.exercise]
    assert 2 <= len(drawing.poses) <= 4
    illustration = render(key)
    assert set(illustration.key_poses) == set(drawing.poses)
    assert illustration.key_poses[0] == drawing.timeline[0].pose
    assert 2.0 <= illustration.duration_s <= 4.2
    assert (illustration.width, illustration.height) == (WIDTH, HEIGHT) == (480, 320)
    assert illustration.mime == "image/gif" and illustration.filename == f"{key.slug}.gif"

    frames = _gif_frames(illustration.data)
    assert len(frames) == illustration.frames >= 10
    assert all(f.size == (WIDTH, HEIGHT) for f in frames)
    info = Image.open(io.BytesIO(illustration.data)).info
    assert info.get("loop") == 0  # loops forever


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_frames_differ_and_key_poses_look_different(key: IllustrationKey) -> None:
    frames = _gif_frames(render(key).data)
    for a, b in itertools.pairwise(frames):
        assert ImageChops.difference(a, b).getbbox() is not None, "a frame repeats its predecessor"
    drawing = rig.drawings()[key.exercise]
    stills = {name: Image.open(io.BytesIO(still_png(key, name))).convert("RGB") for name in drawing.poses}
    names = list(stills)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            diff = (
                ImageChops.difference(stills[a], stills[b]).convert("L").point(lambda v: 255 if v > 40 else 0)
            )
            changed = diff.histogram()[255]
            assert changed > 400, f"{key.slug}: {a} and {b} look the same ({changed} pixels differ)"


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_the_figure_stays_inside_the_frame(key: IllustrationKey) -> None:
    # In drawing space: everything (figure, mat, band, support) within the margins, every frame.
    for scene, _, _ in scenes(key):
        x0, y0, x1, y1 = scene.bounds()
        assert x0 >= MARGIN - 0.5 and y0 >= MARGIN - 0.5, (key.slug, x0, y0)
        assert x1 <= WIDTH - MARGIN + 0.5 and y1 <= HEIGHT - MARGIN + 0.5, (key.slug, x1, y1)
        fx0, fy0, fx1, fy1 = scene.figure_bounds()
        assert fx1 - fx0 > 80 and fy1 - fy0 > 60  # a person, not a speck
    # In pixels: a band along every edge is untouched background in every frame.
    background = COLOURS["background"]
    edge = 5
    for frame in _gif_frames(render(key).data):
        for box in (
            (0, 0, WIDTH, edge),
            (0, HEIGHT - edge, WIDTH, HEIGHT),
            (0, 0, edge, HEIGHT),
            (WIDTH - edge, 0, WIDTH, HEIGHT),
        ):
            colours = frame.crop(box).getcolors(maxcolors=4)
            assert colours is not None and len(colours) == 1, (key.slug, box, colours)
            assert max(abs(a - b) for a, b in zip(colours[0][1], background, strict=True)) <= 3


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_each_file_is_under_its_size_budget(key: IllustrationKey) -> None:
    assert render(key).size < GIF_BUDGET
    png = still_png(key)
    assert png.startswith(b"\x89PNG") and len(png) < PNG_BUDGET
    assert Image.open(io.BytesIO(png)).size == (WIDTH, HEIGHT)


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_mat_band_and_working_side_are_drawn(key: IllustrationKey) -> None:
    exercise = BY_KEY[key.exercise]
    scene, _, _ = scenes(key)[0]
    roles = {s.role for s in scene.shapes if isinstance(s, rig.Polygon | rig.Capsules | rig.Head)}
    roles |= {p.role for s in scene.shapes if isinstance(s, rig.Group) for p in s.pieces}
    assert "accent" in roles  # the working side (or the bridge's hips) in the accent colour
    banded = exercise.uses_band and key.variant is Variant.DEFAULT
    assert ("band" in roles) is banded
    if "mat" in {e.value for e in exercise.equipment}:
        assert "mat" in roles
    drawing = rig.drawings()[key.exercise]
    if exercise.per_side:
        assert set(drawing.accent) & {"leg_l", "leg_r"}


def test_exercise_6_starts_on_the_back_and_finishes_in_the_figure_4() -> None:
    met = BY_KEY["hip_rotator_met"]
    drawing = rig.drawings()[met.key]
    assert "start" in drawing.poses and met.finish in drawing.poses
    assert drawing.still == met.finish
    order = render(IllustrationKey(met.key)).key_poses
    assert order[0] == "start" and order[-1] == met.finish
    # On the back: the torso lies along the mat at the start.
    start = rig.key_pose_skeleton(drawing, "start").joints
    assert abs(start["neck"][1] - start["pelvis"][1]) < 10
    # Figure-4: the working ankle rests on the other knee.
    finish = rig.key_pose_skeleton(drawing, met.finish).joints
    working, other = ("r", "l") if "leg_r" in drawing.accent else ("l", "r")
    assert rig.norm(rig.sub(finish[f"ankle_{working}"], finish[f"knee_{other}"])) < 25


def test_planted_feet_stay_planted_through_the_bridge() -> None:
    drawing = rig.drawings()["bridge"]
    ankles = [f.skeleton.joints["ankle_l"] for f in rig.frames(drawing)]
    assert max(rig.norm(rig.sub(a, ankles[0])) for a in ankles) < 1.0
    pelvis = [f.skeleton.joints["pelvis"][1] for f in rig.frames(drawing)]
    assert max(pelvis) - min(pelvis) > 50  # the hips really lift


def test_limbs_keep_their_length_in_every_frame() -> None:
    figure = rig.FIGURE
    for drawing in rig.drawings().values():
        for frame in rig.frames(drawing):
            j = frame.skeleton.joints
            for s in ("l", "r"):
                assert abs(rig.norm(rig.sub(j[f"knee_{s}"], j[f"hip_{s}"])) - figure.thigh) < 0.5
                assert abs(rig.norm(rig.sub(j[f"hand_{s}"], j[f"elbow_{s}"])) - figure.forearm) < 0.5


def test_write_all_writes_every_animation_and_a_still_of_each(tmp_path) -> None:  # type: ignore[no-untyped-def]
    written = write_all(tmp_path / "pictures")
    names = sorted(p.name for p in written)
    assert names == sorted([f"{k.slug}.gif" for k in KEYS] + [f"{k.slug}.png" for k in KEYS])
    for path in written:
        assert path.exists() and path.stat().st_size > 1000


def test_describe_is_the_console_demo_line() -> None:
    illustration = render(IllustrationKey("knees_to_chest"))
    line = describe(illustration)
    assert re.fullmatch(r"\[animation: knees_to_chest, \d\.\d s, \d+ KB\]", line), line
    assert describe(render(IllustrationKey("clam_shell", "no_band"))).startswith(
        "[animation: clam_shell-no_band, "
    )


def test_key_for_a_user_without_a_band() -> None:
    assert IllustrationKey.of(BY_KEY["clam_shell"], has_band=False) == IllustrationKey(
        "clam_shell", "no_band"
    )
    assert IllustrationKey.of(BY_KEY["bridge"], has_band=False) == IllustrationKey("bridge")
    with pytest.raises(KeyError):
        render(IllustrationKey("bridge", "no_band"))


def test_rendering_is_deterministic_and_thread_safe() -> None:
    uncached = render.__wrapped__
    key = IllustrationKey("clam_shell")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(uncached, [key] * 3))
    assert len({r.data for r in results}) == 1


async def test_render_async_leaves_the_loop_free() -> None:
    illustration = await render_async(IllustrationKey("bridge"))
    assert illustration.size > 0
    assert await asyncio.gather(*(render_async(k) for k in KEYS[:2]))


def test_importing_the_package_does_not_import_pillow() -> None:
    """Bot start-up pays nothing for pictures until one is rendered."""
    code = "import sys, bot.illustrations; assert 'PIL' not in sys.modules, 'PIL imported'; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_broken_pose_data_is_reported_with_its_file() -> None:
    good = rig.pose_files()["bridge"]
    with pytest.raises(rig.PoseDataError, match=r"bridge\.toml"):
        rig.parse_drawing(
            "bridge", good.replace('{ pose = "down", move = 0.9 }', '{ pose = "up", move = 0.9 }')
        )
    with pytest.raises(rig.PoseDataError, match="unknown pose"):
        rig.parse_drawing("bridge", good.replace('pose = "up"', 'pose = "upp"'))
    with pytest.raises(rig.PoseDataError, match="accent"):
        rig.parse_drawing("bridge", good.replace('accent = ["pelvis"]', 'accent = ["tail"]'))
