# Copyright (c) mmconformer contributors. All rights reserved.
"""Params and FLOPs of a config, counted like mmpretrain's get_flops.py.

Example::

    python tools/analysis_tools/get_flops.py \\
        configs/conformer-tiny-p16_8xb128_in1k.py --shape 224 224
"""
import argparse
import sys

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from mmconformer.utils import check_files, cli_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Params and FLOPs of a model config (mmengine.analysis)')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[224, 224],
        metavar='SIZE',
        help='input size: H W, or one value for a square (default 224 224)')
    args = parser.parse_args(argv)
    if len(args.shape) not in (1, 2) or min(args.shape) <= 0:
        parser.error(f'--shape takes one or two positive ints, got '
                     f'{args.shape}')
    return args


@cli_main()
def main(argv=None) -> int:
    args = parse_args(argv)
    check_files(args.config)
    height, width = args.shape * 2 if len(args.shape) == 1 else args.shape
    input_shape = (3, height, width)

    cfg = Config.fromfile(args.config)
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmconformer.analysis import get_complexity
    model = MODELS.build(cfg.model)
    result = get_complexity(model, input_shape)

    print(result['out_table'])
    line = '=' * 60
    print(line)
    print(f'Input shape: {input_shape}')
    print(f'Params: {result["params"]:,}')
    print(f'FLOPs (mmengine.analysis, backbone, as published): '
          f'{result["flops"]:,} ({result["flops"] / 1e9:.3f} G)')
    print(f'Attention matmuls (q@k^T, attn@v; not in the published count): '
          f'{result["attention_flops"]:,} '
          f'({result["attention_flops"] / 1e9:.3f} G)')
    print(f'FLOPs including attention matmuls: {result["total_flops"]:,} '
          f'({result["total_flops"] / 1e9:.3f} G)')
    print(f'FLOPs this implementation executes (FCUDown pools before its '
          f'1x1 conv; same outputs): {result["executed_flops"]:,} '
          f'({result["executed_flops"] / 1e9:.3f} G) + attention matmuls')
    print(line)
    print('FLOPs are multiply-accumulates of the backbone (extract_feat); '
          'params count the whole model. The published figures run '
          'FCUDown\'s 1x1 conv on the full CNN map; the table above counts '
          'the executed model.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
