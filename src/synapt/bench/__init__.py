"""synapt.bench: the scientific benchmark (``synapt benchmark``) and the tools it is built from.

Tools, each usable alone: ``curate`` (class maps, balanced and nested sets, grouped splits),
``bias`` (B = ln(M / M_rnd)), ``sweep`` (grids of training runs, selection on val), ``validity``
(single-frame and twin-class gates), ``presets`` (tiny, small, paper), ``progress`` (one bar,
JSON events). The benchmark itself: ``job`` (every stage in order, results.json, the report),
``runner`` and ``stages`` (stages keyed by config, reused or planned), ``classes`` (the class
split), ``generated`` and ``real`` (datasets), ``training`` (pre-training and transfer),
``bias_stage`` (static encoders and B inside the benchmark), ``studies``, ``rows`` (result rows,
paired comparisons) and ``plan`` (the dry run's table). Speed benchmarks are ``synapt.speed``.
"""
