"""A generation worker that dies must fail the run with a clear error, never hang it."""

import subprocess
import sys
import textwrap


def test_dead_workers_fail_fast_with_the_likely_cause(tmp_path):
    # The commonest real cause: a script that starts workers without a __main__ guard, so every
    # spawned worker re-runs it and dies while bootstrapping.
    script = tmp_path / "no_guard.py"
    script.write_text(textwrap.dedent(f"""
        from synapt.sim import generate_dataset
        generate_dataset({str(tmp_path / "out")!r}, classes="clap", per_class=2, frames=4, size=32,
                         workers=2, progress=False)
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "a generation worker died" in done.stderr and "__main__" in done.stderr
