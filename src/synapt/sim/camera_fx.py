"""Camera and codec realism: what a real camera and encoder do to the rendered image.

Each clip draws its effects from ranges a user can set (:class:`CameraFxRanges`), records the
draw in ``params["camera_fx"]`` and applies it without further randomness:

    render (motion blur: extra renders across the exposure) -> defocus (Gaussian PSF)
    -> to linear light -> exposure gain and white balance, drifting over the clip -> vignetting
    -> shot and read noise -> back to display gamma -> uint8 -> H.264 at the clip's CRF

Modelling these is the "camera effects" form of domain randomisation (Carlson et al., *Modeling
Camera Effects to Improve Visual Learning from Synthetic Data*, ECCV-W 2018): a network trained on
clean renders meets blur, noise, colour casts and compression on its first real clip.

The draws come from a generator of their own (the clip seed with a fixed tag), so the scene,
actor and motion of a clip are the same with or without effects. Applying them uses only
elementwise arithmetic, ``sqrt`` and lookup tables built with Python's scalar ``math`` (no
vectorised transcendental functions, whose last bit can differ between CPUs), plus numpy's
platform-independent normal generator: a clip regenerates bit-identically anywhere.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from synapt.errors import UserError

# The draw's generator: SeedSequence([clip seed, FX_TAG]).
FX_TAG = 0xCA3E
GAMMA = 2.2
REFERENCE_SIZE = 112  # defocus sigmas and noise stds are stated per pixel of a 112 px frame


@dataclass(frozen=True)
class CameraFxRanges:
    """Where each clip draws its camera and codec effects from (uniform in every ``(lo, hi)``)."""

    motion_blur: float = 0.15  # probability that a clip's shutter stays open long enough to blur
    exposure: tuple[float, float] = (1 / 120, 1 / 30)  # seconds the shutter is open, in a blurred clip
    blur_samples: int = 3  # renders averaged per blurred frame (the frame's own included)
    defocus: tuple[float, float] = (0.0, 0.8)  # Gaussian PSF sigma, pixels at 112 px (scaled with size)
    # Noise stds are stated per pixel of a 112 px frame: a smaller frame is a downscaled view of
    # the same sensor, whose averaging shrinks the std in proportion to the side (x 64/112 at 64 px).
    read_noise: tuple[float, float] = (0.0, 0.01)  # std of signal-independent noise, fraction of full scale
    shot_noise: tuple[float, float] = (0.0, 0.03)  # std at full scale of noise growing as sqrt(signal)
    gain: tuple[float, float] = (0.75, 1.25)  # exposure gain at the first frame (linear light)
    gain_drift: tuple[float, float] = (-0.15, 0.15)  # change of the gain from first to last frame
    white_balance: tuple[float, float] = (0.0, 0.08)  # std of each channel's log gain
    white_balance_drift: tuple[float, float] = (0.0, 0.03)  # std of each channel's log-gain change over the clip
    vignette: tuple[float, float] = (0.0, 0.35)  # light lost at the frame corners
    crf: tuple[int, int] = (18, 28)  # x264 constant rate factor (higher: stronger compression)

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, row: dict | None, *, where: str = "camera_fx") -> CameraFxRanges:
        """Ranges from a mapping (a manifest's, or a user's YAML); missing keys keep the defaults.

        ``None`` gives :data:`NO_FX`: clips made before camera effects existed had none.
        """
        if row is None:
            return NO_FX
        if not isinstance(row, dict):
            raise UserError(f"{where}: expected a mapping of effect -> [low, high], got {type(row).__name__}")
        known = {f.name: f for f in fields(cls)}
        out = {}
        for key, value in row.items():
            if key not in known:
                raise UserError(f"{where}: unknown key {key!r} (keys: {', '.join(known)})")
            default = getattr(cls(), key)
            if isinstance(default, tuple):
                if not isinstance(value, (list, tuple)) or len(value) != 2:
                    raise UserError(f"{where}.{key}: give [low, high], e.g. {list(default)}")
                value = tuple(type(default[0])(v) for v in value)
            else:
                value = type(default)(value)
            out[key] = value
        return cls(**out).checked(where=where)

    def checked(self, *, where: str = "camera_fx") -> CameraFxRanges:
        """Validate every range (one clear error naming the key)."""
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, tuple) and v[0] > v[1]:
                raise UserError(f"{where}.{f.name}: low {v[0]} is above high {v[1]}")
        if not 0.0 <= self.motion_blur <= 1.0:
            raise UserError(f"{where}.motion_blur: {self.motion_blur} is not a probability in [0, 1]")
        if self.blur_samples < 2:
            raise UserError(f"{where}.blur_samples: {self.blur_samples}: need at least 2 renders per blurred frame")
        nonneg = ("exposure", "defocus", "read_noise", "shot_noise", "white_balance", "white_balance_drift", "vignette")
        for key in nonneg:
            if getattr(self, key)[0] < 0:
                raise UserError(f"{where}.{key}: {list(getattr(self, key))} must not be negative")
        if self.gain[0] <= 0 or self.gain[0] + min(self.gain_drift[0], 0.0) <= 0:
            raise UserError(f"{where}.gain: {list(self.gain)} with drift {list(self.gain_drift)} can reach a gain <= 0")
        if self.vignette[1] >= 1.0:
            raise UserError(f"{where}.vignette: {list(self.vignette)}: the corners would go black; keep it below 1")
        if not 0 <= self.crf[0] <= self.crf[1] <= 51:
            raise UserError(f"{where}.crf: {list(self.crf)}: x264's CRF runs from 0 to 51")
        return self


# No effects at all: exactly the renderer's pixels, CRF 23 (generator versions <= 3).
NO_FX = CameraFxRanges(motion_blur=0.0, exposure=(0.0, 0.0), defocus=(0.0, 0.0), read_noise=(0.0, 0.0),
                       shot_noise=(0.0, 0.0), gain=(1.0, 1.0), gain_drift=(0.0, 0.0), white_balance=(0.0, 0.0),
                       white_balance_drift=(0.0, 0.0), vignette=(0.0, 0.0), crf=(23, 23))
DEFAULT_FX = CameraFxRanges()
PRESETS = {"default": DEFAULT_FX, "none": NO_FX}


def resolve(spec: str | dict | CameraFxRanges | None) -> CameraFxRanges:
    """``"default"``, ``"none"``, a YAML file of ranges, a mapping, or ranges as they are."""
    if spec is None:
        return DEFAULT_FX
    if isinstance(spec, CameraFxRanges):
        return spec.checked()
    if isinstance(spec, dict):
        return CameraFxRanges.from_dict(spec)
    if spec in PRESETS:
        return PRESETS[spec]
    from pathlib import Path

    import yaml

    path = Path(spec)
    if not path.is_file():
        raise UserError(f"--camera-fx {spec!r}: not 'default', 'none' or a YAML file of ranges (e.g. crf: [18, 28])")
    return CameraFxRanges.from_dict(yaml.safe_load(path.read_text()) or {}, where=str(path))


def sample(seed: int, ranges: CameraFxRanges) -> dict:
    """One clip's draw (JSON-able; ``params["camera_fx"]``)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, FX_TAG]))

    def u(lo_hi) -> float:
        lo, hi = lo_hi
        return float(lo + (hi - lo) * rng.uniform())

    blurred = rng.uniform() < ranges.motion_blur
    exposure = u(ranges.exposure)
    gain = u(ranges.gain)
    wb_std, wb_drift = u(ranges.white_balance), u(ranges.white_balance_drift)
    wb = rng.normal(0.0, 1.0, 3) * wb_std
    wb_end = wb + rng.normal(0.0, 1.0, 3) * wb_drift
    fx = {
        "exposure_s": round(exposure, 6) if blurred else 0.0,
        "blur_samples": int(ranges.blur_samples) if blurred else 1,
        "defocus_px": round(u(ranges.defocus), 4),
        "read_noise": round(u(ranges.read_noise), 5),
        "shot_noise": round(u(ranges.shot_noise), 5),
        "gain": [round(gain, 4), round(gain + u(ranges.gain_drift), 4)],
        # log gains of R, G, B at the first and the last frame, without the mean (the gain's job)
        "white_balance": [[round(float(v), 4) for v in wb - wb.mean()], [round(float(v), 4) for v in wb_end - wb_end.mean()]],
        "vignette": round(u(ranges.vignette), 4),
        "crf": int(round(u(ranges.crf))),
        "noise_seed": int(rng.integers(0, 2**31 - 1)),
    }
    return fx


def is_identity(fx: dict) -> bool:
    """Whether ``fx`` leaves the pixels as rendered (only the CRF may differ)."""
    wb = fx["white_balance"]
    return (fx["defocus_px"] == 0 and fx["read_noise"] == 0 and fx["shot_noise"] == 0 and fx["gain"] == [1.0, 1.0]
            and not any(wb[0]) and not any(wb[1]) and fx["vignette"] == 0)  # fmt: skip


def exposure_offsets(fx: dict) -> list[float]:
    """Seconds before the frame time at which the extra renders of a blurred frame are taken."""
    k = fx["blur_samples"]
    if fx["exposure_s"] <= 0 or k < 2:
        return []
    return [fx["exposure_s"] * j / (k - 1) for j in range(1, k)]


# Display <-> linear light through tables built with scalar math (bit-identical on every CPU).
_TO_LINEAR = np.array([math.pow(v / 255.0, GAMMA) for v in range(256)], dtype=np.float32)
# Back to codes through sqrt (correctly rounded everywhere) and a table over sqrt(linear), in
# which the display curve is nearly straight (y ** 0.91), so 4096 steps resolve every code: each
# of the 256 codes comes back as itself.
_SQRT_STEPS = 4096
_TO_CODE = np.array([round(255.0 * math.pow(i / (_SQRT_STEPS - 1), 2.0 / GAMMA)) for i in range(_SQRT_STEPS)],
                    dtype=np.uint8)


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(math.ceil(3.0 * sigma)))
    k = np.array([math.exp(-0.5 * (i / sigma) ** 2) for i in range(-radius, radius + 1)], dtype=np.float32)
    return k / k.sum(dtype=np.float32)


def _blur_axis(x: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """Separable convolution along ``axis`` with edge-replicated borders (scipy's plain C loop)."""
    from scipy.ndimage import correlate1d

    return correlate1d(x, kernel, axis=axis, mode="nearest", output=np.float32)


def to_codes(lin: np.ndarray) -> np.ndarray:
    """Linear light (float32, clipped to [0, 1]) to display codes (uint8)."""
    y = np.sqrt(np.clip(lin, 0.0, 1.0, out=lin), out=lin)
    y *= _SQRT_STEPS - 1
    y += 0.5
    return _TO_CODE[y.astype(np.int32)]


def apply(rgb: np.ndarray, fx: dict) -> np.ndarray:
    """Apply one clip's draw to its ``(T, H, W, 3)`` frames (float or uint8 in display units 0-255).

    Frame by frame, so the working set stays in cache.
    """
    if is_identity(fx):
        return np.asarray(rgb).round().clip(0, 255).astype(np.uint8) if rgb.dtype != np.uint8 else rgb
    t, h, w, _ = rgb.shape
    sigma = fx["defocus_px"] * h / REFERENCE_SIZE
    kernel = _gaussian_kernel(sigma) if sigma > 0.05 else None
    # exposure gain x white balance per frame and channel, times the vignette per pixel
    g0, g1 = fx["gain"]
    wb0, wb1 = fx["white_balance"]
    ramp = [f / (t - 1) if t > 1 else 0.0 for f in range(t)]
    scale = np.array([[(g0 + a * (g1 - g0)) * math.exp(wb0[c] + a * (wb1[c] - wb0[c])) for c in range(3)] for a in ramp],
                     dtype=np.float32)
    vignette = None
    if fx["vignette"] > 0:
        yy = (np.arange(h, dtype=np.float32) - (h - 1) / 2) / ((h - 1) / 2)
        xx = (np.arange(w, dtype=np.float32) - (w - 1) / 2) / ((w - 1) / 2)
        vignette = (1.0 - fx["vignette"] * (yy[:, None] ** 2 + xx[None, :] ** 2) / 2.0)[:, :, None]  # corners: 1 - v
    noisy = fx["read_noise"] > 0 or fx["shot_noise"] > 0
    rng = np.random.default_rng(fx["noise_seed"]) if noisy else None
    per_pixel = h / REFERENCE_SIZE
    shot2, read2 = np.float32((fx["shot_noise"] * per_pixel) ** 2), np.float32((fx["read_noise"] * per_pixel) ** 2)
    out = np.empty((t, h, w, 3), dtype=np.uint8)
    for f in range(t):
        if rgb.dtype == np.uint8:
            lin = _TO_LINEAR[rgb[f]]
        else:  # averaged exposure samples: interpolate the table between codes
            x = np.clip(rgb[f].astype(np.float32), 0.0, 255.0)
            lo = np.minimum(x.astype(np.int32), 254)  # floor: x >= 0
            base = _TO_LINEAR[lo]
            lin = base + (x - lo.astype(np.float32)) * (_TO_LINEAR[lo + 1] - base)
        if kernel is not None:
            lin = _blur_axis(_blur_axis(lin, kernel, 0), kernel, 1)
        gain = scale[f] if vignette is None else vignette * scale[f]
        lin *= gain
        if noisy:
            std = np.maximum(lin, 0.0)
            std *= shot2
            std += read2
            np.sqrt(std, out=std)
            std *= rng.standard_normal(lin.shape, dtype=np.float32)
            lin += std
        out[f] = to_codes(lin)
    return out
