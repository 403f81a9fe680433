"""A slow little training job for the SIGKILL test: ``python resume_job.py OUT [--resume]``.

Clips take 100 ms each (with --slow) to "decode", two loader workers whose seeds enter the augmentation (as in
VideoClipDataset), a checkpoint every 3 steps (so the resume point is an odd batch), dropout on:
everything an exact resume has to get right.
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synapt.config import load_config  # noqa: E402
from synapt.train.loop import train  # noqa: E402
from tinyvideo import tiny_builder, toy_datasets  # noqa: E402

OVERRIDES = ["model.name=tiny", "data.workers=2", "data.num_frames=4", "data.size=16", "optim.batch_size=4",
             "optim.lr=0.05", "schedule.epochs=3", "schedule.warmup_epochs=0.5", "eval.batch_size=4",
             "checkpoint_every=3", "model.dropout=0.5"]

if __name__ == "__main__":
    torch.set_num_threads(1)
    delay = 0.1 if len(sys.argv) > 2 and sys.argv[2] == "--slow" else 0.0
    train(load_config(None, OVERRIDES), out_dir=Path(sys.argv[1]), resume="--resume" in sys.argv,
          datasets=toy_datasets(delay=delay, worker_seeded=True), builder=tiny_builder, progress=False)
