"""Worlds around the action: furnished room, outdoor, studio backdrop, aerial.

A scene is a JSON-able dict (recorded in the manifest) sampled by :func:`sample_scene` and turned
into MJCF by :func:`scene_mjcf`. All scene kinds share one fixed texture layout
(:data:`TEXTURE_LAYOUT`) so one OpenGL context per worker serves every clip; only the pixels
change (``render.py`` uploads them).

The stage is centred on the origin: the action happens within about 1.5 m of it. Walls and
distractors are only placed where they cannot stand between the camera and the stage.
"""

from __future__ import annotations

import numpy as np

from synapt.sim.textures import random_texture

SCENE_KINDS = ("room", "outdoor", "studio", "aerial")

# name -> (kind of texture, width in px); heights follow (skybox: 6 faces stacked).
# Small on purpose: frames are about 112 px, and upload and synthesis cost grows with texels.
TEXTURE_LAYOUT = (("floor", "2d", 64), ("wall", "2d", 64), ("backdrop", "2d", 64),
                  ("top", "2d", 32), ("prop", "2d", 32), ("sky", "skybox", 16))  # fmt: skip

DISTRACTOR_SHAPES = ("box", "sphere", "cylinder", "capsule", "ellipsoid")


def kelvin_to_rgb(kelvin: float) -> tuple[float, float, float]:
    """Approximate colour of a black body at ``kelvin`` (1,000-12,000 K), RGB in 0-1."""
    t = kelvin / 100.0
    r = 1.0 if t <= 66 else min(1.0, 1.2929 * (t - 60) ** -0.1332)
    g = 0.3901 * np.log(t) - 0.6318 if t <= 66 else 1.1298 * (t - 60) ** -0.0755
    b = 1.0 if t >= 66 else (0.0 if t <= 19 else 0.5432 * np.log(t - 10) - 1.1963)
    return tuple(round(float(np.clip(c, 0, 1)), 4) for c in (r, g, b))


def sample_lights(rng: np.random.Generator, *, outdoor: bool) -> tuple[list[dict], float]:
    """1-4 directional lights (direction, colour temperature, intensity) and the ambient level."""
    n = int(rng.integers(1, 5))
    lights = []
    for i in range(n):
        azimuth = rng.uniform(0, 2 * np.pi)
        elevation = rng.uniform(np.radians(25), np.radians(85))
        direction = -np.array([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)])
        kelvin = rng.uniform(5000, 7500) if outdoor else rng.uniform(2700, 6500)
        intensity = rng.uniform(0.5, 0.9) if i == 0 else rng.uniform(0.1, 0.4)
        lights.append({"dir": [round(float(c), 4) for c in direction], "kelvin": round(float(kelvin)), "intensity": round(float(intensity), 3)})
    return lights, round(float(rng.uniform(0.15, 0.4)), 3)


def _away_from_camera(angle: float, cam_azimuth: float) -> float:
    """Rotate a placement angle out of the camera's side of the stage (no occluders)."""
    # The camera sits at azimuth + 180 deg as seen from the stage.
    toward_cam = np.radians(cam_azimuth) + np.pi
    diff = (angle - toward_cam + np.pi) % (2 * np.pi) - np.pi
    if abs(diff) < np.radians(70):
        angle += np.pi
    return float(angle % (2 * np.pi))


def _distractor(rng: np.random.Generator, *, radius: tuple[float, float], cam_azimuth: float, scale: float) -> dict:
    shape = DISTRACTOR_SHAPES[int(rng.integers(len(DISTRACTOR_SHAPES)))]
    angle = _away_from_camera(rng.uniform(0, 2 * np.pi), cam_azimuth)
    r = rng.uniform(*radius)
    size = [round(float(rng.uniform(0.1, 0.5) * scale), 3) for _ in range(3)]
    return {
        "shape": shape,
        "pos": [round(float(r * np.cos(angle)), 3), round(float(r * np.sin(angle)), 3)],
        "size": size,
        "yaw": round(float(rng.uniform(0, 180)), 1),
        "rgb": [round(float(c), 3) for c in rng.uniform(0.05, 0.95, 3)],
        "textured": bool(rng.uniform() < 0.4),
    }


# Probability that a scene puts one occluder between the camera and the actor (not aerial).
OCCLUDER_P = 0.25
OCCLUDER_SHAPES = ("low", "post", "screen")


def _occluder(rng: np.random.Generator, *, cam_azimuth: float, cam_distance: float) -> dict:
    """One occluder on the camera's side of the stage, bounded by construction.

    ``low`` (a crate or bench, 0.35-0.8 m high: the legs at most), ``post`` (a pole 5-15 cm in
    radius: a vertical strip), ``screen`` (a panel 1.2-2 m high standing off to one side: one
    flank at most). It stands 45-70% of the way from the stage to the camera, at least 1.2 m
    from the stage and 0.8 m from the lens. The actor's visible fraction is measured per clip.
    """
    shape = OCCLUDER_SHAPES[int(rng.integers(len(OCCLUDER_SHAPES)))]
    forward = np.array([np.cos(np.radians(cam_azimuth)), np.sin(np.radians(cam_azimuth))])
    side = np.array([-forward[1], forward[0]])
    r = float(np.clip(rng.uniform(0.45, 0.7) * cam_distance, 1.2, max(1.2, cam_distance - 0.8)))
    sign = 1.0 if rng.uniform() < 0.5 else -1.0
    if shape == "low":
        size = [rng.uniform(0.25, 0.6), rng.uniform(0.15, 0.3), rng.uniform(0.35, 0.8) / 2]
        lateral = rng.uniform(-0.5, 0.5)
    elif shape == "post":
        size = [rng.uniform(0.05, 0.15), 0.0, 1.1]
        lateral = sign * rng.uniform(0.25, 0.6)
    else:
        size = [rng.uniform(0.3, 0.5), 0.03, rng.uniform(1.2, 2.0) / 2]
        lateral = sign * rng.uniform(0.5, 0.8)
    x, y = -forward * r + side * lateral
    return {"shape": shape, "pos": [round(float(x), 3), round(float(y), 3)], "size": [round(float(v), 3) for v in size],
            "yaw": round(float(cam_azimuth + 90.0), 1), "rgb": [round(float(c), 3) for c in rng.uniform(0.05, 0.9, 3)],
            "textured": bool(rng.uniform() < 0.5)}


def sample_scene(
    rng: np.random.Generator,
    *,
    kind: str,
    cam_azimuth: float,
    textures: dict | None = None,
    distractor_shapes: tuple[str, ...] | None = None,
    cam_distance: float | None = None,
) -> dict:
    """Draw a scene of ``kind`` around a camera looking from ``cam_azimuth`` (degrees).

    Args:
        textures: fixed texture descriptions to use instead of fresh ones (context bias pool).
        distractor_shapes: restrict distractor shapes (context bias pool).
        cam_distance: the camera's distance from the stage; given, an occluder may stand
            between them (``OCCLUDER_P``, not aerial).
    """
    if kind not in SCENE_KINDS:
        raise ValueError(f"unknown scene kind {kind!r} (known: {', '.join(SCENE_KINDS)})")
    tex = {
        "floor": random_texture(rng, patterns=("wood", "tiles", "checker", "noise", "solid", "bricks")),
        "wall": random_texture(rng, patterns=("solid", "stripes", "noise", "bricks", "tiles", "gradient")),
        "backdrop": random_texture(rng),
        "prop": random_texture(rng),
        "sky": {"rgb1": [round(float(c), 3) for c in rng.uniform([0.2, 0.35, 0.6], [0.5, 0.65, 0.95])],
                "rgb2": [round(float(c), 3) for c in rng.uniform([0.7, 0.7, 0.7], [0.95, 0.95, 0.98])]},
    }  # fmt: skip
    if kind in ("outdoor", "aerial"):
        # Large open grounds seen from afar: no fine repeating lines (they cost H.264 bits).
        tex["floor"] = random_texture(rng, patterns=("grass", "noise", "solid"))
        green_or_earth = [rng.uniform(0.15, 0.45), rng.uniform(0.3, 0.6), rng.uniform(0.1, 0.3)]
        if tex["floor"]["pattern"] == "grass":
            tex["floor"]["rgb1"] = [round(float(c), 3) for c in green_or_earth]
    if textures:
        tex.update(textures)
    lights, ambient = sample_lights(rng, outdoor=kind in ("outdoor", "aerial"))
    n_distractors = int(rng.integers(0, {"room": 4, "outdoor": 7, "studio": 3, "aerial": 9}[kind]))
    radius = {"room": (1.8, 3.0), "outdoor": (4.0, 14.0), "studio": (1.6, 2.2), "aerial": (2.5, 9.0)}[kind]
    distractors = []
    for _ in range(n_distractors):
        d = _distractor(rng, radius=radius, cam_azimuth=cam_azimuth, scale=2.5 if kind == "outdoor" else 1.0)
        if distractor_shapes:
            d["shape"] = distractor_shapes[int(rng.integers(len(distractor_shapes)))]
        distractors.append(d)
    furniture = []
    if kind == "room":
        for item in rng.choice(["table", "sofa", "shelf", "lamp", "plant"], size=int(rng.integers(1, 4)), replace=False):
            angle = _away_from_camera(rng.uniform(0, 2 * np.pi), cam_azimuth)
            r = rng.uniform(2.0, 3.0)
            furniture.append({"item": str(item), "pos": [round(float(r * np.cos(angle)), 3), round(float(r * np.sin(angle)), 3)],
                              "yaw": round(float(np.degrees(angle) + 90), 1),
                              "rgb": [round(float(c), 3) for c in rng.uniform(0.1, 0.8, 3)]})  # fmt: skip
    if kind == "outdoor":
        for _ in range(int(rng.integers(2, 7))):
            angle = _away_from_camera(rng.uniform(0, 2 * np.pi), cam_azimuth)
            r = rng.uniform(6.0, 20.0)
            furniture.append({"item": str(rng.choice(["tree", "house", "pole"])),
                              "pos": [round(float(r * np.cos(angle)), 3), round(float(r * np.sin(angle)), 3)],
                              "yaw": round(float(rng.uniform(0, 180)), 1),
                              "rgb": [round(float(c), 3) for c in rng.uniform(0.1, 0.8, 3)]})  # fmt: skip
    if kind == "aerial":
        for _ in range(int(rng.integers(1, 5))):
            angle = rng.uniform(0, 2 * np.pi)
            r = rng.uniform(3.0, 8.0)
            furniture.append({"item": str(rng.choice(["car", "tree", "road"])),
                              "pos": [round(float(r * np.cos(angle)), 3), round(float(r * np.sin(angle)), 3)],
                              "yaw": round(float(rng.uniform(0, 180)), 1),
                              "rgb": [round(float(c), 3) for c in rng.uniform(0.1, 0.9, 3)]})  # fmt: skip
    occluders = []
    if cam_distance is not None and kind != "aerial" and rng.uniform() < OCCLUDER_P:
        occluders.append(_occluder(rng, cam_azimuth=cam_azimuth, cam_distance=cam_distance))
    return {
        "kind": kind,
        "textures": tex,
        "occluders": occluders,
        "lights": lights,
        "ambient": ambient,
        "distractors": distractors,
        "furniture": furniture,
        "backdrop_distance": round(float(rng.uniform(2.2, 3.2)), 3),
        "wall_half_extent": round(float(rng.uniform(3.2, 4.5)), 3),
    }


def _f(*values: float) -> str:
    return " ".join(f"{v:.4f}" for v in values)


def _rgba(rgb, a: float = 1.0) -> str:
    return _f(*rgb, a)


def _furniture_xml(item: dict, index: int) -> str:
    x, y = item["pos"]
    rgb = _rgba(item["rgb"])
    euler = f'euler="0 0 {item["yaw"]}"'
    name = f'furniture{index}_{item["item"]}'
    parts = {
        "table": f'<geom type="box" pos="0 0 0.72" size="0.6 0.4 0.03" material="prop"/><geom type="cylinder" pos="0 0 0.35" size="0.06 0.35" rgba="{rgb}"/>',
        "sofa": f'<geom type="box" pos="0 0 0.22" size="0.9 0.4 0.22" rgba="{rgb}"/><geom type="box" pos="0 0.32 0.55" size="0.9 0.1 0.3" rgba="{rgb}"/>',
        "shelf": f'<geom type="box" pos="0 0 0.9" size="0.5 0.18 0.9" material="prop"/>',
        "lamp": f'<geom type="cylinder" pos="0 0 0.75" size="0.02 0.75" rgba="0.2 0.2 0.2 1"/><geom type="cylinder" pos="0 0 1.5" size="0.18 0.12" rgba="{rgb}"/>',
        "plant": f'<geom type="cylinder" pos="0 0 0.2" size="0.16 0.2" rgba="{rgb}"/><geom type="ellipsoid" pos="0 0 0.7" size="0.3 0.3 0.4" rgba="0.15 0.45 0.12 1"/>',
        "tree": f'<geom type="cylinder" pos="0 0 1.2" size="0.2 1.2" rgba="0.35 0.22 0.12 1"/><geom type="ellipsoid" pos="0 0 3.0" size="1.4 1.4 1.8" rgba="{_rgba((0.1 + 0.2 * item["rgb"][0], 0.35 + 0.3 * item["rgb"][1], 0.1))}"/>',
        "house": f'<geom type="box" pos="0 0 1.6" size="2.5 2.0 1.6" material="wall"/><geom type="box" pos="0 0 3.4" size="2.7 2.2 0.2" rgba="{rgb}"/>',
        "pole": f'<geom type="cylinder" pos="0 0 2" size="0.08 2" rgba="0.4 0.4 0.42 1"/>',
        "car": f'<geom type="box" pos="0 0 0.45" size="1.0 0.45 0.3" rgba="{rgb}"/><geom type="box" pos="-0.1 0 0.9" size="0.55 0.42 0.2" rgba="{_rgba([c * 0.7 for c in item["rgb"]])}"/>',
        "road": f'<geom type="box" pos="0 0 0.003" size="12 1.6 0.003" rgba="0.18 0.18 0.2 1"/><geom type="box" pos="0 0 0.007" size="12 0.05 0.002" rgba="0.9 0.9 0.85 1"/>',
    }[item["item"]]
    return f'<body name="{name}" pos="{_f(x, y, 0)}" {euler}>{parts}</body>'


def _distractor_xml(d: dict, index: int) -> str:
    sx, sy, sz = d["size"]
    size = {"box": _f(sx, sy, sz), "sphere": _f(sx), "cylinder": _f(sx, sz), "capsule": _f(sx * 0.6, sz),
            "ellipsoid": _f(sx, sy, sz)}[d["shape"]]  # fmt: skip
    z = {"box": sz, "sphere": sx, "cylinder": sz, "capsule": sz + sx * 0.6, "ellipsoid": sz}[d["shape"]]
    look = 'material="prop"' if d["textured"] else f'rgba="{_rgba(d["rgb"])}"'
    return (
        f'<geom name="distractor{index}" type="{d["shape"]}" size="{size}" pos="{_f(d["pos"][0], d["pos"][1], z)}" '
        f'euler="0 0 {d["yaw"]}" {look}/>'
    )


def _occluder_xml(o: dict, index: int) -> str:
    sx, sy, sz = o["size"]
    look = 'material="prop"' if o["textured"] else f'rgba="{_rgba(o["rgb"])}"'
    # Named as distractors: segmentation counts them so; no collisions (the action never meets them).
    common = f'name="distractor_occluder{index}" contype="0" conaffinity="0" {look}'
    x, y = o["pos"]
    if o["shape"] == "post":
        return f'<geom {common} type="cylinder" size="{_f(sx, sz)}" pos="{_f(x, y, sz)}"/>'
    return f'<geom {common} type="box" size="{_f(sx, sy, sz)}" pos="{_f(x, y, sz)}" euler="0 0 {o["yaw"]}"/>'


def scene_mjcf(
    scene: dict,
    *,
    actor_xml: str,
    actor_materials: str,
    props_xml: str,
    extra: str = "",
    fovy: float,
    size: int,
    quality: str,
    timestep: float,
    cam_azimuth: float,
) -> str:
    """The whole MJCF document of one clip: assets, world, lights, actor and props."""
    kind = scene["kind"]
    high = quality == "high"
    tex_xml = []
    for name, ttype, width in TEXTURE_LAYOUT:
        # Placeholder pixels; render.py uploads the procedural ones.
        tex_xml.append(f'<texture name="{name}" type="{ttype}" builtin="flat" rgb1=".5 .5 .5" width="{width}" height="{width}"/>')
    floor_repeat = {"room": 3, "outdoor": 8, "studio": 2, "aerial": 8}[kind]
    lights = []
    for i, light in enumerate(scene["lights"]):
        rgb = np.asarray(kelvin_to_rgb(light["kelvin"])) * light["intensity"]
        shadow = "true" if (high and i == 0) else "false"
        lights.append(
            f'<light name="light{i}" directional="true" pos="0 0 6" dir="{_f(*light["dir"])}" '
            f'diffuse="{_f(*rgb)}" specular="{_f(*(rgb * 0.2))}" castshadow="{shadow}"/>'
        )
    world = []
    floor_half = {"room": 6, "outdoor": 60, "studio": 6, "aerial": 60}[kind]
    # Thin boxes, not planes: a plane's mesh is baked into the render context per model,
    # boxes are scaled built-ins, so one context serves every clip (see render.py).
    world.append(f'<geom name="floor" type="box" size="{floor_half} {floor_half} 0.05" pos="0 0 -0.05" material="floor" contype="1" conaffinity="1" friction="1 0.05 0.01"/>')
    forward = np.array([np.cos(np.radians(cam_azimuth)), np.sin(np.radians(cam_azimuth))])
    if kind == "room":
        r = scene["wall_half_extent"]
        for i, (cx, cy, sx, sy) in enumerate([(r, 0, 0.05, r), (-r, 0, 0.05, r), (0, r, r, 0.05), (0, -r, r, 0.05)]):
            # Only the walls beyond the stage as seen from the camera: never an occluder.
            if cx * forward[0] + cy * forward[1] > 0:
                world.append(f'<geom name="wall{i}" type="box" pos="{_f(cx, cy, 1.4)}" size="{_f(sx, sy, 1.4)}" material="wall"/>')
    if kind == "studio":
        dist = scene["backdrop_distance"]
        # A vertical plane facing the camera (its normal is local +z, turned toward -forward).
        cx, cy = forward * dist
        yaw = np.degrees(np.arctan2(forward[1], forward[0]))
        world.append(
            f'<geom name="backdrop" type="box" size="4 3 0.02" pos="{_f(cx, cy, 2.5)}" '
            f'xyaxes="{_f(np.sin(np.radians(yaw)), -np.cos(np.radians(yaw)), 0, 0, 0, 1)}" '
            'material="backdrop" contype="0" conaffinity="0"/>'
        )
    for i, item in enumerate(scene["furniture"]):
        world.append(_furniture_xml(item, i))
    for i, d in enumerate(scene["distractors"]):
        world.append(_distractor_xml(d, i))
    for i, o in enumerate(scene.get("occluders", ())):
        world.append(_occluder_xml(o, i))
    ambient = scene["ambient"]
    return f"""<mujoco model="synapt_clip">
  <compiler angle="degree" autolimits="true"/>
  <option timestep="{timestep:.6f}" integrator="implicitfast" cone="elliptic"/>
  <statistic extent="10" center="0 0 1"/>
  <visual>
    <global offwidth="{size}" offheight="{size}" fovy="{fovy:.3f}"/>
    <quality offsamples="{4 if high else 0}" shadowsize="{2048 if high else 0}"/>
    <headlight ambient="{_f(ambient, ambient, ambient)}" diffuse="0 0 0" specular="0 0 0"/>
    <map znear="0.005" zfar="20"/>
  </visual>
  <default><geom solref="0.01 1" solimp="0.9 0.95 0.001"/></default>
  <asset>
    {"".join(tex_xml)}
    <material name="floor" texture="floor" texrepeat="{floor_repeat} {floor_repeat}" reflectance="0"/>
    <material name="wall" texture="wall" texrepeat="2 2"/>
    <material name="backdrop" texture="backdrop" texrepeat="1 1"/>
    <material name="prop" texture="prop" texrepeat="1 1"/>
    <material name="top" texture="top" texrepeat="3 3" texuniform="true"/>
    {actor_materials}
  </asset>
  <worldbody>
    {"".join(lights)}
    {"".join(world)}
    {actor_xml}
    {props_xml}
  </worldbody>
  {extra}
</mujoco>"""
