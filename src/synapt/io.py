"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Every stage that writes results (manifests, checkpoints, caches, reports) goes through here:
write to a temporary file in the same folder, flush and fsync it, then ``os.replace`` it over
the target, which is atomic on POSIX filesystems.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; it replaces ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; datasets and runs are shared read-only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path, "w") as handle:
        handle.write(text)


def torch_load_safely(path: str | os.PathLike, *, what: str = "checkpoint"):
    """``torch.load(path, weights_only=True)`` with one-line errors for the ways it fails.

    A file that pickles Python objects (callables, classes) is refused and the objects are
    named, without running any of them; a missing or truncated file says so.

    Args:
        what: how the error names the file ("checkpoint", "weights file").
    """
    import pickle
    import re

    import torch

    from synapt.errors import UserError

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} {path} not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        try:  # names every global the pickle refers to, without running any of them
            culprits = ", ".join(torch.serialization.get_unsafe_globals_in_checkpoint(path))
        except Exception:  # noqa: BLE001 (not a zip archive, odd torch): fall back on the message
            found = re.search(r"GLOBAL (\S+)", str(err))
            culprits = found.group(1) if found else ""
        if not culprits:  # not a pickle of objects at all: junk or a foreign format
            raise UserError(f"{what} {path} cannot be read (not a PyTorch tensor file); is it truncated?") from None
        raise UserError(
            f"{what} {path} holds pickled Python objects ({culprits}) that weights_only=True loading refuses; "
            "re-save only the tensors (torch.save(model.state_dict(), ...)) from a source you trust"
        ) from None
    except (RuntimeError, EOFError, OSError) as err:
        raise UserError(f"{what} {path} cannot be read ({str(err).splitlines()[0]}); is it truncated?") from None
