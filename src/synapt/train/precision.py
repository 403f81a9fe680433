"""Mixed precision: bf16 autocast on CPUs and GPUs that support it, fp16 (with a GradScaler)
on GPUs, fp32 otherwise."""

from __future__ import annotations

import contextlib

import torch

from synapt.errors import UserError


def cpu_supports_bf16() -> bool:
    """Native bf16 matmul units (AVX512-BF16 or AMX); elsewhere bf16 autocast is emulated and slow."""
    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(check() for check in checks if check is not None)


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> bf16 where supported, else fp32 (CPU) or fp16 (GPU); checks the others."""
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if cpu_supports_bf16() else "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise UserError("precision=fp16 needs a GPU (CPU autocast is bf16): set precision=bf16 or precision=auto")
    return precision


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The forward-pass context for a resolved precision."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler:
    """fp16 gradients underflow without loss scaling; bf16 has fp32's range and needs none."""
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
