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


@pytest.mark.parametrize('patch_size', [16, 32])
def test_dynamic_export_sizes_are_products_of_the_token_grid(patch_size):
    """Traced with a dynamic batch, height and width, the transformer's
    token count is ``ceil(H/p) * ceil(W/p) + 1`` over the input's own size
    symbols, with no modulo left from the stem padding: an expression
    ``torch.export`` simplifies, where a modulo form makes a dynamic-size
    export trace several times slower."""
    import math

    import sympy
    model = ConformerBackbone(arch=TINY_ARCH, patch_size=patch_size,
                              base_channels=16).eval()
    dynamic = torch.export.Dim.DYNAMIC
    with torch.no_grad():
        program = torch.export.export(
            model, (torch.randn(2, 3, 64, 96), ),
            dynamic_shapes=({0: dynamic, 2: dynamic, 3: dynamic}, ))
    nodes = list(program.graph.nodes)
    (user_input, ) = program.graph_signature.user_inputs
    image = next(n for n in nodes if n.name == user_input).meta['val']
    height, width = (size.node.expr for size in image.shape[2:])
    tokens = next(n for n in nodes if n.op == 'call_function' and
                  'aten.cat' in str(n.target)).meta['val'].shape[1].node.expr
    assert not tokens.atoms(sympy.Mod) and 'Mod' not in str(tokens), tokens
    for h, w in [(64, 96), (33, 47), (224, 224), (100, 17)]:
        assert tokens.subs({height: h, width: w}) == \
            math.ceil(h / patch_size) * math.ceil(w / patch_size) + 1
