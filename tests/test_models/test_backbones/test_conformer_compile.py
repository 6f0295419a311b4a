import pytest
import torch
from _helpers import TINY_ARCH

from mmconformer import ConformerBackbone


@pytest.mark.slow
def test_compiles_with_fullgraph_and_matches_eager():
    model = ConformerBackbone(arch=TINY_ARCH, base_channels=16).eval()
    compiled = torch.compile(model, fullgraph=True)  # raises on graph breaks
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for (conv, trans), (ref_conv, ref_trans) in zip(
                compiled(x), model(x)):
            torch.testing.assert_close(conv, ref_conv, rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(trans, ref_trans, rtol=1e-4,
                                       atol=1e-5)
