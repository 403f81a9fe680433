from synapt.bench.bias_stage import context_label


def test_context_label_names_scene_kind_and_first_distractor():
    params = {"scene": {"kind": "room", "distractors": [{"shape": "capsule"}, {"shape": "box"}]}}
    assert context_label(params) == "room+capsule"
    assert context_label({"scene": {"kind": "aerial", "distractors": []}}) == "aerial+none"
