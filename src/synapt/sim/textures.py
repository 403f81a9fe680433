"""Procedural textures drawn in numpy: every floor, wall, backdrop and garment pattern.

A texture is described by a small JSON-able dict (``{"pattern": "wood", "rgb1": [...], ...}``)
recorded in the manifest, and :func:`make_texture` turns it into pixels, so a clip's look is
reproducible from its row. The scene's MJCF declares fixed-size placeholder textures whose
pixels are replaced by these arrays after compiling (see ``render.py``), which keeps one
OpenGL context valid for every scene a worker renders.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from synapt.sim.actor import random_colour

PATTERNS = ("solid", "checker", "stripes", "noise", "wood", "tiles", "bricks", "plaid", "grass", "gradient")


def random_texture(rng: np.random.Generator, *, patterns: tuple[str, ...] = PATTERNS, contrast_p: float = 0.3) -> dict:
    """Draw a texture description: pattern, two colours, scale (repeats) and a noise seed.

    With probability ``contrast_p`` the two colours are unrelated; otherwise the second is a
    darker tone of the first (tone-on-tone, like most real floors and walls, and cheaper to
    encode).
    """
    rgb1 = random_colour(rng)
    rgb2 = random_colour(rng) if rng.uniform() < contrast_p else tuple(round(c * rng.uniform(0.5, 0.85), 4) for c in rgb1)
    return {
        "pattern": str(patterns[int(rng.integers(len(patterns)))]),
        "rgb1": list(rgb1),
        "rgb2": list(rgb2),
        "scale": int(rng.integers(2, 9)),
        "seed": int(rng.integers(2**31)),
    }


@lru_cache(maxsize=64)
def _upsampler(size: int, cells: int) -> np.ndarray:
    """``(size, cells)`` matrix of smooth (smoothstep-weighted), wrapping linear interpolation."""
    u = np.linspace(0, cells, size, endpoint=False)
    i0 = np.floor(u).astype(int)
    f = u - i0
    f = f * f * (3 - 2 * f)
    w = np.zeros((size, cells))
    w[np.arange(size), i0 % cells] += 1 - f
    w[np.arange(size), (i0 + 1) % cells] += f
    return w


def _value_noise(size: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth tiling noise in [0, 1]: a random ``cells``^2 grid upsampled to ``size``^2."""
    w = _upsampler(size, cells)
    return w @ rng.uniform(0, 1, (cells, cells)) @ w.T


@lru_cache(maxsize=8)
def _unit_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size] / size
    return y, x


def make_texture(spec: dict, size: int) -> np.ndarray:
    """Pixels ``(size, size, 3)`` uint8 for a texture description (pure function of ``spec``)."""
    rng = np.random.default_rng(spec["seed"])
    s = spec["scale"]
    y, x = _unit_grid(size)
    pattern = spec["pattern"]
    if pattern == "solid":
        mix = 0.08 * _value_noise(size, 8, rng)
    elif pattern == "checker":
        mix = ((np.floor(x * s) + np.floor(y * s)) % 2).astype(float)
    elif pattern == "stripes":
        mix = (np.floor(x * s * 2) % 2).astype(float)
    elif pattern == "noise":
        mix = 0.7 * _value_noise(size, 4 + s, rng) + 0.3 * _value_noise(size, 16, rng)
    elif pattern == "wood":
        wobble = 0.3 * _value_noise(size, 4, rng)
        mix = 0.5 + 0.5 * np.sin((y * s * 4 + wobble) * 2 * np.pi)
    elif pattern == "tiles":
        gx, gy = (x * s) % 1, (y * s) % 1
        mix = ((gx < 0.06) | (gy < 0.06)).astype(float)
    elif pattern == "bricks":
        rows = np.floor(y * s * 2)
        gx = (x * s + 0.5 * (rows % 2)) % 1
        gy = (y * s * 2) % 1
        mix = ((gx < 0.05) | (gy < 0.1)).astype(float)
    elif pattern == "plaid":
        mix = 0.5 * (np.floor(x * s * 2) % 2) + 0.5 * (np.floor(y * s * 2) % 2)
    elif pattern == "grass":
        mix = 0.6 * _value_noise(size, 16, rng) + 0.4 * _value_noise(size, 4, rng)
    elif pattern == "gradient":
        mix = y
    else:
        raise ValueError(f"unknown texture pattern {pattern!r} (known: {', '.join(PATTERNS)})")
    rgb1 = np.asarray(spec["rgb1"], dtype=float)
    rgb2 = np.asarray(spec["rgb2"], dtype=float)
    img = rgb1[None, None, :] * (1 - mix[..., None]) + rgb2[None, None, :] * mix[..., None]
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def sky_texture(spec: dict, size: int) -> np.ndarray:
    """A skybox (6 stacked faces, ``(6*size, size, 3)``): zenith colour to horizon colour."""
    zenith = np.asarray(spec["rgb1"], dtype=float)
    horizon = np.asarray(spec["rgb2"], dtype=float)
    faces = []
    t = np.linspace(0, 1, size)[:, None, None]
    side = zenith * (1 - t) + horizon * t  # top of the face is the zenith side
    side = np.broadcast_to(side, (size, size, 3))
    # MuJoCo's cube order: +x, -x, +y, -y, +z (up), -z (down).
    for face in range(6):
        if face == 4:
            faces.append(np.broadcast_to(zenith, (size, size, 3)))
        elif face == 5:
            faces.append(np.broadcast_to(horizon * 0.6, (size, size, 3)))
        else:
            faces.append(side)
    img = np.concatenate(faces, axis=0)
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
