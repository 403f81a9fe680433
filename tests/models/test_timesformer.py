"""TimeSformer: parameter count, agreement with an independent plain-tensor reference of the
official forward pass, and initialisation from a 2-D ViT (exact on a static video)."""

import pytest
import torch
import torch.nn.functional as F

from synapt.models import build_model
from synapt.models.timesformer import timesformer_b, timesformer_tiny
from synapt.models.weights import vit_to_timesformer


def test_timesformer_b_parameter_count_matches_paper():
    # Bertasius et al. 2021, Table 1: TimeSformer 121.4M parameters (Kinetics-400 head).
    with torch.device("meta"):
        count = sum(p.numel() for p in timesformer_b(num_classes=400).parameters())
    assert abs(count - 121.4e6) / 121.4e6 < 0.02


def _attention(x, sd, prefix, heads):
    b, n, d = x.shape
    qkv = F.linear(x, sd[prefix + "qkv.weight"], sd[prefix + "qkv.bias"])
    q, k, v = qkv.reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    attn = ((q @ k.transpose(-2, -1)) * (d // heads) ** -0.5).softmax(-1)
    out = (attn @ v).transpose(1, 2).reshape(b, n, d)
    return F.linear(out, sd[prefix + "proj.weight"], sd[prefix + "proj.bias"])


def _ln(x, sd, prefix):
    return F.layer_norm(x, x.shape[-1:], sd[prefix + "weight"], sd[prefix + "bias"], eps=1e-6)


def _mlp(x, sd, prefix):
    h = F.gelu(F.linear(x, sd[prefix + "fc1.weight"], sd[prefix + "fc1.bias"]))
    return F.linear(h, sd[prefix + "fc2.weight"], sd[prefix + "fc2.bias"])


def reference_timesformer(sd, video, *, heads, patch, depth):
    """The official forward (facebookresearch/TimeSformer vit.py), re-typed with reshape/permute."""
    b, _, t, _, _ = video.shape
    frames = video.permute(0, 2, 1, 3, 4).reshape(b * t, *video.shape[1:2], *video.shape[3:])
    x = F.conv2d(frames, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"], stride=patch)
    x = x.flatten(2).transpose(1, 2)  # (b t) n d
    n, d = x.shape[1], x.shape[2]
    x = torch.cat([sd["cls_token"].expand(b * t, -1, -1), x], dim=1) + sd["pos_embed"]
    cls = x[:b, :1]
    x = x[:, 1:].reshape(b, t, n, d).permute(0, 2, 1, 3) + sd["time_embed"][:, None]  # b n t d
    x = torch.cat([cls, x.reshape(b, n * t, d)], dim=1)
    for i in range(depth):
        p = f"blocks.{i}."
        xt = x[:, 1:].reshape(b * n, t, d)
        res = _attention(_ln(xt, sd, p + "temporal_norm1."), sd, p + "temporal_attn.", heads).reshape(b, n * t, d)
        xt = x[:, 1:] + F.linear(res, sd[p + "temporal_fc.weight"], sd[p + "temporal_fc.bias"])
        init_cls = x[:, :1]
        xs = xt.reshape(b, n, t, d).permute(0, 2, 1, 3).reshape(b * t, n, d)
        xs = torch.cat([init_cls.repeat_interleave(t, dim=0), xs], dim=1)
        res = _attention(_ln(xs, sd, p + "norm1."), sd, p + "attn.", heads)
        res_cls = res[:, 0].reshape(b, t, d).mean(1, keepdim=True)
        res = res[:, 1:].reshape(b, t, n, d).permute(0, 2, 1, 3).reshape(b, n * t, d)
        x = torch.cat([init_cls, xt], dim=1) + torch.cat([res_cls, res], dim=1)
        x = x + _mlp(_ln(x, sd, p + "norm2."), sd, p + "mlp.")
    return _ln(x, sd, "norm.")[:, 0]


def _randomise(model, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.2)


def test_forward_matches_the_official_computation(seeded):
    model = timesformer_tiny(num_classes=5, img_size=32, num_frames=4).eval()
    _randomise(model)  # non-zero temporal_fc and time embedding, so every path matters
    video = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        expected = reference_timesformer(model.state_dict(), video, heads=4, patch=8, depth=2)
        got = model.forward_features(video)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert model(video).shape == (2, 5)


def reference_vit(sd, image, *, heads, patch, depth):
    """A plain ViT (timm semantics) class-token feature from a timm-layout state_dict."""
    x = F.conv2d(image, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"], stride=patch)
    x = x.flatten(2).transpose(1, 2)
    x = torch.cat([sd["cls_token"].expand(x.shape[0], -1, -1), x], dim=1) + sd["pos_embed"]
    for i in range(depth):
        p = f"blocks.{i}."
        x = x + _attention(_ln(x, sd, p + "norm1."), sd, p + "attn.", heads)
        x = x + _mlp(_ln(x, sd, p + "norm2."), sd, p + "mlp.")
    return _ln(x, sd, "norm.")[:, 0]


def _vit_state_dict(*, dim=64, depth=2, patch=8, grid=4, classes=10, seed=1):
    """A random ViT state_dict in timm/DeiT layout (what ``vit_base_patch16_224`` files hold)."""
    gen = torch.Generator().manual_seed(seed)
    r = lambda *shape: torch.randn(*shape, generator=gen) * 0.2  # noqa: E731
    sd = {"cls_token": r(1, 1, dim), "pos_embed": r(1, grid * grid + 1, dim),
          "patch_embed.proj.weight": r(dim, 3, patch, patch), "patch_embed.proj.bias": r(dim),
          "norm.weight": 1 + r(dim), "norm.bias": r(dim), "head.weight": r(classes, dim), "head.bias": r(classes)}
    for i in range(depth):
        p = f"blocks.{i}."
        sd |= {p + "norm1.weight": 1 + r(dim), p + "norm1.bias": r(dim),
               p + "attn.qkv.weight": r(3 * dim, dim), p + "attn.qkv.bias": r(3 * dim),
               p + "attn.proj.weight": r(dim, dim), p + "attn.proj.bias": r(dim),
               p + "norm2.weight": 1 + r(dim), p + "norm2.bias": r(dim),
               p + "mlp.fc1.weight": r(4 * dim, dim), p + "mlp.fc1.bias": r(4 * dim),
               p + "mlp.fc2.weight": r(dim, 4 * dim), p + "mlp.fc2.bias": r(dim)}
    return sd


def test_vit_initialisation_equals_the_image_model_on_a_static_video(seeded):
    vit = _vit_state_dict()
    model = timesformer_tiny(num_classes=10, img_size=32, num_frames=4).eval()
    converted = vit_to_timesformer(vit, num_frames=4)
    model.load_state_dict(converted, strict=True)  # every TimeSformer key is produced
    sd = model.state_dict()
    assert torch.equal(sd["blocks.1.temporal_attn.qkv.weight"], vit["blocks.1.attn.qkv.weight"])
    assert torch.equal(sd["blocks.0.temporal_norm1.bias"], vit["blocks.0.norm1.bias"])
    assert not sd["blocks.0.temporal_fc.weight"].any() and not sd["time_embed"].any()
    image = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = reference_vit(vit, image, heads=4, patch=8, depth=2)
        got = model.forward_features(image.unsqueeze(2).expand(-1, -1, 4, -1, -1))
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_linear_patch_embedding_of_jax_ports_becomes_a_convolution():
    vit = _vit_state_dict()
    vit["patch_embed.proj.weight"] = vit["patch_embed.proj.weight"].reshape(64, -1)
    out = vit_to_timesformer(vit, num_frames=2)
    assert out["patch_embed.proj.weight"].shape == (64, 3, 8, 8)


def test_other_sizes_and_frame_counts_interpolate_embeddings(seeded):
    model = build_model("timesformer_tiny", 3, img_size=32, num_frames=4).eval()
    assert model(torch.randn(1, 3, 2, 48, 48)).shape == (1, 3)


def test_drop_path_only_in_training(seeded):
    model = timesformer_tiny(num_classes=3, img_size=32, num_frames=2, drop_path=0.5)
    video = torch.randn(4, 3, 2, 32, 32)
    model.eval()
    torch.testing.assert_close(model(video), model(video))
    model.train()
    assert not torch.allclose(model(video), model(video))


def test_metadata():
    model = build_model("timesformer_tiny", 4)
    assert model.arch == "timesformer_tiny" and model.feature_dim == 64
    assert model.default_mean == (0.45, 0.45, 0.45) and model.default_std == (0.225, 0.225, 0.225)
    assert model.default_input == {"num_frames": 8, "size": 112}
    model.reset_classifier(9)
    assert model.fc.out_features == 9
    assert model.no_weight_decay() <= dict(model.named_parameters()).keys()
    with pytest.raises(ValueError):
        model(torch.randn(1, 3, 32, 32))
