from synapt.bench.stages import run_stage, stage_folder


def test_finished_stage_is_reused_and_a_changed_config_reruns(tmp_path):
    calls = []

    def work(folder):
        calls.append(folder)
        (folder / "out.txt").write_text("x")
        return {"value": len(calls)}

    assert run_stage(tmp_path, "train", {"lr": 0.1}, work) == {"value": 1}
    assert run_stage(tmp_path, "train", {"lr": 0.1}, work) == {"value": 1}
    assert run_stage(tmp_path, "train", {"lr": 0.2}, work) == {"value": 2}
    assert len(calls) == 2 and stage_folder(tmp_path, "train", {"lr": 0.1}) == calls[0]


def test_interrupted_stage_runs_again(tmp_path):
    def broken(folder):
        raise RuntimeError("killed")

    try:
        run_stage(tmp_path, "gen", {"n": 1}, broken)
    except RuntimeError:
        pass
    assert not (stage_folder(tmp_path, "gen", {"n": 1}) / "result.json").exists()
    assert run_stage(tmp_path, "gen", {"n": 1}, lambda f: {"ok": True}) == {"ok": True}


def test_stage_keys_hold_the_code_and_generator_versions_and_fresh_reruns(tmp_path, monkeypatch, capsys):
    import synapt.sim

    calls = []

    def work(folder):
        calls.append(folder)
        return {"n": len(calls)}

    first = stage_folder(tmp_path, "gen", {"n": 1})
    assert run_stage(tmp_path, "gen", {"n": 1}, work) == {"n": 1}
    assert run_stage(tmp_path, "gen", {"n": 1}, work) == {"n": 1}
    assert "reusing finished stage gen-" in capsys.readouterr().err
    assert run_stage(tmp_path, "gen", {"n": 1}, work, fresh=True) == {"n": 2}
    monkeypatch.setattr(synapt.sim, "GENERATOR_VERSION", "test-changed")
    assert stage_folder(tmp_path, "gen", {"n": 1}) != first  # generated pixels changed: a new stage
