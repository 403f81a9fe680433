"""Run generation tasks on a Ray cluster (``synapt generate --ray ADDRESS``).

The tasks are the same :class:`dataset.ClipTask` values local workers run, so a clip made on
Ray is byte-identical to one made locally. Every Ray worker writes its clips straight into the
output folder, which must therefore be on a filesystem all nodes share; the driver rebuilds the
manifest from the sidecar rows when all tasks are done, as in a local run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from synapt.errors import UserError


def run_on_ray(tasks: list, out: str, *, address: str, task_fn: Callable[[object, str], dict]) -> Iterator[dict]:
    """Submit one Ray task per clip (1 CPU each) and yield each finished clip's row.

    Args:
        address: a cluster address (``host:port`` or ``auto``), or ``local`` to start a
            throw-away Ray instance on this machine.
        task_fn: ``task_fn(task, out) -> row``, run on the worker (``dataset.ray_task``: a
            module-level function, so Ray can ship it by reference).
    """
    try:
        import ray
    except ImportError:
        raise UserError("--ray needs Ray: pip install 'synapt[ray]' (or run without --ray)") from None
    if not ray.is_initialized():
        env = {"env_vars": {"LP_NUM_THREADS": "1", "MUJOCO_GL": "egl"}}
        try:
            if address == "local":
                ray.init(runtime_env=env, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, runtime_env=env, log_to_driver=False)
        except ConnectionError as err:
            raise UserError(f"cannot reach the Ray cluster at {address!r} ({err}); start it with `ray start --head`") from None
    remote = ray.remote(num_cpus=1, max_retries=2)(task_fn)
    pending = [remote.remote(task, out) for task in tasks]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        yield ray.get(done[0])
