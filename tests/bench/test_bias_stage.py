from synapt.bench.bias_stage import context_label


def test_context_label_names_scene_kind_and_first_distractor():
    params = {"scene": {"kind": "room", "distractors": [{"shape": "capsule"}, {"shape": "box"}]}}
    assert context_label(params) == "room+capsule"
    assert context_label({"scene": {"kind": "aerial", "distractors": []}}) == "aerial+none"


def test_static_encoder_and_tsn_probes_are_priced_in_the_plan(tmp_path):
    import pytest

    from synapt.bench.runner import Runner
    from synapt.bench.training import clip_gflops
    from synapt.bench.bias_stage import APPEARANCE, measure_bias, static_encoder
    from test_benchmark import micro_preset

    preset = micro_preset()
    run = Runner(tmp_path, dry_run=True)
    encoder = static_encoder(run, preset=preset, sources=[tmp_path / "a", tmp_path / "b"], clips=48)
    measure_bias(run, dataset="suite", data_root=tmp_path / "s", encoder=encoder, preset=preset, test_split="test",
                 clips=20)
    measure_bias(run, dataset="suite", data_root=tmp_path / "s", encoder=APPEARANCE, preset=preset,
                 test_split="test", clips=20)
    train, probe, appearance = (p.estimate for p in run.planned)
    # Training on single frames, forward and backward; a probe is one forward pass per clip.
    assert train == {"clips": 48, "gflop": pytest.approx(3 * 48 * clip_gflops(preset.static_encoder, 1, 32))}
    assert probe == {"clips": 20, "gflop": pytest.approx(20 * clip_gflops(preset.static_encoder, 2, 32))}
    assert appearance == {}  # descriptors of 3 frames: a cheap stage
    assert not (tmp_path / "stages").exists()
