"""Exact per-layer parameter counts of torchvision ResNet-18/34/50.

A *layer* is the unit of parameter sharing: a convolution together with the
batch norm that follows it, or the fully connected head. Counts follow the
torchvision architecture (``bias=False`` convolutions, 7x7 stem, V1.5
bottlenecks) with a ``num_classes``-way head:

    conv(c_in, c_out, k) = c_in * c_out * k^2        bn(c) = 2 c (weight, bias)
    fc = c_in * num_classes + num_classes

BN running statistics are buffers, not parameters, and are left out: they add
0.1-0.2 % to a model's fp32 state_dict. With 10 classes the totals are
11,181,642 / 21,289,802 / 23,528,522 parameters in 21 / 37 / 54 layers.

Layer names follow the state_dict: ``conv1`` (stem conv1 + bn1),
``layer2.0.conv1``, ``layer2.0.downsample`` (downsample.0 + downsample.1),
``fc``; bottom (input) to top, in state_dict order.
"""

from __future__ import annotations

ARCHS = ("resnet18", "resnet34", "resnet50")

# Blocks per stage and block kind: basic (two 3x3 convs) or bottleneck (1x1, 3x3, 1x1).
_SPEC = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
}
_PLANES = (64, 128, 256, 512)

# Short prefixes used in block and model ids ("r18.layer4.1.conv2").
SHORT = {"resnet18": "r18", "resnet34": "r34", "resnet50": "r50"}


def _conv_bn(c_in: int, c_out: int, k: int) -> int:
    """Return the parameters of a bias-free k x k conv and its batch norm."""
    return c_in * c_out * k * k + 2 * c_out


def layers(arch: str, num_classes: int = 10) -> list[tuple[str, int]]:
    """Return ``(name, parameters)`` of every layer of ``arch``, bottom to top.

    Parameters
    ----------
    arch
        One of :data:`ARCHS`.
    num_classes
        Width of the fc head.

    Examples
    --------
    >>> len(layers("resnet18")), sum(p for _, p in layers("resnet18"))
    (21, 11181642)
    """
    if arch not in _SPEC:
        raise ValueError(f'arch: expected one of {", ".join(ARCHS)}, got "{arch}"')
    kind, stages = _SPEC[arch]
    expansion = 1 if kind == "basic" else 4
    out = [("conv1", _conv_bn(3, 64, 7))]
    c_in = 64
    for s, (planes, count) in enumerate(zip(_PLANES, stages, strict=True), start=1):
        for b in range(count):
            name = f"layer{s}.{b}"
            if kind == "basic":
                out += [
                    (f"{name}.conv1", _conv_bn(c_in, planes, 3)),
                    (f"{name}.conv2", _conv_bn(planes, planes, 3)),
                ]
            else:
                out += [
                    (f"{name}.conv1", _conv_bn(c_in, planes, 1)),
                    (f"{name}.conv2", _conv_bn(planes, planes, 3)),
                    (f"{name}.conv3", _conv_bn(planes, expansion * planes, 1)),
                ]
            # Projection shortcut where the stride or the width changes.
            stride = 2 if (b == 0 and s > 1) else 1
            if stride != 1 or c_in != expansion * planes:
                out.append(
                    (f"{name}.downsample", _conv_bn(c_in, expansion * planes, 1))
                )
            c_in = expansion * planes
    out.append(("fc", c_in * num_classes + num_classes))
    return out


def layer_bytes(
    arch: str, num_classes: int = 10, bytes_per_param: int = 4
) -> list[tuple[str, int]]:
    """Return ``(name, bytes)`` of every layer of ``arch`` (fp32 by default)."""
    return [(name, bytes_per_param * p) for name, p in layers(arch, num_classes)]
