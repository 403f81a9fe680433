"""--ray runs the same tasks on a local Ray (skipped when the ray extra is not installed)."""

import pytest

from synapt.sim.verify import read_manifest


@pytest.mark.slow
def test_ray_gives_the_same_files_as_local_workers(tmp_path, tiny):
    pytest.importorskip("ray")
    import ray

    from synapt.sim import generate_dataset

    kwargs = dict(classes="clap,drop_object", **{**tiny, "per_class": 2})
    local = generate_dataset(tmp_path / "local", **kwargs)
    try:
        on_ray = generate_dataset(tmp_path / "ray", ray_address="local", **kwargs)
    finally:
        ray.shutdown()
    sha = [{r["clip_id"]: r["sha256"] for r in read_manifest(d)} for d in (local, on_ray)]
    assert len(sha[0]) == 4 and sha[0] == sha[1]
