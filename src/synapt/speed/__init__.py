"""synapt.speed: the speed benchmark of each stage, run as ``synapt speed <stage>``.

Each measures synapt's path against a bare baseline in one run and reports their ratio, so a
result holds on a busy machine too; none passes or fails on an absolute time.

- ``generate``: the generator end to end against a bare physics + render loop; 2 workers vs 1.
- ``data``: the fast decode path against naive PyAV; the loader against TSN-R50 training.
- ``models``: each backbone's training GFLOP/s against the machine's conv ceiling; bf16.
- ``train``: the training loop against a bare loop; data wait; the cached probe grid.

``clips`` writes the H.264 clips the ``data`` and ``train`` benchmarks (and tests) decode.
"""
