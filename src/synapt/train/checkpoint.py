"""Checkpoint files: one ``torch.save``d dict, written atomically, read with ``weights_only=True``.

    {model: state_dict, optimizer, scheduler, epoch, step, rng, config,
     meta: {arch, num_frames, mean, std, class_names, source, version, mode},
     position: {batch, best}}

``epoch`` is the epoch in progress and ``position.batch`` the number of its batches already
consumed (0 at an epoch start), so a resume can skip exactly those. ``rng`` is a list with the
RNG states of every rank, each as tensors and plain ints, because ``weights_only`` loading
refuses numpy objects. Everything in the file is tensors and plain data: a file that holds a
pickled callable is refused, never executed.
"""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synapt import __version__
from synapt.errors import UserError
from synapt.io import atomic_write_bytes, torch_load_safely

CHECKPOINT_VERSION = 1


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (temp file, fsync, rename).

    A crash while writing leaves the previous file intact, which is what makes ``last.pt``
    always loadable after a SIGKILL.
    """
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; refuse anything that is not plain data.

    Raises:
        UserError: the file is missing, truncated, or carries pickled Python objects.
    """
    path = Path(path)
    state = torch_load_safely(path, what="checkpoint")
    if not isinstance(state, dict):
        raise UserError(f"checkpoint {path} is a {type(state).__name__}, expected a dict with a 'model' state_dict")
    return state


def model_state_dict(state: dict[str, Any], *, path: str | Path) -> dict[str, torch.Tensor]:
    """The model weights of a loaded checkpoint: ``state["model"]``, or ``state`` itself when the
    file is a bare state_dict (as torchvision's are)."""
    weights = state.get("model", state)
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise UserError(f"checkpoint {path}: 'model' is not a state_dict of tensors")
    return weights


def make_meta(
    *, arch: str, num_frames: int, mean: list[float], std: list[float], class_names: list[str], mode: str,
    size: int,
) -> dict[str, Any]:
    """The ``meta`` entry: what a later user of the checkpoint needs to feed it correctly."""
    return {
        "arch": arch,
        "num_frames": int(num_frames),
        "size": int(size),
        "mean": [float(m) for m in mean],
        "std": [float(s) for s in std],
        "class_names": list(class_names),
        "source": "synapt",
        "mode": mode,
        "version": __version__,
        "checkpoint_version": CHECKPOINT_VERSION,
    }


def rng_state() -> dict[str, Any]:
    """This process's torch, CUDA, numpy and Python RNG states, as tensors and plain ints."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
