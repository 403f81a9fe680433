"""The report renders every table and plot from results.json alone."""

import json

from synapt.report.tables import table1, table2
from synapt.report.write import write_report


def results_fixture() -> dict:
    rows = []
    for pretrain, base in (("synthetic", 0.6), ("context_biased", 0.5), ("random_init", 0.25), ("scratch", 0.3)):
        for suite, shift in (("motion", 0.1), ("context", -0.1)):
            for mode in ("ft", "lp"):
                if (pretrain, mode) in (("scratch", "lp"), ("random_init", "ft")):
                    continue
                acc = base + (shift if pretrain == "synthetic" else -shift)
                rows.append({"model": "tsn_tiny", "pretrain": pretrain, "downstream": suite, "mode": mode,
                             "top1": acc, "top1_ci": [acc - 0.05, acc + 0.05], "mean_class_acc": acc,
                             "hparams": {"lr": 0.001}})
    study = [{"pretrain": "synthetic", "downstream": "motion", "mode": "lp", "num_classes": n, "top1": 0.4 + n / 100}
             for n in (4, 8, 12)]
    return {
        "preset": "tiny", "wall_seconds": 123.0, "rows": rows,
        "bias": [{"dataset": "motion", "encoder": "static-context", "M": 0.2, "M_rnd": 0.125, "B": 0.47, "B_log2": 0.68},
                 {"dataset": "context", "encoder": "static-context", "M": 0.9, "M_rnd": 0.125, "B": 1.97, "B_log2": 2.85}],
        "studies": {"num_classes": study},
        "comparisons": [{"model": "tsn_tiny", "downstream": "motion", "mode": "ft", "a": "synthetic", "b": "scratch",
                         "difference": 0.4, "ci": [0.25, 0.55], "clips": 40, "verdict": "synthetic better"}],
        "suites": {"motion": {"title": "proxy-motion", "kind": "proxy, low bias", "classes": 8},
                   "context": {"title": "proxy-context", "kind": "proxy, high bias", "classes": 8}},
    }


def test_table1_layout_ends_with_the_floors():
    text = table1(results_fixture()["rows"])
    lines = [l for l in text.splitlines() if l.startswith("| tsn_tiny")]
    assert [l.split(" | ")[1:3] for l in lines] == [
        ["synthetic", "FT"], ["synthetic", "LP"], ["context_biased", "FT"], ["context_biased", "LP"],
        ["random_init", "LP"], ["scratch", "FT"]]
    assert "| tsn_tiny | synthetic | FT | 70.0 [65.0, 75.0] | 50.0 [45.0, 55.0] |" in text
    marked = table1(results_fixture()["rows"], chance={"motion": 0.125, "context": 0.5})
    # context's interval [45, 55] reaches its 50% chance level; motion's [65, 75] does not.
    assert "| tsn_tiny | synthetic | FT | 70.0 [65.0, 75.0] | 50.0 [45.0, 55.0] † |" in marked


def test_table2_prints_nats_and_bits():
    text = table2(results_fixture()["bias"])
    assert "| motion | static-context | 20.0% | 12.5% | 0.47 | 0.68 |" in text


def test_write_report_md_and_standalone_html(tmp_path):
    results = results_fixture()
    md, html = write_report(results, tmp_path)
    text = md.read_text()
    assert "## Table 1" in text and "## Table 2" in text and "natural log" in text
    assert "not real data" in text
    assert "| tsn_tiny | proxy-motion | synthetic | scratch | FT | +40.0 [+25.0, +55.0] | 40 | synthetic better |" in text
    assert "Floors: `random_init` LP probes the same network's features at initialisation" in text
    assert (tmp_path / "figures" / "bias_vs_gap.png").stat().st_size > 5000
    assert (tmp_path / "figures" / "study_num_classes.png").is_file()
    page = html.read_text()
    assert page.count("data:image/png;base64,") == 2 and "<table>" in page
    assert "src='figures/" not in page  # self-contained
    json.dumps(results)  # the fixture is what results.json holds


def test_pretraining_table_shows_val_accuracy_against_chance():
    from synapt.report.tables import pretraining_table

    rows = [{"model": "r2plus1d_tiny", "pretrain": "synthetic", "classes": 12, "val_clips": 120, "val_top1": 0.6,
             "val_top1_ci": [0.51, 0.69], "chance": 1 / 12, "above_chance": True},
            {"model": "r2plus1d_tiny", "pretrain": "synthetic-c12_n50", "classes": 12, "val_clips": 60,
             "val_top1": 0.1, "val_top1_ci": [0.03, 0.18], "chance": 1 / 12, "above_chance": False}]
    text = pretraining_table(rows)
    assert "| r2plus1d_tiny | synthetic | 12 | 120 | 60.0 [51.0, 69.0] | 8.3 | yes, 7.2x chance |" in text
    assert "| r2plus1d_tiny | synthetic-c12_n50 | 12 | 60 | 10.0 [3.0, 18.0] | 8.3 | **no: at chance** |" in text
    results = results_fixture() | {"pretraining": rows}
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        md, _ = write_report(results, Path(folder))
        report = md.read_text()
    assert report.index("## Pre-training: did it learn?") < report.index("## Table 1")


def test_a_kfold_suite_is_reported_with_its_folds_and_group_pattern(tmp_path):
    from synapt.report.tables import folds_table

    results = results_fixture()
    folds = [{"fold": i + 1, "top1": acc, "top1_ci": [acc - 0.1, acc + 0.1], "test_clips": 20} for i, acc in
             enumerate((0.5, 0.7, 0.6))]
    for pretrain, mode in (("synthetic", "ft"), ("scratch", "ft")):
        results["rows"].append({"model": "tsn_tiny", "pretrain": pretrain, "downstream": "kth", "mode": mode,
                                "top1": 0.6, "top1_ci": [0.352, 0.848], "interval": "t over 3 folds",
                                "mean_class_acc": 0.6, "hparams": None, "folds": folds})
    results["suites"]["kth"] = {"title": "kth", "kind": "real", "description": "", "classes": None, "folds": 3,
                                "group": r"(person|actor)(\d+)", "protocol": r"k-fold (k=3, group-disjoint by ...)"}
    text = folds_table(results["rows"])
    assert "| model | suite | pre-training | mode | fold 1 | fold 2 | fold 3 | mean [95% CI over folds] |" in text
    assert "| tsn_tiny | kth | synthetic | FT | 50.0 | 70.0 | 60.0 | 60.0 [35.2, 84.8] |" in text
    md, html = write_report(results, tmp_path)
    report = md.read_text()
    assert r"| kth | real, k-fold (k=3, group-disjoint by `(person\|actor)(\d+)`) |" in report
    assert "A k-fold suite's accuracy is the mean over its folds" in report
    assert "### k-fold suites, fold by fold" in report and "not the difference of the fold means" in report
    # The escaped pipe stays inside its cell in the HTML.
    assert r"<td>real, k-fold (k=3, group-disjoint by <code>(person|actor)(\d+)</code>)</td>" in html.read_text()
    assert "k-fold" not in write_report(results_fixture(), tmp_path / "plain")[0].read_text()
