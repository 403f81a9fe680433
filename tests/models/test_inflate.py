"""Inflation of a 2-D ResNet into I3D / R(2+1)D: the boring-video property and the key report."""

import pytest
import torch

from synapt.models.inflate import inflate_2d_to_3d, inflate_state_dict, inflate_tensor
from synapt.models.resnet import resnet_tiny
from synapt.models.resnet3d import i3d_tiny, r2plus1d_tiny


def test_inflate_tensor_repeats_and_divides():
    w = torch.arange(6.0).reshape(1, 1, 2, 3)
    out = inflate_tensor(w, (1, 1, 3, 2, 3))
    assert out.shape == (1, 1, 3, 2, 3)
    torch.testing.assert_close(out.sum(dim=2), w)
    torch.testing.assert_close(out[:, :, 1], w / 3)


@pytest.mark.parametrize("style", ["slowfast", "mmaction2", "ibm"])
def test_inflated_i3d_equals_2d_network_on_a_static_video(style, seeded, randomise_batchnorm):
    net2d = resnet_tiny(num_classes=5).eval()
    randomise_batchnorm(net2d)
    net3d = i3d_tiny(num_classes=5, style=style, temporal_padding="replicate").eval()
    report = inflate_2d_to_3d(net2d.state_dict(), net3d)
    assert not report.skipped and not report.missing and not report.unused
    image = torch.randn(2, 3, 32, 32)
    video = image.unsqueeze(2).expand(-1, -1, 8, -1, -1)
    with torch.no_grad():
        expected = net2d.forward_features(image)
        got = net3d.forward_features(video)
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(net3d(video), net2d(image), rtol=1e-4, atol=1e-4)


def test_zero_temporal_padding_breaks_the_static_video_identity(seeded):
    # Documented: with zeros the edge frames see only part of each temporal kernel.
    net2d = resnet_tiny(num_classes=5).eval()
    net3d = i3d_tiny(num_classes=5, temporal_padding="zeros").eval()
    inflate_2d_to_3d(net2d.state_dict(), net3d)
    image = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        gap = (net3d.forward_features(image.unsqueeze(2).expand(-1, -1, 4, -1, -1)) - net2d.forward_features(image))
    assert gap.abs().max() > 1e-2


def test_report_names_every_key_that_did_not_inflate():
    net2d = resnet_tiny(num_classes=5)
    net3d = r2plus1d_tiny(num_classes=9)  # Tran mid-channels: conv2 is 8 -> 18, not 8 -> 8
    state = net2d.state_dict()
    state["extra.weight"] = torch.zeros(1)
    tensors, report = inflate_state_dict(state, {k: v.shape for k, v in net3d.state_dict().items()})
    assert "layer1.0.conv2.weight" in report.skipped and "(18, 8, 1, 3, 3)" in report.skipped["layer1.0.conv2.weight"]
    assert "fc.weight" in report.skipped  # 5-way vs 9-way head
    assert "layer1.0.conv2_t.weight" in report.missing
    assert report.unused == ["extra.weight"]
    assert "layer1.0.conv1.weight" in report.inflated and "conv1.weight" in report.inflated
    assert "bn1.running_var" in report.copied
    # Every 3-D key is accounted for exactly once.
    accounted = report.inflated + report.copied + list(report.skipped) + report.missing
    assert sorted(accounted) == sorted(net3d.state_dict())
    assert set(tensors) == set(report.inflated) | set(report.copied)
    assert "skipped layer1.0.conv2.weight" in report.summary()


def test_inflated_r2plus1d_with_planes_mid_channels_equals_2d_network(seeded, randomise_batchnorm):
    net2d = resnet_tiny(num_classes=5).eval()
    randomise_batchnorm(net2d)
    net3d = r2plus1d_tiny(num_classes=5, mid_channels="planes", temporal_padding="replicate").eval()
    report = inflate_2d_to_3d(net2d.state_dict(), net3d)
    assert not report.missing and not report.skipped
    assert "layer3.0.conv2_t.weight" in report.identity and "layer3.0.bn2_t.running_var" in report.identity
    kernel = net3d.layer1[0].conv2_t.weight
    assert torch.equal(kernel[:, :, 1, 0, 0], torch.eye(8)) and not kernel[:, :, 0].any()
    image = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        got = net3d.forward_features(image.unsqueeze(2).expand(-1, -1, 8, -1, -1))
        torch.testing.assert_close(got, net2d.forward_features(image), rtol=1e-4, atol=1e-4)
