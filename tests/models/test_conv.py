"""models.conv: 3-D convolution as 2-D convolutions gives F.conv3d's values and gradients."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from synapt.models import build_model, conv

# (in, out, kernel, stride, padding, groups, bias): every kernel shape the video models use.
CASES = [
    (3, 8, (3, 7, 7), (1, 2, 2), (1, 3, 3), 1, False),  # I3D / R3D stem
    (3, 6, (1, 7, 7), (1, 2, 2), (0, 3, 3), 1, False),  # R(2+1)D stem, spatial half
    (6, 8, (3, 1, 1), (1, 1, 1), (1, 0, 0), 1, False),  # temporal half
    (8, 6, (3, 1, 1), (2, 1, 1), (1, 0, 0), 1, True),  # temporal, strided, with a bias
    (8, 12, (1, 3, 3), (1, 2, 2), (0, 1, 1), 1, False),  # spatial, strided
    (8, 16, (1, 1, 1), (2, 2, 2), (0, 0, 0), 1, False),  # downsample projection
    (6, 6, (3, 3, 3), (1, 2, 2), (1, 1, 1), 6, False),  # X3D's depthwise 3x3x3
    (4, 4, (5, 3, 3), (2, 1, 1), (2, 1, 1), 2, True),  # grouped, odd temporal kernel
]


@pytest.mark.parametrize("cin,cout,kernel,stride,padding,groups,bias", CASES)
def test_conv3d_matches_native_values_and_gradients(cin, cout, kernel, stride, padding, groups, bias):
    torch.manual_seed(0)
    x = torch.randn(2, cin, 7, 11, 10, requires_grad=True)
    w = torch.randn(cout, cin // groups, *kernel, requires_grad=True)
    b = torch.randn(cout, requires_grad=True) if bias else None
    native = F.conv3d(x, w, b, stride=stride, padding=padding, groups=groups)
    ours = conv.conv3d(x, w, b, stride=stride, padding=padding, groups=groups)
    assert ours.shape == native.shape
    torch.testing.assert_close(ours, native, rtol=1e-4, atol=1e-4)
    grad = torch.randn_like(native)
    inputs = (x, w) + ((b,) if bias else ())
    for got, want in zip(torch.autograd.grad(ours, inputs, grad), torch.autograd.grad(native, inputs, grad)):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-3)


def test_module_keeps_nn_conv3d_keys_and_falls_back_where_it_must():
    layer = conv.Conv3d(4, 6, (3, 3, 3), padding=1, bias=True)
    assert isinstance(layer, nn.Conv3d)
    assert set(layer.state_dict()) == {"weight", "bias"}
    x = torch.randn(1, 4, 5, 6, 6)
    torch.testing.assert_close(layer(x), F.conv3d(x, layer.weight, layer.bias, padding=1), rtol=1e-4, atol=1e-5)
    # Dilation and non-zero padding modes go to F.conv3d unchanged.
    dilated = conv.Conv3d(4, 6, 3, padding=2, dilation=2)
    torch.testing.assert_close(dilated(x), F.conv3d(x, dilated.weight, dilated.bias, padding=2, dilation=2), rtol=1e-4, atol=1e-5)
    circular = conv.Conv3d(4, 6, 3, padding=1, padding_mode="circular")
    assert circular(x).shape == (1, 6, 5, 6, 6)


def test_backend_switch_gives_the_same_model_output():
    torch.manual_seed(0)
    model = build_model("r2plus1d_tiny", 5).eval()
    x = torch.randn(2, 3, 8, 32, 32)
    old = conv.set_backend("native")
    try:
        native = model(x)
    finally:
        conv.set_backend(old)
    assert conv.get_backend() == "2d"
    torch.testing.assert_close(model(x), native, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="backend"):
        conv.set_backend("cudnn")


def test_full_kernels_on_many_channels_stay_on_onednn():
    # Factorised kernels and narrow full kernels take the 2-D path; R3D-18's 64-512 channel 3x3x3
    # convolutions were 7-13% faster in oneDNN (docs/models.md).
    assert conv.prefers_2d((3, 7, 7), 3) and conv.prefers_2d((1, 3, 3), 512) and conv.prefers_2d((3, 1, 1), 512)
    assert conv.prefers_2d((3, 3, 3), 1) and not conv.prefers_2d((3, 3, 3), 64)
    wide = conv.Conv3d(64, 8, 3, padding=1, bias=False)
    x = torch.randn(1, 64, 4, 6, 6)
    torch.testing.assert_close(wide(x), F.conv3d(x, wide.weight, padding=1), rtol=1e-4, atol=1e-4)
