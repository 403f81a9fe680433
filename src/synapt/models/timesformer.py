"""TimeSformer with divided space-time attention (Bertasius et al. 2021), ViT-B/16 at 8x224.

Keys follow the official implementation (facebookresearch/TimeSformer, ``timesformer/models/vit.py``):
``patch_embed.proj``, ``cls_token``, ``pos_embed``, ``time_embed``, ``blocks.N.norm1``,
``blocks.N.attn.qkv``, ``blocks.N.attn.proj``, ``blocks.N.temporal_norm1``,
``blocks.N.temporal_attn.qkv/proj``, ``blocks.N.temporal_fc``, ``blocks.N.norm2``,
``blocks.N.mlp.fc1/fc2``, ``norm``; two differences, both mechanical: the official wrapper's
``model.`` prefix is not there, and the head is ``fc`` (synapt's contract) where the official
file says ``head``. ``synapt.models.weights.timesformer_official_to_synapt`` maps the two.

Tokens are one class token followed by the patch tokens of every frame, ordered ``(n t)`` as
in the official code. One block:

    x (B, 1 + N*T, D)
      time:  patches 'b (n t) d -> (b n) t d'  -> temporal_norm1 -> temporal_attn -> temporal_fc -> + x
      space: patches 'b (n t) d -> (b t) n d', with the class token copied to every frame
             -> norm1 -> attn -> class token averaged over frames -> + x
      mlp:   norm2 -> mlp -> + x
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange, repeat
from torch import nn

# The official configs normalise with 0.45 / 0.225 (their ViT-21k init was trained on [-1, 1]-ish inputs).
TIMESFORMER_MEAN = (0.45, 0.45, 0.45)
TIMESFORMER_STD = (0.225, 0.225, 0.225)


class Attention(nn.Module):
    """Multi-head self-attention over the token axis: ``(B, N, D) -> (B, N, D)``."""

    def __init__(self, dim: int, *, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.num_heads)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(rearrange(out, "b h n d -> b n (h d)"))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class DropPath(nn.Module):
    """Stochastic depth: drop a whole residual branch per sample with probability ``p`` in training."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand((x.shape[0],) + (1,) * (x.dim() - 1), device=x.device) >= self.p
        return x * keep.to(x.dtype) / (1.0 - self.p)


class DividedBlock(nn.Module):
    """Transformer block with temporal attention, then spatial attention, then the MLP."""

    def __init__(self, dim: int, *, num_heads: int, mlp_ratio: float = 4.0, drop_path: float = 0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads=num_heads)
        self.temporal_norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.temporal_attn = Attention(dim, num_heads=num_heads)
        self.temporal_fc = nn.Linear(dim, dim)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, *, frames: int) -> torch.Tensor:
        cls, patches = x[:, :1], x[:, 1:]
        batch = x.shape[0]

        # Time: each patch position attends over the T frames.
        xt = rearrange(patches, "b (n t) d -> (b n) t d", t=frames)
        res = self.drop_path(self.temporal_attn(self.temporal_norm1(xt)))
        res = rearrange(res, "(b n) t d -> b (n t) d", b=batch)
        patches = patches + self.temporal_fc(res)

        # Space: each frame's patches attend to each other and to (a copy of) the class token.
        xs = rearrange(patches, "b (n t) d -> (b t) n d", t=frames)
        xs = torch.cat([repeat(cls, "b 1 d -> (b t) 1 d", t=frames), xs], dim=1)
        res = self.drop_path(self.attn(self.norm1(xs)))
        res_cls = rearrange(res[:, :1], "(b t) 1 d -> b t d", b=batch).mean(dim=1, keepdim=True)
        res_patches = rearrange(res[:, 1:], "(b t) n d -> b (n t) d", b=batch)
        x = torch.cat([cls + res_cls, patches + res_patches], dim=1)

        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, *, patch_size: int, in_channels: int, dim: int):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Frames ``(B*T, C, H, W)`` -> patch tokens ``(B*T, H/p * W/p, D)`` and the grid ``(H/p, W/p)``."""
        x = self.proj(frames)
        return rearrange(x, "bt d h w -> bt (h w) d"), x.shape[-2:]


def resize_pos_embed(pos_embed: torch.Tensor, grid: tuple[int, int], *, mode: str = "nearest") -> torch.Tensor:
    """Class + square patch-grid position embedding ``(1, 1 + P*P, D)`` -> ``(1, 1 + gh*gw, D)``."""
    cls, patches = pos_embed[:, :1], pos_embed[:, 1:]
    side = int(round(patches.shape[1] ** 0.5))
    if side * side != patches.shape[1]:
        raise ValueError(f"position embedding of {patches.shape[1]} patches is not a square grid")
    if (side, side) == tuple(grid):
        return pos_embed
    patches = rearrange(patches, "1 (h w) d -> 1 d h w", h=side)
    patches = F.interpolate(patches.float(), size=tuple(grid), mode=mode).to(pos_embed.dtype)
    return torch.cat([cls, rearrange(patches, "1 d h w -> 1 (h w) d")], dim=1)


def resize_time_embed(time_embed: torch.Tensor, frames: int) -> torch.Tensor:
    """Time embedding ``(1, T0, D)`` -> ``(1, frames, D)`` by nearest interpolation (as official)."""
    if time_embed.shape[1] == frames:
        return time_embed
    out = F.interpolate(rearrange(time_embed, "1 t d -> 1 d t").float(), size=frames, mode="nearest")
    return rearrange(out, "1 d t -> 1 t d").to(time_embed.dtype)


class TimeSformer(nn.Module):
    """Divided space-time attention transformer on video ``(B, C, T, H, W)``.

    Args:
        num_classes: size of the ``fc`` head.
        img_size: training crop (pixels); the position grid is ``img_size / patch_size`` squared and
            is interpolated on the fly for other input sizes.
        patch_size: patch side (pixels).
        num_frames: T of the time embedding (interpolated on the fly for other T).
        dim, depth, num_heads, mlp_ratio: transformer width, blocks, heads, MLP expansion.
        drop_path: stochastic-depth rate of the last block (linearly increasing from 0).
        dropout: before the head.
    """

    default_mean = TIMESFORMER_MEAN
    default_std = TIMESFORMER_STD

    def __init__(
        self,
        *,
        num_classes: int,
        img_size: int = 224,
        patch_size: int = 16,
        num_frames: int = 8,
        dim: int = 768,
        depth: int = 12,
        num_heads: int = 12,
        mlp_ratio: float = 4.0,
        drop_path: float = 0.1,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.patch_size = patch_size
        self.num_frames = num_frames
        grid = img_size // patch_size
        self.patch_embed = PatchEmbed(patch_size=patch_size, in_channels=3, dim=dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, dim))
        self.time_embed = nn.Parameter(torch.zeros(1, num_frames, dim))
        rates = [drop_path * i / max(depth - 1, 1) for i in range(depth)]  # linear, 0 -> drop_path
        self.blocks = nn.ModuleList(
            DividedBlock(dim, num_heads=num_heads, mlp_ratio=mlp_ratio, drop_path=rate) for rate in rates
        )
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.dropout = nn.Dropout(dropout)
        self.feature_dim = dim
        self.fc = nn.Linear(dim, num_classes)
        self.default_input = {"num_frames": num_frames, "size": img_size}
        self._init_weights()

    def _init_weights(self) -> None:
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # A zero temporal_fc makes every block start as its (ImageNet-initialisable) spatial block.
        for block in self.blocks:
            nn.init.zeros_(block.temporal_fc.weight)
            nn.init.zeros_(block.temporal_fc.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Video ``(B, C, T, H, W)`` -> the final class token ``(B, D)`` (after ``norm``)."""
        if x.dim() != 5:
            raise ValueError(f"TimeSformer expects a video batch (B, C, T, H, W), got shape {tuple(x.shape)}")
        batch, _, frames = x.shape[:3]
        tokens, grid = self.patch_embed(rearrange(x, "b c t h w -> (b t) c h w"))
        pos = resize_pos_embed(self.pos_embed, tuple(grid))
        cls = self.cls_token + pos[:, :1]
        tokens = tokens + pos[:, 1:]
        tokens = rearrange(tokens, "(b t) n d -> (b n) t d", b=batch) + resize_time_embed(self.time_embed, frames)
        tokens = rearrange(tokens, "(b n) t d -> b (n t) d", b=batch)
        x = torch.cat([cls.expand(batch, -1, -1), tokens], dim=1)
        for block in self.blocks:
            x = block(x, frames=frames)
        return self.norm(x)[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(self.forward_features(x)))

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head by a fresh ``num_classes``-way linear layer."""
        self.fc = nn.Linear(self.feature_dim, num_classes)

    def no_weight_decay(self) -> set[str]:
        """Parameter names the official recipe trains without weight decay (the embeddings)."""
        return {"pos_embed", "cls_token", "time_embed"}


def timesformer_b(*, num_classes: int, num_frames: int = 8, img_size: int = 224, drop_path: float = 0.1,
                  dropout: float = 0.0) -> TimeSformer:
    """TimeSformer-Base: ViT-B/16 (768 wide, 12 blocks, 12 heads), 8 frames at 224 px.

    121.6M parameters with a 400-way head (the paper reports 121.4M).
    """
    model = TimeSformer(
        num_classes=num_classes, img_size=img_size, patch_size=16, num_frames=num_frames, dim=768, depth=12,
        num_heads=12, drop_path=drop_path, dropout=dropout,
    )
    model.arch = "timesformer_b"
    return model


def timesformer_tiny(*, num_classes: int, num_frames: int = 8, img_size: int = 112, drop_path: float = 0.0,
                     dropout: float = 0.0) -> TimeSformer:
    """A 64-wide, 2-block, 4-head TimeSformer on 8-pixel patches, for CPU tests and the tiny preset."""
    model = TimeSformer(
        num_classes=num_classes, img_size=img_size, patch_size=8, num_frames=num_frames, dim=64, depth=2,
        num_heads=4, drop_path=drop_path, dropout=dropout,
    )
    model.arch = "timesformer_tiny"
    return model
