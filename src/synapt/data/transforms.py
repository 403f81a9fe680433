"""Spatial transforms on uint8 clips ``(T, C, H, W)``, in torch (no torchvision).

Crops are computed as boxes ``(top, left, height, width)`` in pixels of the frame the reader
returned, by pure functions; one :func:`crop_resize` then cuts and scales. Cropping before
resizing gives the same picture as mmaction2's "resize short side to 256, then crop 224" while
only ever resizing the small crop.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange

Box = tuple[int, int, int, int]  # top, left, height, width (pixels)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
HALF_MEAN = (0.5, 0.5, 0.5)
HALF_STD = (0.5, 0.5, 0.5)
NORMALISATIONS = {"imagenet": (IMAGENET_MEAN, IMAGENET_STD), "half": (HALF_MEAN, HALF_STD)}

MULTI_SCALES = (1.0, 0.875, 0.75, 0.66)
# Test-time centre crop keeps 224/256 of the short side, like "resize 256, centre crop 224".
CENTER_CROP_FRACTION = 224 / 256


def resize(clip: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize ``(N, C, H, W)`` frames to ``size = (height, width)`` pixels, bilinear, antialiased."""
    size = tuple(size)
    if tuple(clip.shape[-2:]) == size:
        return clip
    # Antialiasing only changes a shrink; enlarging without it is the same picture, faster.
    shrink = size[0] < clip.shape[-2] or size[1] < clip.shape[-1]
    frames, channels, height, width = clip.shape
    cl_ready = channels in (3, 4) and clip.is_contiguous(memory_format=torch.channels_last)
    if clip.dtype != torch.uint8 or cl_ready:
        return F.interpolate(clip, size=size, mode="bilinear", antialias=shrink, align_corners=False)
    # PyTorch's fast uint8 kernel wants 3 or 4 interleaved channels. Every plane is resized on
    # its own, so planes are regrouped four at a time as the channels of a channels-last batch
    # (measured 2x faster for 1- and 2-channel planes, identical output).
    planes = clip.reshape(frames * channels, height, width)  # a view when the layout allows
    count = len(planes)
    groups = -(-count // 4)
    # One copy into the grouped channels-last layout (plain views, not einops: this runs several
    # times per clip and einops' call overhead was measurable at these sizes).
    grouped = torch.empty((groups, 4, height, width), dtype=clip.dtype, memory_format=torch.channels_last)
    if count == groups * 4:
        grouped.copy_(planes.view(groups, 4, height, width) if planes.is_contiguous() else planes.reshape(groups, 4, height, width))
    else:
        grouped.zero_()
        for index in range(count):
            grouped[index // 4, index % 4] = planes[index]
    out = F.interpolate(grouped, size=size, mode="bilinear", antialias=shrink, align_corners=False)
    return out.contiguous().view(-1, *size)[: frames * channels].view(frames, channels, *size)


def resize_short_side(clip: torch.Tensor, short: int) -> torch.Tensor:
    """Resize so the shorter side is ``short`` pixels, keeping the aspect ratio."""
    height, width = clip.shape[-2:]
    if height <= width:
        size = (short, max(1, round(width * short / height)))
    else:
        size = (max(1, round(height * short / width)), short)
    return resize(clip, size)


def crop_resize(clip: torch.Tensor, box: Box, size: int | tuple[int, int]) -> torch.Tensor:
    """Cut ``box`` out of every frame and resize it to ``size`` pixels (square if an int)."""
    top, left, height, width = box
    out = clip[..., top : top + height, left : left + width]
    target = (size, size) if isinstance(size, int) else size
    return resize(out, target)


def center_crop_box(height: int, width: int, crop_height: int, crop_width: int) -> Box:
    """The centred ``crop_height x crop_width`` box of a ``height x width`` frame."""
    crop_height, crop_width = min(crop_height, height), min(crop_width, width)
    return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width


def center_box(height: int, width: int, *, fraction: float = CENTER_CROP_FRACTION) -> Box:
    """The centred square whose side is ``fraction`` of the short side (test-time single crop)."""
    side = max(1, round(min(height, width) * fraction))
    return center_crop_box(height, width, side, side)


def three_crop_boxes(height: int, width: int) -> list[Box]:
    """Three squares of the short side's size at the start, centre and end of the long side.

    Together they cover the whole frame (mmaction2's ThreeCrop after a short-side resize).
    """
    side = min(height, width)
    if width >= height:
        return [(0, left, side, side) for left in (0, (width - side) // 2, width - side)]
    return [(top, 0, side, side) for top in (0, (height - side) // 2, height - side)]


def multi_scale_crop_box(
    height: int,
    width: int,
    *,
    rng: np.random.Generator,
    scales: Sequence[float] = MULTI_SCALES,
    max_distort: int = 1,
    fix_crop: bool = True,
) -> Box:
    """TSN's multi-scale crop: width and height each a scale of the short side.

    Args:
        height, width: frame size in pixels.
        rng: random generator.
        scales: fractions of the short side (TSN: 1, .875, .75, .66).
        max_distort: how many scale steps width and height may differ (aspect jitter).
        fix_crop: place the box at a corner or the centre (TSN) instead of anywhere.
    """
    base = min(height, width)
    sizes = [max(1, int(base * s)) for s in scales]
    pairs = [(h, w) for i, h in enumerate(sizes) for j, w in enumerate(sizes) if abs(i - j) <= max_distort]
    crop_h, crop_w = pairs[rng.integers(len(pairs))]
    if fix_crop:
        dy, dx = (height - crop_h) // 2, (width - crop_w) // 2
        # corners and centre, in units of half the free space
        corners = [(0, 0), (0, 2), (2, 0), (2, 2), (1, 1)]
        oy, ox = corners[rng.integers(len(corners))]
        return oy * dy, ox * dx, crop_h, crop_w
    return int(rng.integers(height - crop_h + 1)), int(rng.integers(width - crop_w + 1)), crop_h, crop_w


def random_resized_crop_box(
    height: int,
    width: int,
    *,
    rng: np.random.Generator,
    area: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    attempts: int = 10,
) -> Box:
    """Inception-style crop: a random fraction ``area`` of the frame with aspect in ``ratio``.

    Falls back to the centred largest box of an allowed aspect after ``attempts`` misses.
    """
    frame_area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(attempts):
        target = frame_area * rng.uniform(*area)
        aspect = math.exp(rng.uniform(*log_ratio))
        crop_w = round(math.sqrt(target * aspect))
        crop_h = round(math.sqrt(target / aspect))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            return int(rng.integers(height - crop_h + 1)), int(rng.integers(width - crop_w + 1)), crop_h, crop_w
    aspect = min(max(width / height, ratio[0]), ratio[1])
    crop_w = min(width, round(height * aspect))
    crop_h = min(height, round(crop_w / aspect))
    return center_crop_box(height, width, crop_h, crop_w)


def light_crop_box(
    height: int,
    width: int,
    *,
    rng: np.random.Generator,
    scale: tuple[float, float] = (0.8, 1.0),
) -> Box:
    """A square of ``scale`` (uniform) times the short side, placed uniformly in the frame.

    The augmentation small frames tolerate: at 64 px a subject 15-30 px tall keeps its whole
    body in at least 80% of the frame, where TSN's 66% corner crops often cut it out.
    """
    side = max(1, round(min(height, width) * rng.uniform(*scale)))
    return int(rng.integers(height - side + 1)), int(rng.integers(width - side + 1)), side, side


def full_box(height: int, width: int) -> Box:
    """The centred square of the short side (no spatial augmentation)."""
    side = min(height, width)
    return center_crop_box(height, width, side, side)


@dataclasses.dataclass(frozen=True)
class CropPolicy:
    """A training crop and the evaluation centre crop that matches it in object scale.

    ``center_fraction`` is the side of the single test view as a fraction of the short side:
    mmaction2's "resize 256, centre crop 224" (0.875) after multi-scale training, the mean
    training scale (0.9) after light crops, the whole square after none.
    """

    name: str
    description: str
    center_fraction: float
    box: Callable[..., Box]  # box(height, width, rng=...) -> the training crop

    def train_box(self, height: int, width: int, rng: np.random.Generator) -> Box:
        return self.box(height, width, rng=rng)


CROP_POLICIES = {
    "multiscale": CropPolicy("multiscale", "TSN multi-scale corner crops, 66-100% of the short side",
                             CENTER_CROP_FRACTION, multi_scale_crop_box),
    "random_resized": CropPolicy("random_resized", "Inception crops, 8-100% of the area, aspect 3/4-4/3",
                                 CENTER_CROP_FRACTION, random_resized_crop_box),
    "light": CropPolicy("light", "square of 80-100% of the short side, placed anywhere", 0.9, light_crop_box),
    "none": CropPolicy("none", "the whole centred square", 1.0, lambda height, width, rng: full_box(height, width)),
}
# At and below this output size, "auto" means "none": measured in docs/training.md, every crop
# policy slowed learning of small generated actors (64 px: none 50% val, light 33%, TSN corners 18%).
SMALL_FRAME = 112


def resolve_crop_policy(name: str, *, size: int) -> CropPolicy:
    """The policy ``name`` names; ``"auto"`` is ``none`` for ``size <= 112`` px, else ``multiscale``."""
    if name == "auto":
        name = "none" if size <= SMALL_FRAME else "multiscale"
    if name not in CROP_POLICIES:
        raise ValueError(f"train_crop must be auto or one of {', '.join(CROP_POLICIES)}, not {name!r}")
    return CROP_POLICIES[name]


def hflip(clip: torch.Tensor) -> torch.Tensor:
    """Mirror every frame left-right."""
    return clip.flip(-1)


def flipped_label(label: int, flip_map: Mapping[int, int | None]) -> int | None:
    """The label of a mirrored clip: ``flip_map[label]`` if listed, else unchanged.

    Returns None for a class mapped to None: such a clip must not be flipped at all.
    """
    if label in flip_map:
        return flip_map[label]
    return label


def resolve_flip_map(flip_map: Mapping | None, class_names: Sequence[str] | None) -> dict[int, int | None]:
    """A flip map by class index from one by index or by class name (needs ``class_names``)."""
    if not flip_map:
        return {}
    if all(isinstance(k, (int, np.integer)) for k in flip_map):
        return {int(k): (None if v is None else int(v)) for k, v in flip_map.items()}
    if class_names is None:
        raise ValueError("a flip map by class name needs class_names= to turn names into labels")
    index = {name: i for i, name in enumerate(class_names)}
    resolved: dict[int, int | None] = {}
    for name, partner in flip_map.items():
        if name not in index:
            raise ValueError(f"flip map names unknown class {name!r}")
        if partner is not None and partner not in index:
            raise ValueError(f"flip map maps {name!r} to unknown class {partner!r}")
        resolved[index[name]] = None if partner is None else index[partner]
    return resolved


def normalize(clip: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 ``(T, C, H, W)`` -> float32 ``(x / 255 - mean) / std`` per channel."""
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1) * 255.0
    scale = 1.0 / (torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1) * 255.0)
    return clip.to(torch.float32).sub_(mean_t).mul_(scale)


def to_layout(clip: torch.Tensor, layout: str) -> torch.Tensor:
    """``(T, C, H, W)`` -> ``"TCHW"`` (2-D models, frames as a batch) or ``"CTHW"`` (3-D models)."""
    if layout == "TCHW":
        return clip
    if layout == "CTHW":
        return rearrange(clip, "t c h w -> c t h w").contiguous()
    raise ValueError(f"layout must be 'TCHW' or 'CTHW', not {layout!r}")


# -- fused path: crop and resize the YUV planes, then convert and normalise in one affine map --
#
# Resizing is linear and colour conversion affine, so they commute (up to rounding and the final
# clamp): cropping and resizing the luma plane and the half-size chroma planes straight to the
# output size, then converting, gives the picture of "convert, crop, resize" while converting
# only output pixels and getting bilinear chroma upsampling from the resize itself.

# Luma weights (Kr, Kb) of the colour matrices.
_KR_KB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}


def even_box(box: Box) -> Box:
    """``box`` with even top, left, height and width, so it falls on whole 4:2:0 chroma samples."""
    top, left, height, width = box
    return top - top % 2, left - left % 2, max(2, height - height % 2), max(2, width - width % 2)


@functools.lru_cache(maxsize=8)
def yuv_to_rgb_affine(matrix: str, full_range: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``(M, offset)`` with ``rgb = M @ (Y, Cb, Cr) + offset`` for 8-bit values (0-255 scale)."""
    kr, kb = _KR_KB[matrix]
    kg = 1.0 - kr - kb
    ys, cs, y0 = (1.0, 1.0, 0.0) if full_range else (255.0 / 219.0, 255.0 / 224.0, 16.0)
    m = torch.tensor(
        [
            [ys, 0.0, (2.0 - 2.0 * kr) * cs],
            [ys, -2.0 * kb * (1.0 - kb) / kg * cs, -2.0 * kr * (1.0 - kr) / kg * cs],
            [ys, (2.0 - 2.0 * kb) * cs, 0.0],
        ],
        dtype=torch.float32,
    )
    offset = -(m @ torch.tensor([y0, 128.0, 128.0]))
    return m, offset


@functools.lru_cache(maxsize=16)
def _normalised_affine(matrix: str, full_range: bool, mean: tuple, std: tuple):
    """The YUV->RGB map with the normalisation folded in, and each channel's normalised [0, 255]."""
    m, offset = yuv_to_rgb_affine(matrix, full_range)
    scale = torch.tensor([1.0 / (s * 255.0) for s in std])
    shifts = [float(offset[c] * scale[c]) - mean[c] / std[c] for c in range(3)]
    bounds = [(-mean[c] / std[c], (1.0 - mean[c]) / std[c]) for c in range(3)]
    return m * scale[:, None], shifts, bounds


def yuv_crop_resize_normalize(
    luma: torch.Tensor,
    chroma: torch.Tensor,
    box: Box,
    size: int,
    *,
    matrix: str,
    full_range: bool,
    mean: Sequence[float],
    std: Sequence[float],
    layout: str = "CTHW",
    flip: bool = False,
) -> torch.Tensor:
    """Crop ``box`` (even-aligned, see :func:`even_box`) from 4:2:0 planes, resize to ``size``,
    convert to RGB, clamp to [0, 255] and normalise.

    Args:
        luma: ``(T, H, W)`` uint8.
        chroma: ``(T, 2, ceil(H/2), ceil(W/2))`` uint8 (Cb, Cr).
        box: ``(top, left, height, width)`` in luma pixels, all even.
        size: output height and width, pixels.
        matrix, full_range: the video's colour matrix and range.
        mean, std: per-channel normalisation of values in [0, 1].
        layout: ``"CTHW"`` or ``"TCHW"``.
        flip: mirror left-right.

    Returns:
        float32 ``(3, T, size, size)`` or ``(T, 3, size, size)``.
    """
    top, left, height, width = box
    y = resize(luma[:, None, top : top + height, left : left + width], (size, size))
    ctop, cleft = top // 2, left // 2
    uv = resize(chroma[:, :, ctop : ctop + (height + 1) // 2, cleft : cleft + (width + 1) // 2], (size, size))
    frames = luma.shape[0]
    # Channels first over the whole clip (a uint8 copy, cheap): one matrix product then converts
    # every pixel, with the normalisation folded into the matrix, and the [0, 255] clamp of RGB
    # becomes a clamp to each channel's normalised range.
    yuv = torch.empty((3, frames, size, size), dtype=torch.uint8)
    yuv[0] = y[:, 0]
    yuv[1:] = uv.transpose(0, 1)  # (t c h w) -> (c t h w)
    if flip:
        yuv = yuv.flip(-1)  # mirror while the clip is still uint8: a quarter of the bytes
    m, shifts, bounds = _normalised_affine(matrix, full_range, tuple(mean), tuple(std))
    out = torch.mm(m, yuv.view(3, -1).to(torch.float32))
    for c in range(3):
        out[c].add_(shifts[c]).clamp_(*bounds[c])
    clip = out.view(3, frames, size, size)
    return clip if layout == "CTHW" else rearrange(clip, "c t h w -> t c h w").contiguous()
