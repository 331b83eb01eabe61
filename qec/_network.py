"""The convolutional network: detection events on the grid in, one logit per (edge class, voxel) out."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

INPUT_CHANNELS = 3  # detection events, detector present, detector of the memory's basis


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """Shape of the fully convolutional 3D network.

    Attributes:
        num_classes: edge classes = output channels (one logit per class per voxel).
        width: channels of every hidden layer.
        depth: hidden 3D convolutions (kernel ``kernel``), each followed by GELU; a 1×1×1
            convolution makes the head.
        kernel: kernel size of the hidden convolutions (odd).
        residual: every hidden layer after the first adds its input to its output
            (``x + GELU(conv(x))``); the same weights and receptive field as the plain stack.

    Examples:
        >>> NetworkConfig(num_classes=9, width=32, depth=4).receptive_field
        9
    """

    num_classes: int
    width: int = 32        # hidden channels
    depth: int = 4         # hidden conv layers; receptive field = 1 + depth * (kernel - 1)
    kernel: int = 3        # odd: 'same' padding keeps the grid shape
    residual: bool = False  # skip connections around hidden layers 2..depth

    def __post_init__(self):
        if self.kernel % 2 != 1 or self.kernel < 1:
            raise ValueError(f"kernel={self.kernel}; expected an odd size >= 1")
        if self.depth < 1 or self.width < 1 or self.num_classes < 1:
            raise ValueError(f"depth, width and num_classes must be >= 1; got {self}")

    @property
    def receptive_field(self) -> int:
        return 1 + self.depth * (self.kernel - 1)


class PreDecoderNet(nn.Module):
    """A stack of same-padded ``Conv3d`` + GELU (with skip connections if ``config.residual``) and a 1×1×1 head.

    Input ``(B, 3, T, H, W)`` float; output ``(B, num_classes, T, H, W)`` logits. Fully
    convolutional: trained on small volumes, it runs on any distance and number of rounds.

    Examples:
        >>> net = PreDecoderNet(NetworkConfig(num_classes=9, width=8, depth=2))
        >>> tuple(net(torch.zeros(2, 3, 4, 4, 4)).shape)
        (2, 9, 4, 4, 4)
    """

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        channels = INPUT_CHANNELS
        for _ in range(config.depth):
            layers += [nn.Conv3d(channels, config.width, config.kernel, padding=config.kernel // 2), nn.GELU()]
            channels = config.width
        layers.append(nn.Conv3d(channels, config.num_classes, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.config.residual:
            return self.layers(x)  # (B, C, T, H, W)
        layers = self.layers  # conv, GELU, conv, GELU, ..., head
        x = layers[1](layers[0](x))
        for i in range(2, len(layers) - 1, 2):
            x = x + layers[i + 1](layers[i](x))
        return layers[-1](x)

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
