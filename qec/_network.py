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
        mlp: after every hidden convolution, ``x + W2 GELU(W1 x)``, a per-voxel MLP with
            ``mlp * width`` hidden channels (0: none): more nonlinearity, the same receptive field.

    Examples:
        >>> NetworkConfig(num_classes=9, width=32, depth=4).receptive_field
        9
    """

    num_classes: int
    width: int = 32        # hidden channels
    depth: int = 4         # hidden conv layers; receptive field = 1 + depth * (kernel - 1)
    kernel: int = 3        # odd: 'same' padding keeps the grid shape
    residual: bool = False  # skip connections around hidden layers 2..depth
    mlp: int = 0           # after each hidden conv, x + pointwise MLP(x) with mlp * width hidden channels (0: none)

    def __post_init__(self):
        if self.kernel % 2 != 1 or self.kernel < 1:
            raise ValueError(f"kernel={self.kernel}; expected an odd size >= 1")
        if self.depth < 1 or self.width < 1 or self.num_classes < 1 or self.mlp < 0:
            raise ValueError(f"depth, width and num_classes must be >= 1 and mlp >= 0; got {self}")

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
        # Kept apart from `layers`, so that checkpoints without them keep their parameter names.
        hidden = config.mlp * config.width
        self.mlps = nn.ModuleList(
            nn.Sequential(nn.Conv3d(config.width, hidden, 1), nn.GELU(), nn.Conv3d(hidden, config.width, 1))
            for _ in range(config.depth if config.mlp else 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.config.residual and not self.config.mlp:
            return self.layers(x)  # (B, C, T, H, W)
        layers = self.layers  # conv, GELU, conv, GELU, ..., head
        for i in range(self.config.depth):
            y = layers[2 * i + 1](layers[2 * i](x))
            x = x + y if self.config.residual and i > 0 else y
            if self.config.mlp:
                x = x + self.mlps[i](x)
        return layers[-1](x)

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class LayerByLayer:
    """Runs a :class:`PreDecoderNet` over time layers as they arrive, computing each activation once.

    The output at time layer t depends on the input layers within ``(receptive_field - 1) / 2`` of
    t. Re-running the network on a slab of recent layers recomputes most of the slab at every call;
    this keeps, for every hidden layer, the last ``kernel`` time slices of its input instead, and
    computes each hidden activation and logit once, as soon as the input layers it needs are in.
    The same zero padding in time as the whole-volume network (at the first layer and, after
    :meth:`finish`, at the last), so the logits equal ``net(x)`` within float rounding.

    Examples:
        >>> net = PreDecoderNet(NetworkConfig(num_classes=2, width=4, depth=2))
        >>> x = torch.randn(1, 3, 5, 3, 3)
        >>> stepper = LayerByLayer(net)
        >>> out = [stepper.push(x[:, :, t]) for t in range(5)] + [stepper.finish()]
        >>> [[t for t, _ in ready] for ready in out]  # each time layer's logits once its inputs are in
        [[], [], [0], [1], [2], [3, 4]]
        >>> torch.allclose(torch.stack([y for ready in out for _, y in ready], dim=2), net(x), atol=1e-6)
        True
    """

    def __init__(self, net: PreDecoderNet):
        net = getattr(net, "_orig_mod", net)  # unwrap torch.compile
        self.config = net.config
        self._convs = [net.layers[2 * i] for i in range(self.config.depth)]
        self._activation = net.layers[1]
        self._head = net.layers[-1]
        self._mlps = net.mlps
        self._r = self.config.kernel // 2
        self._inputs: list[dict[int, torch.Tensor]] = [{} for _ in range(self.config.depth)]
        self._done = [0] * self.config.depth  # time layers each hidden layer has computed
        self._received = 0
        self._end: int | None = None

    def push(self, x: torch.Tensor) -> list[tuple[int, torch.Tensor]]:
        """Adds the next time layer of input ``(B, 3, H, W)``; returns the ``(t, logits (B, C, H, W))`` now computable."""
        if self._end is not None:
            raise ValueError("the stream of time layers was finished already")
        self._inputs[0][self._received] = x
        self._received += 1
        return self._run()

    def finish(self) -> list[tuple[int, torch.Tensor]]:
        """Ends the input (zero padding after the last layer); returns the remaining logits."""
        self._end = self._received
        return self._run()

    def _run(self) -> list[tuple[int, torch.Tensor]]:
        r, ready = self._r, []
        for i, conv in enumerate(self._convs):
            inputs = self._inputs[i]
            available = self._received if i == 0 else self._done[i - 1]
            while self._done[i] < (self._end if self._end is not None else available - r):
                t = self._done[i]
                zero = torch.zeros_like(inputs[t])
                window = torch.stack([inputs.get(s, zero) for s in range(t - r, t + r + 1)], dim=2)
                y = self._activation(torch.nn.functional.conv3d(window, conv.weight, conv.bias, padding=(0, r, r)))
                y = y[:, :, 0]
                if self.config.residual and i > 0:
                    y = inputs[t] + y
                if self._mlps:
                    y = y + self._mlps[i](y.unsqueeze(2))[:, :, 0]
                if i + 1 < len(self._convs):
                    self._inputs[i + 1][t] = y
                else:
                    ready.append((t, self._head(y.unsqueeze(2))[:, :, 0]))
                inputs.pop(t - r, None)  # no later output of this layer reads it
                self._done[i] += 1
        return ready
