from collections import defaultdict

import numpy as np

from synapt.sim.context import choose_context


def _kinds(bias: float, n: int = 200) -> dict[int, list[str]]:
    out = defaultdict(list)
    for class_id in range(6):
        for index in range(n):
            rng = np.random.default_rng([11, class_id, index])
            out[class_id].append(choose_context(rng, class_id=class_id, global_seed=5, bias=bias, scene_kinds=None)["kind"])
    return out


def test_full_bias_makes_scene_kind_a_function_of_class():
    kinds = _kinds(1.0)
    assert all(len(set(v)) == 1 for v in kinds.values())
    # Different classes get different pools (6 classes over 4 kinds: at least 2 kinds used).
    assert len({v[0] for v in kinds.values()}) >= 2


def test_zero_bias_makes_scene_kind_independent_of_class():
    kinds = _kinds(0.0)
    for v in kinds.values():
        counts = np.array([v.count(k) for k in ("room", "outdoor", "studio", "aerial")])
        assert (counts > 25).all(), counts  # about 50 each of 200


def test_class_pool_textures_repeat_under_bias():
    rng = np.random.default_rng(0)
    ctx = [choose_context(rng, class_id=3, global_seed=1, bias=1.0, scene_kinds=("room", "studio")) for _ in range(30)]
    floors = {c["textures"]["floor"]["seed"] for c in ctx}
    assert len(floors) <= 3 and all(c["from_class"] for c in ctx)
    assert {c["kind"] for c in ctx} <= {"room", "studio"}


def test_dataset_with_full_bias_records_class_tied_scenes(tmp_path):
    from synapt.sim import generate_dataset
    from synapt.sim.verify import read_manifest

    out = generate_dataset(tmp_path / "ds", classes="clap,bow,lunge", per_class=4, frames=2, size=16, seed=1,
                           context_bias=1.0, progress=False)  # fmt: skip
    rows = read_manifest(out)
    kinds = defaultdict(set)
    for r in rows:
        assert r["params"]["context_from_class"] is True
        kinds[r["class_name"]].add(r["params"]["scene"]["kind"])
    assert all(len(k) == 1 for k in kinds.values())
