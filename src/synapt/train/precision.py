"""Mixed precision: bf16 autocast on CPUs and GPUs that support it, fp16 (with a GradScaler)
on GPUs, fp32 otherwise.

fp16 also runs on a CPU, through the very ``GradScaler`` code a GPU run uses (torch's CPU scaler):
slow on CPUs without native fp16 arithmetic, but it lets the loss-scaling path (skipped steps on
overflow, scale in the checkpoint, exact resume) be checked on a machine without a GPU.
"""

from __future__ import annotations

import contextlib

import torch


def cpu_supports_bf16() -> bool:
    """Native bf16 matmul units (AVX512-BF16 or AMX); elsewhere bf16 autocast is emulated and slow."""
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check() for check in checks if check is not None)


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> bf16 where supported, else fp32 (CPU) or fp16 (GPU); the others are kept as asked."""
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_supports_bf16() else "fp32"
    return precision


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The forward-pass context for a resolved precision."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(precision: str, device: torch.device, *, init_scale: float) -> torch.amp.GradScaler:
    """fp16 gradients underflow without loss scaling; bf16 has fp32's range and needs none.

    The scale is dynamic, starting at ``init_scale`` (``optim.loss_scale``): a step whose gradients
    overflow is skipped and the scale halved.
    """
    return torch.amp.GradScaler(device.type, init_scale=init_scale, enabled=precision == "fp16")
