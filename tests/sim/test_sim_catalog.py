import pytest

from synapt.sim.catalog import CLASSES, flip_map, resolve_classes


def test_catalogue_sizes_and_uniqueness():
    names = [c.name for c in CLASSES]
    assert len(names) == len(set(names)) >= 40
    assert [c.id for c in CLASSES] == list(range(len(CLASSES)))
    assert sum(c.family == "human" for c in CLASSES) >= 28
    assert sum(c.family == "object" for c in CLASSES) >= 12
    assert all(c.description and len(c.description) < 100 for c in CLASSES)


def test_flip_map_is_symmetric_and_names_exist():
    fm = flip_map()
    assert fm["walk_left_to_right"] == "walk_right_to_left"
    assert fm["push_left_to_right"] == "push_right_to_left"
    for a, b in fm.items():
        assert fm[b] == a
    assert "sit_down" not in fm


def test_resolve_selections():
    assert len(resolve_classes("all")) == len(CLASSES)
    humans = resolve_classes("family:human")
    assert {c.family for c in humans} == {"human"}
    assert [c.name for c in resolve_classes("clap, sit_down")] == ["clap", "sit_down"]
    assert [c.name for c in resolve_classes(["bow"])] == ["bow"]


def test_unknown_class_lists_close_names():
    with pytest.raises(ValueError, match="did you mean.*sit_down"):
        resolve_classes("sit_dwn")
