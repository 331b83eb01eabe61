import pytest
import torch

from qec._network import LayerByLayer, NetworkConfig, PreDecoderNet


@pytest.mark.parametrize("depth,kernel,residual,mlp", [(1, 3, False, 0), (3, 3, True, 0), (2, 5, False, 0), (4, 3, True, 0),
                                                     (3, 3, True, 2), (2, 3, False, 1)])
@pytest.mark.parametrize("layers", [1, 2, 7, 19])
def test_layer_by_layer_equals_the_whole_volume(depth, kernel, residual, mlp, layers):
    torch.manual_seed(depth * 100 + layers)
    net = PreDecoderNet(NetworkConfig(num_classes=3, width=6, depth=depth, kernel=kernel, residual=residual, mlp=mlp))
    x = torch.randn(4, 3, layers, 5, 6)
    stepper, got, halo = LayerByLayer(net), {}, depth * (kernel // 2)
    with torch.no_grad():
        for t in range(layers):
            ready = stepper.push(x[:, :, t])
            assert [s for s, _ in ready] == ([t - halo] if t >= halo else [])  # each as soon as its inputs are in
            got.update(ready)
        got.update(stepper.finish())
        whole = net(x)
    assert sorted(got) == list(range(layers))
    torch.testing.assert_close(torch.stack([got[t] for t in range(layers)], dim=2), whole, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="finished"):
        stepper.push(x[:, :, 0])
