# Copyright (c) mmconformer contributors. All rights reserved.
"""How close optimize_for_inference stays to the model, on a test set.

Example (the demo's 300 val images)::

    python tools/analysis_tools/fast_inference_numerics.py \\
        configs/demo/conformer-tiny-p16_1xb32_shapes.py \\
        work_dirs/demo/epoch_7.pth --dtype bf16

Prints the top-1 agreement with the fp32 eager model, the largest relative
logit difference, and both top-1 accuracies. A thin command line over
:func:`mmconformer.apis.compare_logits`.
"""
import argparse
import json
import sys


from mmconformer.checkpoint import CheckpointError
from mmconformer.utils import (ToolError, add_calibration_args,
                               add_classifier_args, atomic_write,
                               check_files, cli_main, provenance, tool_logger)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Compare optimize_for_inference with the eager model '
        "on the config's test set", allow_abbrev=False,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_classifier_args(parser)
    add_calibration_args(
        parser, "the config's training images, never its test images")
    parser.add_argument('--dtype', choices=['bf16', 'fp16', 'fp32', 'int8'],
                        default='bf16', help='optimize_for_inference dtype')
    parser.add_argument('--no-compile', action='store_true',
                        help='skip torch.compile (numerics of the folding '
                        'and the dtype alone)')
    parser.add_argument('--json', metavar='OUT.json', default=None,
                        help='also write the figures here')
    return parser


COMMAND = 'tools/analysis_tools/fast_inference_numerics.py'


@cli_main(CheckpointError)
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    check_files(args.config, args.checkpoint)
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmconformer.apis import compare_logits
    from mmconformer.apis import (calibration_images, calibration_inputs,
                                  load_classifier, optimize_for_inference)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    tool_logger('fast_inference_numerics')
    model = load_classifier(cfg, args.checkpoint,
                            strict=not args.non_strict)
    calibration = None
    if args.dtype == 'int8':
        try:
            images = calibration_images(args.calib_dir, args.calib_images,
                                        cfg)
        except ValueError as err:
            raise ToolError(str(err)) from err
        calibration = calibration_inputs(model, images)
    try:
        fast = optimize_for_inference(model, args.dtype,
                                      compile=not args.no_compile,
                                      calibration=calibration)
    except (ImportError, ValueError) as err:
        raise ToolError(str(err)) from err
    loader = Runner.build_dataloader(cfg.test_dataloader)
    result = compare_logits(model, fast, loader)
    print(f'{result["images"]} images, optimize_for_inference(dtype='
          f'{args.dtype!r}) vs the fp32 eager model: top-1 agreement '
          f'{100 * result["top1_agreement"]:.2f}%, max relative logit '
          f'difference {result["max_rel_diff"]:.2e}')
    if 'reference_top1' in result:
        print(f'top-1 accuracy: eager {100 * result["reference_top1"]:.2f}%'
              f', fast {100 * result["candidate_top1"]:.2f}%')
    if args.json:
        command = ' '.join(['python', COMMAND] + argv)
        with atomic_write(args.json, 'w') as f:
            json.dump(dict(result, dtype=args.dtype, config=args.config,
                           checkpoint=args.checkpoint,
                           **provenance(command)), f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
