"""The pose model: a small 3D figure posed from data, moved along a timeline, projected to 2D.

Pure Python (math and tomllib only), so the geometry can be tested without drawing and runs
safely in any thread. `bot/illustrations/draw.py` turns a `Scene` into pixels.

World coordinates, in pose units (a lying figure is about 360 long): x along the mat, y up
(the floor is y = 0), z towards the camera before it turns. A direction in the data is either
``[angle, tilt]`` in degrees (angle in the x-y plane counter-clockwise from +x, tilt towards
+z) or an ``[x, y, z]`` vector. Each key pose gives the pelvis position, the torso, front and
head directions, and for each limb either its segment directions (forward kinematics) or where
its end must be (``ankle`` / ``hand``: a point, or a joint name with an ``offset``) and which
way its middle joint bends (``knee`` / ``elbow``); the two-bone solver finds the rest. Between
two key poses, ends that are placed in both are moved in a straight line (planted feet stay
planted, a hand stays on a knee); everything else turns along the shorter arc.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

Vec = tuple[float, float, float]
Point = tuple[float, float]

# --------------------------------------------------------------------------- the figure


@dataclass(frozen=True)
class Figure:
    """Proportions in pose units (segment lengths, and radii at each end of a rounded limb)."""

    torso: float = 118.0  # pelvis centre to the base of the neck
    neck: float = 14.0
    head_r: float = 23.0
    hip_w: float = 17.0  # half the distance between the hip joints
    shoulder_w: float = 27.0
    shoulder_drop: float = 12.0  # shoulders sit this far below the neck base
    thigh: float = 94.0
    shin: float = 88.0
    foot: float = 26.0
    upper_arm: float = 62.0
    forearm: float = 56.0
    # radii
    pelvis_r: float = 21.0
    chest_r: float = 23.0
    hip_r: float = 15.5
    knee_r: float = 11.5
    ankle_r: float = 8.5
    toe_r: float = 7.0
    shoulder_r: float = 10.5
    elbow_r: float = 8.5
    wrist_r: float = 7.0
    hand_r: float = 9.0
    neck_r: float = 9.0


FIGURE = Figure()

LEGS = ("leg_l", "leg_r")
ARMS = ("arm_l", "arm_r")
LIMBS = LEGS + ARMS
PARTS = ("pelvis", "torso", "head", *LIMBS)

# --------------------------------------------------------------------------- vectors


def add(a: Vec, b: Vec) -> Vec:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def mul(a: Vec, k: float) -> Vec:
    return (a[0] * k, a[1] * k, a[2] * k)


def dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a: Vec) -> float:
    return math.sqrt(dot(a, a))


def unit(a: Vec) -> Vec:
    length = norm(a)
    if length < 1e-9:
        raise ValueError("a direction of zero length")
    return mul(a, 1.0 / length)


def lerp(a: Vec, b: Vec, t: float) -> Vec:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def slerp(a: Vec, b: Vec, t: float) -> Vec:
    """Turn unit vector a towards b along the shorter arc."""
    cos = max(-1.0, min(1.0, dot(a, b)))
    if cos > 0.9995:
        return unit(lerp(a, b, t))
    if cos < -0.9995:  # opposite: turn through any perpendicular
        helper = (0.0, 0.0, 1.0) if abs(a[2]) < 0.9 else (0.0, 1.0, 0.0)
        b = unit(add(mul(unit(cross(a, helper)), 1e-3), b))
        cos = dot(a, b)
    angle = math.acos(cos)
    sin = math.sin(angle)
    return unit(add(mul(a, math.sin((1 - t) * angle) / sin), mul(b, math.sin(t * angle) / sin)))


def orthogonal(v: Vec, to: Vec) -> Vec:
    """The part of v perpendicular to the unit vector `to`, normalised."""
    return unit(sub(v, mul(to, dot(v, to))))


def direction(value: Sequence[float]) -> Vec:
    """``[angle, tilt]`` in degrees or an ``[x, y, z]`` vector, as a unit vector."""
    if len(value) == 2:
        angle, tilt = (math.radians(float(v)) for v in value)
        return (math.cos(tilt) * math.cos(angle), math.cos(tilt) * math.sin(angle), math.sin(tilt))
    if len(value) == 3:
        return unit((float(value[0]), float(value[1]), float(value[2])))
    raise ValueError(f"a direction is [angle, tilt] or [x, y, z], not {list(value)}")


def point(value: Sequence[float]) -> Vec:
    if len(value) == 2:
        return (float(value[0]), float(value[1]), 0.0)
    if len(value) == 3:
        return (float(value[0]), float(value[1]), float(value[2]))
    raise ValueError(f"a point is [x, y] or [x, y, z], not {list(value)}")


def two_bone(root: Vec, target: Vec, upper: float, lower: float, pole: Vec) -> tuple[Vec, Vec]:
    """(middle joint, end) of a two-segment limb reaching for `target`, bending towards `pole`.

    Out of reach, the limb points straight at the target; the end then falls short of it."""
    to_target = sub(target, root)
    reach = norm(to_target)
    axis = unit(to_target) if reach > 1e-9 else pole
    reach = max(abs(upper - lower) + 1e-3, min(reach, (upper + lower) * 0.9999))
    along = (upper * upper - lower * lower + reach * reach) / (2 * reach)
    height = math.sqrt(max(upper * upper - along * along, 0.0))
    try:
        bend = orthogonal(pole, axis)
    except ValueError:
        bend = orthogonal((0.0, 1.0, 0.0) if abs(axis[1]) < 0.9 else (1.0, 0.0, 0.0), axis)
    middle = add(root, add(mul(axis, along), mul(bend, height)))
    return middle, add(root, mul(axis, reach))


# --------------------------------------------------------------------------- pose data


@dataclass(frozen=True)
class Target:
    """Where a limb's end must be: a world point, or a joint of this frame plus an offset."""

    joint: str | None
    at: Vec  # the point, or the offset from the joint


@dataclass(frozen=True)
class Limb:
    name: str
    directions: tuple[Vec, Vec] | None  # upper, lower segment (forward kinematics)
    target: Target | None  # or: where the end goes ...
    bend: Vec | None  # ... and which way the middle joint points
    end: Vec | None  # the foot's direction (legs only)
    layer: float = 0.0  # nudges the drawing order (an arm that wraps in front of the body)


@dataclass(frozen=True)
class KeyPose:
    name: str
    pelvis: Vec
    torso: Vec | None
    neck: Vec | None  # instead of `torso`: the point the torso reaches towards
    front: Vec
    head: Vec | None
    limbs: Mapping[str, Limb]


@dataclass(frozen=True)
class Beat:
    """One entry of the timeline: move to `pose` over `move` seconds, then stay `hold` seconds."""

    pose: str
    move: float
    hold: float


@dataclass(frozen=True)
class Camera:
    yaw: float = 0.0  # degrees about the vertical axis
    pitch: float = 0.0  # degrees looking down


@dataclass(frozen=True)
class Prop:
    kind: str  # mat | floor | box | band
    variants: tuple[str, ...]  # the variants it appears in
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Drawing:
    """One exercise's drawing: key poses, timeline, camera, props, and what is highlighted."""

    exercise: str
    variants: tuple[str, ...]
    camera: Camera
    accent: tuple[str, ...]  # parts in the accent colour: the working side
    still: str  # the key pose shown as the still picture
    poses: Mapping[str, KeyPose]
    timeline: tuple[Beat, ...]
    props: tuple[Prop, ...]
    fps: float = 12.5

    @property
    def key_pose_names(self) -> tuple[str, ...]:
        return tuple(self.poses)

    @property
    def duration_s(self) -> float:
        return sum(beat.move + beat.hold for beat in self.timeline)


class PoseDataError(ValueError):
    pass


POSE_PACKAGE = "bot.domain.poses"


def pose_files() -> dict[str, str]:
    """Exercise key -> TOML text of every drawing shipped with the routine."""
    root = resources.files(POSE_PACKAGE)
    return {
        entry.name.removesuffix(".toml"): entry.read_text(encoding="utf-8")
        for entry in root.iterdir()
        if entry.name.endswith(".toml")
    }


@cache
def drawings() -> dict[str, Drawing]:
    """Every drawing, parsed and checked once per process."""
    return {key: parse_drawing(key, text) for key, text in sorted(pose_files().items())}


def parse_drawing(exercise: str, text: str) -> Drawing:
    try:
        raw = tomllib.loads(text)
        return _drawing(exercise, raw)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise PoseDataError(f"{exercise}.toml: {exc}") from exc


def _drawing(exercise: str, raw: dict[str, Any]) -> Drawing:
    variants = tuple(raw.get("variants", ["default"]))
    camera = Camera(**raw.get("camera", {}))
    accent = tuple(raw["accent"])
    unknown = set(accent) - set(PARTS)
    if unknown:
        raise ValueError(f"accent names unknown parts {sorted(unknown)}")
    poses: dict[str, KeyPose] = {}
    for name, pose in raw["poses"].items():
        poses[name] = _key_pose(name, pose)
    timeline = tuple(
        Beat(str(b["pose"]), float(b.get("move", 0.0)), float(b.get("hold", 0.0))) for b in raw["timeline"]
    )
    for beat in timeline:
        if beat.pose not in poses:
            raise ValueError(f"the timeline names an unknown pose {beat.pose!r}")
    if timeline[0].pose != timeline[-1].pose:
        raise ValueError("the timeline must end where it starts, so the loop has no jump")
    unused = set(poses) - {beat.pose for beat in timeline}
    if unused:
        raise ValueError(f"key poses never shown: {sorted(unused)}")
    still = str(raw.get("still", timeline[1].pose))
    if still not in poses:
        raise ValueError(f"still names an unknown pose {still!r}")
    props = tuple(
        Prop(str(p["kind"]), tuple(p.get("variants", variants)), {k: v for k, v in p.items() if k != "kind"})
        for p in raw.get("props", [])
    )
    for prop in props:
        if prop.kind not in ("mat", "floor", "box", "band"):
            raise ValueError(f"unknown prop kind {prop.kind!r}")
        if set(prop.variants) - set(variants):
            raise ValueError(f"a {prop.kind} names a variant the drawing does not declare")
    return Drawing(
        exercise=exercise,
        variants=variants,
        camera=camera,
        accent=accent,
        still=still,
        poses=poses,
        timeline=timeline,
        props=props,
        fps=float(raw.get("fps", 12.5)),
    )


def _key_pose(name: str, raw: dict[str, Any]) -> KeyPose:
    limbs = {limb: _limb(limb, raw[limb]) for limb in LIMBS}
    extra = set(raw) - {"pelvis", "torso", "neck", "front", "head", *LIMBS}
    if extra:
        raise ValueError(f"pose {name!r}: unknown fields {sorted(extra)}")
    if ("torso" in raw) == ("neck" in raw):
        raise ValueError(f"pose {name!r}: give either torso (a direction) or neck (a point)")
    return KeyPose(
        name=name,
        pelvis=point(raw["pelvis"]),
        torso=direction(raw["torso"]) if "torso" in raw else None,
        neck=point(raw["neck"]) if "neck" in raw else None,
        front=direction(raw["front"]),
        head=direction(raw["head"]) if "head" in raw else None,
        limbs=limbs,
    )


def _limb(name: str, raw: dict[str, Any]) -> Limb:
    leg = name.startswith("leg")
    upper, lower, end_key, bend_key = (
        ("thigh", "shin", "ankle", "knee") if leg else ("upper", "fore", "hand", "elbow")
    )
    end = direction(raw["foot"]) if leg and "foot" in raw else None
    layer = float(raw.get("layer", 0.0))
    known = {upper, lower, end_key, bend_key, "offset", "layer"} | ({"foot"} if leg else set())
    if set(raw) - known:
        raise ValueError(f"{name}: unknown fields {sorted(set(raw) - known)}")
    if end_key in raw:
        spot = raw[end_key]
        if isinstance(spot, str):
            target = Target(spot, point(raw.get("offset", [0, 0, 0])))
        else:
            target = Target(None, point(spot))
        return Limb(name, None, target, direction(raw[bend_key]), end, layer)
    return Limb(name, (direction(raw[upper]), direction(raw[lower])), None, None, end, layer)


# --------------------------------------------------------------------------- a posed frame


@dataclass
class Skeleton:
    """Joint positions of one frame, in world coordinates."""

    joints: dict[str, Vec] = field(default_factory=dict)
    left: Vec = (0.0, 0.0, 1.0)  # the body's left
    layers: dict[str, float] = field(default_factory=dict)  # drawing-order nudges per limb


def _torso_direction(pose: KeyPose) -> Vec:
    if pose.torso is not None:
        return pose.torso
    assert pose.neck is not None
    return unit(sub(pose.neck, pose.pelvis))


def _target_point(target: Target, joints: Mapping[str, Vec]) -> Vec:
    if target.joint is None:
        return target.at
    if target.joint not in joints:
        raise PoseDataError(f"a limb reaches for {target.joint!r}, which is not placed before it")
    return add(joints[target.joint], target.at)


def pose_at(a: KeyPose, b: KeyPose, t: float, figure: Figure = FIGURE) -> Skeleton:
    """The skeleton a fraction t of the way from key pose a to key pose b."""
    j: dict[str, Vec] = {}
    pelvis = lerp(a.pelvis, b.pelvis, t)
    torso = slerp(_torso_direction(a), _torso_direction(b), t)
    front = orthogonal(slerp(a.front, b.front, t), torso)
    left = cross(torso, front)
    head = slerp(a.head or _torso_direction(a), b.head or _torso_direction(b), t)
    neck = add(pelvis, mul(torso, figure.torso))
    j["pelvis"] = pelvis
    j["neck"] = neck
    j["head"] = add(neck, mul(head, figure.neck + figure.head_r))
    j["head_dir"] = head
    j["front"] = front
    shoulder_base = sub(neck, mul(torso, figure.shoulder_drop))
    for suffix, sign in (("l", 1.0), ("r", -1.0)):
        j[f"hip_{suffix}"] = add(pelvis, mul(left, sign * figure.hip_w))
        j[f"shoulder_{suffix}"] = add(shoulder_base, mul(left, sign * figure.shoulder_w))
    for name in LIMBS:
        _place_limb(name, a, b, t, j, figure)
    layers = {name: a.limbs[name].layer + (b.limbs[name].layer - a.limbs[name].layer) * t for name in LIMBS}
    return Skeleton(j, left, layers)


def _place_limb(name: str, a: KeyPose, b: KeyPose, t: float, j: dict[str, Vec], figure: Figure) -> None:
    suffix = name[-1]
    leg = name.startswith("leg")
    root_name, mid_name, end_name = _joints_of(name)
    upper, lower = (figure.thigh, figure.shin) if leg else (figure.upper_arm, figure.forearm)
    root = j[root_name]
    la, lb = a.limbs[name], b.limbs[name]
    if la.target is not None and lb.target is not None and la.target.joint == lb.target.joint:
        # Both ends placed the same way: move the end in a straight line (planted feet stay put).
        target = lerp(_target_point(la.target, j), _target_point(lb.target, j), t)
        assert la.bend is not None and lb.bend is not None
        mid, end = two_bone(root, target, upper, lower, slerp(la.bend, lb.bend, t))
    else:
        ua, wa = _limb_directions(la, a, name, figure)
        ub, wb = _limb_directions(lb, b, name, figure)
        mid = add(root, mul(slerp(ua, ub, t), upper))
        end = add(mid, mul(slerp(wa, wb, t), lower))
    j[mid_name] = mid
    j[end_name] = end
    if leg:
        fa = la.end or _default_foot(a)
        fb = lb.end or _default_foot(b)
        j[f"toe_{suffix}"] = add(end, mul(slerp(fa, fb, t), figure.foot))


def _limb_directions(limb: Limb, pose: KeyPose, name: str, figure: Figure) -> tuple[Vec, Vec]:
    """A limb's segment directions in its own key pose (solving its reach there if it has one)."""
    if limb.directions is not None:
        return limb.directions
    # Solved in the key pose itself (its root, and the joints it may reach for). No recursion:
    # within one key pose every placed end is placed the same way, so it takes the direct path.
    own = pose_at(pose, pose, 0.0, figure).joints
    root, mid, end = (own[joint] for joint in _joints_of(name))
    return unit(sub(mid, root)), unit(sub(end, mid))


def _joints_of(limb: str) -> tuple[str, str, str]:
    """(root, middle, end) joint names of a limb."""
    s = limb[-1]
    if limb.startswith("leg"):
        return f"hip_{s}", f"knee_{s}", f"ankle_{s}"
    return f"shoulder_{s}", f"elbow_{s}", f"hand_{s}"


def _default_foot(pose: KeyPose) -> Vec:
    """Feet point the way the body faces unless the data says otherwise."""
    return pose.front


# --------------------------------------------------------------------------- timeline


def smooth(t: float) -> float:
    """Ease in and out, so a movement starts and stops gently."""
    return t * t * (3 - 2 * t)


@dataclass(frozen=True)
class Frame:
    skeleton: Skeleton
    duration_ms: int
    key_pose: str | None  # the key pose this frame shows exactly, if any


def frames(drawing: Drawing) -> list[Frame]:
    """The loop's frames: each move sampled at the drawing's frame rate, each hold one longer frame.

    Durations are whole hundredths of a second (what GIF stores); the loop's last beat returns
    to the first pose, whose frame is then not repeated."""
    step_ms = round(1000 / drawing.fps / 10) * 10
    out: list[Frame] = []
    beats = drawing.timeline
    first = drawing.poses[beats[0].pose]
    out.append(Frame(pose_at(first, first, 0.0), _hold_ms(beats[0].hold, step_ms), first.name))
    for previous, beat in itertools.pairwise(beats):
        a, b = drawing.poses[previous.pose], drawing.poses[beat.pose]
        count = max(2, round(beat.move * 1000 / step_ms))
        for i in range(1, count + 1):
            arrive = i == count
            skeleton = pose_at(a, b, smooth(i / count))
            duration = step_ms + (_hold_ms(beat.hold, step_ms) - step_ms if arrive else 0)
            out.append(Frame(skeleton, max(step_ms, duration), b.name if arrive else None))
    # The last frame is the first pose again: fold its time into the opening frame.
    last = out.pop()
    out[0] = Frame(out[0].skeleton, out[0].duration_ms + last.duration_ms - step_ms, out[0].key_pose)
    return out


def _hold_ms(hold_s: float, step_ms: int) -> int:
    return max(step_ms, round(hold_s * 100) * 10)


def key_pose_skeleton(drawing: Drawing, name: str) -> Skeleton:
    pose = drawing.poses[name]
    return pose_at(pose, pose, 0.0)


# --------------------------------------------------------------------------- projection and scene


@dataclass(frozen=True)
class Capsules:
    """A rounded limb: circles along a chain, joined by their tangents. Screen coordinates."""

    part: str
    points: tuple[Point, ...]
    radii: tuple[float, ...]
    depth: float
    role: str  # body | accent | prop roles
    far: bool = False


@dataclass(frozen=True)
class Polygon:
    role: str
    points: tuple[Point, ...]
    depth: float


@dataclass(frozen=True)
class Head:
    centre: Point
    radius: float
    facing: Point  # screen direction the face points to (the hair goes on the other side)
    up: Point  # screen direction from the neck to the crown
    depth: float
    role: str
    far: bool = False


@dataclass(frozen=True)
class Group:
    """Pieces drawn as one body part: all their outlines first, then all fills (no seams inside)."""

    part: str
    pieces: tuple[Capsules, ...]
    depth: float


Shape = Capsules | Polygon | Head | Group


@dataclass(frozen=True)
class Scene:
    shapes: tuple[Shape, ...]  # in drawing order, back to front

    def bounds(self) -> tuple[float, float, float, float]:
        xs: list[float] = []
        ys: list[float] = []
        for shape in self.shapes:
            for (x, y), r in _extents(shape):
                xs += [x - r, x + r]
                ys += [y - r, y + r]
        return min(xs), min(ys), max(xs), max(ys)

    def figure_bounds(self) -> tuple[float, float, float, float]:
        """The bounds of the person alone (no mat, floor, furniture or band)."""
        return Scene(tuple(s for s in self.shapes if isinstance(s, Head | Group))).bounds()


def _extents(shape: Shape) -> Iterator[tuple[Point, float]]:
    if isinstance(shape, Group):
        for piece in shape.pieces:
            yield from _extents(piece)
    elif isinstance(shape, Capsules):
        yield from zip(shape.points, shape.radii, strict=True)
    elif isinstance(shape, Polygon):
        for p in shape.points:
            yield p, 0.0
    else:
        yield shape.centre, shape.radius


@dataclass(frozen=True)
class View:
    """Camera turn plus the scale and shift that fit the whole loop into the canvas."""

    camera: Camera
    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0
    height: float = 0.0  # canvas height: screen y grows downwards

    def project(self, p: Vec) -> tuple[float, float, float]:
        """(screen x, screen y, depth): larger depth is nearer the viewer."""
        yaw, pitch = math.radians(self.camera.yaw), math.radians(self.camera.pitch)
        x = p[0] * math.cos(yaw) + p[2] * math.sin(yaw)
        z = -p[0] * math.sin(yaw) + p[2] * math.cos(yaw)
        y = p[1] * math.cos(pitch) - z * math.sin(pitch)
        depth = z * math.cos(pitch) + p[1] * math.sin(pitch)
        return x * self.scale + self.dx, self.height - (y * self.scale + self.dy), depth

    def toward_viewer(self) -> Vec:
        """The world direction pointing at the camera."""
        yaw, pitch = math.radians(self.camera.yaw), math.radians(self.camera.pitch)
        return (-math.sin(yaw) * math.cos(pitch), math.sin(pitch), math.cos(yaw) * math.cos(pitch))

    def radius(self, r: float) -> float:
        return r * self.scale


def build_scene(
    drawing: Drawing, variant: str, skeleton: Skeleton, view: View, figure: Figure = FIGURE
) -> Scene:
    shapes: list[Shape] = []
    shapes.extend(_prop_shapes(drawing, variant, skeleton, view, behind=True))
    shapes.extend(_figure_shapes(drawing, skeleton, view, figure))
    shapes.extend(_prop_shapes(drawing, variant, skeleton, view, behind=False))
    ground = [
        s for s in shapes if isinstance(s, Polygon) and s.role in ("mat", "mat_edge", "floor", "floor_edge")
    ]
    rest = [s for s in shapes if s not in ground]
    rest.sort(key=lambda s: s.depth)
    return Scene(tuple(ground + rest))


def _figure_shapes(drawing: Drawing, sk: Skeleton, view: View, figure: Figure) -> list[Shape]:
    j = dict(sk.joints)
    f = figure
    pelvis, neck = j["pelvis"], j["neck"]
    j["_chest"] = sub(neck, mul(unit(sub(neck, pelvis)), f.shoulder_drop))
    j["_throat"] = add(neck, mul(j["head_dir"], f.neck + f.head_r * 0.4))  # the neck reaches into the head
    # A limb is "far" (drawn paler) when it is on the side of the body turned away from the camera.
    facing = dot(sk.left, view.toward_viewer())

    def chain(part: str, names: Sequence[str], radii: Sequence[float]) -> Capsules:
        projected = [view.project(j[n]) for n in names]
        depth = sum(p[2] for p in projected) / len(projected)
        role = "accent" if part in drawing.accent else "body"
        side = sum(dot(sub(j[n], pelvis), sk.left) for n in names) / len(names) * facing
        return Capsules(
            part,
            tuple((p[0], p[1]) for p in projected),
            tuple(view.radius(r) for r in radii),
            depth,
            role,
            far=side < -5,
        )

    def group(part: str, pieces: Sequence[Capsules], depth: float | None = None) -> Group:
        depth = pieces[0].depth if depth is None else depth
        far = pieces[0].far
        depth += sk.layers.get(part, 0.0)
        return Group(part, tuple(replace(c, far=far) for c in pieces), depth)

    out: list[Shape] = []
    for s in ("l", "r"):
        leg = chain(
            f"leg_{s}",
            (f"hip_{s}", f"knee_{s}", f"ankle_{s}", f"toe_{s}"),
            (f.hip_r, f.knee_r, f.ankle_r, f.toe_r),
        )
        out.append(group(f"leg_{s}", [leg]))
        arm = chain(
            f"arm_{s}", (f"shoulder_{s}", f"elbow_{s}", f"hand_{s}"), (f.shoulder_r, f.elbow_r, f.wrist_r)
        )
        hand = chain(f"arm_{s}", (f"hand_{s}",), (f.hand_r,))
        out.append(group(f"arm_{s}", [arm, hand]))
    # The trunk: a tapered body from pelvis to chest, drawn as one piece with the hip and shoulder
    # bars (which give it width seen from the front and vanish into it seen from the side).
    torso = chain("torso", ("pelvis", "_chest"), (f.pelvis_r, f.chest_r))
    hips = chain("pelvis", ("hip_l", "pelvis", "hip_r"), (f.pelvis_r - 3, f.pelvis_r, f.pelvis_r - 3))
    trunk = [
        chain("torso", ("_chest", "neck", "_throat"), (f.neck_r, f.neck_r, f.neck_r)),
        torso,
        chain(
            "torso", ("shoulder_l", "_chest", "shoulder_r"), (f.shoulder_r + 4, f.chest_r, f.shoulder_r + 4)
        ),
    ]
    if "pelvis" in drawing.accent:
        # Marked hips (the bridge) sit in front of the thighs, so the whole mark shows.
        near_hip = max(view.project(j["hip_l"])[2], view.project(j["hip_r"])[2])
        out.append(group("pelvis", [hips], near_hip + 50))
    else:
        trunk.insert(2, hips)
    trunk_group = group("torso", trunk, torso.depth + 0.5)
    out.append(trunk_group)
    hx, hy, hd = view.project(j["head"])
    face = view.project(add(j["head"], j["front"]))
    crown = view.project(add(j["head"], j["head_dir"]))
    out.append(
        Head(
            (hx, hy),
            view.radius(f.head_r),
            (face[0] - hx, face[1] - hy),
            (crown[0] - hx, crown[1] - hy),
            max(hd, trunk_group.depth) + 1.0,  # the head always covers its own neck
            "accent" if "head" in drawing.accent else "body",
        )
    )
    return out


def _prop_shapes(drawing: Drawing, variant: str, sk: Skeleton, view: View, *, behind: bool) -> list[Shape]:
    out: list[Shape] = []
    for prop in drawing.props:
        if variant not in prop.variants:
            continue
        d = prop.data
        if prop.kind in ("mat", "floor", "box") and behind:
            role = {"mat": "mat", "floor": "floor", "box": "wood"}[prop.kind]
            lo, hi = point(d["min"]), point(d["max"])
            out.extend(_box(view, lo, hi, role))
        elif prop.kind == "band" and not behind:
            ends = [_prop_point(d["from"], sk), _prop_point(d["to"], sk)]
            projected = [view.project(p) for p in ends]
            depth = max(p[2] for p in projected) + float(d.get("depth_bias", 2.0))
            radius = view.radius(float(d.get("width", 5.0)) / 2)
            out.append(
                Capsules("band", tuple((p[0], p[1]) for p in projected), (radius, radius), depth, "band")
            )
    return out


def _prop_point(spec: Any, sk: Skeleton) -> Vec:
    """A band end: a world point, a joint name, or {joint, toward, at} (a point part-way along a segment)."""
    if isinstance(spec, str):
        return sk.joints[spec]
    if isinstance(spec, dict):
        a, b = sk.joints[spec["joint"]], sk.joints[spec["toward"]]
        return add(lerp(a, b, float(spec.get("at", 0.0))), point(spec.get("offset", [0, 0, 0])))
    return point(spec)


def _box(view: View, lo: Vec, hi: Vec, role: str) -> list[Shape]:
    corners = [(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    projected = [view.project(c) for c in corners]
    depth = min(p[2] for p in projected)
    hull = convex_hull([(p[0], p[1]) for p in projected])
    top = [
        view.project((x, hi[1], z))
        for x, z in ((lo[0], lo[2]), (hi[0], lo[2]), (hi[0], hi[2]), (lo[0], hi[2]))
    ]
    return [
        Polygon(role + "_edge", tuple(hull), depth),
        Polygon(role, tuple((p[0], p[1]) for p in top), depth + 0.01),
    ]


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Andrew's monotone chain."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def turn(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def fit_view(
    drawing: Drawing,
    variant: str,
    skeletons: Sequence[Skeleton],
    width: int,
    height: int,
    margin: float,
    max_scale: float,
) -> View:
    """One camera for the whole loop: everything in every frame fits, centred; no jitter between frames."""
    raw = View(drawing.camera, 1.0, 0.0, 0.0, 0.0)
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for sk in skeletons:
        bx0, by0, bx1, by1 = build_scene(drawing, variant, sk, raw).bounds()
        x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
    scale = min(max_scale, (width - 2 * margin) / (x1 - x0), (height - 2 * margin) / (y1 - y0))
    # Raw screen y is minus the camera's y; after scaling, centre the box in the canvas.
    dx = width / 2 - (x0 + x1) / 2 * scale
    dy = height / 2 + (y0 + y1) / 2 * scale
    return View(drawing.camera, scale, dx, dy, height)
