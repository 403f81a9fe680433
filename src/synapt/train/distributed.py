"""torchrun in a few lines: who am I, which device, and gathering evaluation scores by video.

``torchrun --nproc_per_node N`` sets RANK, WORLD_SIZE and LOCAL_RANK in every process; a plain
``python``/``synapt`` run has none of them and is a world of one. NCCL is the backend on GPUs,
gloo on CPU.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistEnv:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        # Logging, checkpoints and the progress bar happen on rank 0 only.
        return self.rank == 0


def setup_distributed() -> DistEnv:
    """Join the process group when launched by torchrun; otherwise a single process."""
    cuda = torch.cuda.is_available()
    if "RANK" not in os.environ or int(os.environ.get("WORLD_SIZE", "1")) == 1:
        return DistEnv(device=torch.device("cuda", 0) if cuda else torch.device("cpu"))
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        # Evaluation of a big test set on rank 0 can outlast the default 10-minute timeout.
        dist.init_process_group("nccl" if cuda else "gloo", timeout=datetime.timedelta(minutes=60))
    device = torch.device("cpu")
    if cuda:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    return DistEnv(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def teardown_distributed(env: DistEnv) -> None:
    if env.enabled and dist.is_initialized():
        dist.destroy_process_group()


def all_true(flag: bool, env: DistEnv) -> bool:
    """True when ``flag`` holds on every rank (one tiny all-reduce), so all ranks take the same
    branch and none is left waiting in a collective."""
    if not env.enabled:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=env.device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item() > 0)


def all_gather_objects(obj, env: DistEnv) -> list:
    """Every rank's ``obj``, in rank order (``[obj]`` in a single process)."""
    if not env.enabled:
        return [obj]
    gathered: list = [None] * env.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def gather_by_index(
    indices: np.ndarray, scores: np.ndarray, labels: np.ndarray, env: DistEnv
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collect per-video results from every rank, keyed by dataset index.

    A distributed sampler pads the dataset so every rank gets the same number of videos; the
    padding repeats some videos, so results are deduplicated by index (first copy kept) and
    sorted, which makes the result identical to a single process's.
    """
    parts = all_gather_objects((indices, scores, labels), env)
    all_indices = np.concatenate([p[0] for p in parts])
    all_scores = np.concatenate([p[1] for p in parts])
    all_labels = np.concatenate([p[2] for p in parts])
    unique, first = np.unique(all_indices, return_index=True)
    return unique, all_scores[first], all_labels[first]
