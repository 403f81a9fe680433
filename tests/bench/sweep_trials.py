"""Trial functions for the sweep tests (module-level so spawned workers can import them)."""

from pathlib import Path

import numpy as np


def logistic_trial(config: dict, folder: Path) -> dict:
    """Gradient descent on a fixed 2-class problem; lr and weight decay change the outcome."""
    if config["optim"]["lr"] < 0:
        raise ValueError("negative learning rate")
    rng = np.random.default_rng(config["seed"])
    x = rng.normal(size=(200, 5))
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0, 0.0]) > 0).astype(float)
    w = np.zeros(5)
    for _ in range(config["epochs"]):
        p = 1 / (1 + np.exp(-np.clip(x[:100] @ w, -30, 30)))
        w -= config["optim"]["lr"] * (x[:100].T @ (p - y[:100]) / 100 + config["optim"]["weight_decay"] * w)
    (folder / "calls.txt").open("a").write("run\n")
    acc = lambda xs, ys: float((((xs @ w) > 0) == ys).mean())  # noqa: E731
    return {"val": {"top1": acc(x[100:150], y[100:150])}, "test": {"top1": acc(x[150:], y[150:])}}
