"""A training job for the distributed test, run as ``torchrun ... ddp_job.py OUT BATCH WEIGHTS``
or plain ``python ddp_job.py ...`` (one process).

It runs a linear probe through the loop (frozen backbone, BatchNorm in eval mode and no dropout,
so the gradient of a batch split over two ranks equals that of the whole batch), the same in fp16
with its GradScaler (the GPU recipe), and a cached probe, on toy clips with an odd test set (11 videos) so that the sampler pads and the scores
must be de-duplicated by video index.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synapt.config import load_config  # noqa: E402
from synapt.train.loop import train  # noqa: E402
from tinyvideo import tiny_builder, toy_datasets  # noqa: E402

out, batch, weights = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
common = ["model.name=tiny", "data.workers=0", "data.num_frames=4", "data.size=16", f"optim.batch_size={batch}",
          "optim.lr=0.5", "schedule.epochs=2", "eval.batch_size=2", "eval.num_clips=2", "model.dropout=0.0",
          "mode=linear_probe", f"model.weights={weights}"]
for name, extra in (("loop", ["probe.cache=false"]),
                    ("loop_fp16", ["probe.cache=false", "precision=fp16", "optim.loss_scale=1048576"]),
                    ("cached", ["probe.lrs=[0.1, 1.0]", f"probe.cache_dir={out / 'cache'}"])):
    train(load_config(None, common + extra), out_dir=out / name, datasets=toy_datasets(train=24, val=9, test=11),
          builder=tiny_builder, progress=False)

from synapt.train.distributed import setup_distributed, teardown_distributed  # noqa: E402

teardown_distributed(setup_distributed())
