"""The context-bias knob: how much a clip's surroundings reveal its label.

With probability ``bias`` a clip's scene kind, textures and distractor shapes come from a pool
tied to its class (drawn once per class from the global seed and the class id), otherwise from
the shared pool (anything, independent of the label). ``bias=0`` makes context independent of
the class; ``bias=1`` makes the scene kind a function of the class, as in scene-biased real
datasets where "diving" always happens at a pool.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np

from synapt.sim.scenes import DISTRACTOR_SHAPES, SCENE_KINDS
from synapt.sim.textures import random_texture

POOL_TEXTURE_VARIANTS = 3  # each class pool holds this many looks per surface


def class_pool(*, class_id: int, global_seed: int, scene_kinds: tuple[str, ...]) -> dict:
    """The class's own context pool: one scene kind, a few textures per surface, two shapes."""
    return copy.deepcopy(_class_pool(class_id, global_seed, tuple(scene_kinds)))


@lru_cache(maxsize=1024)
def _class_pool(class_id: int, global_seed: int, scene_kinds: tuple[str, ...]) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence([global_seed, class_id, 0xC0_47E7]))
    kind = str(scene_kinds[int(rng.integers(len(scene_kinds)))])
    surfaces = ("floor", "wall", "backdrop", "prop")
    textures = [{s: random_texture(rng) for s in surfaces} for _ in range(POOL_TEXTURE_VARIANTS)]
    shapes = tuple(str(s) for s in rng.choice(DISTRACTOR_SHAPES, size=2, replace=False))
    return {"kind": kind, "textures": textures, "distractor_shapes": shapes}


def choose_context(
    rng: np.random.Generator,
    *,
    class_id: int,
    global_seed: int,
    bias: float,
    scene_kinds: tuple[str, ...] | None,
) -> dict:
    """Pick a clip's context: ``{"kind", "from_class", "textures"?, "distractor_shapes"?}``.

    Always draws the same number of values from ``rng`` so that the rest of the clip does not
    depend on which pool was used.
    """
    kinds = tuple(scene_kinds) if scene_kinds else SCENE_KINDS
    u = float(rng.uniform())
    shared_kind = str(kinds[int(rng.integers(len(kinds)))])
    variant = int(rng.integers(POOL_TEXTURE_VARIANTS))
    if u < bias:
        pool = class_pool(class_id=class_id, global_seed=global_seed, scene_kinds=kinds)
        return {"kind": pool["kind"], "from_class": True, "textures": pool["textures"][variant],
                "distractor_shapes": pool["distractor_shapes"]}  # fmt: skip
    return {"kind": shared_kind, "from_class": False}
