# Copyright (c) mmconformer contributors. All rights reserved.
"""Class activation maps of Conformer's CNN and transformer branches, and the
class token's attention: the Conformer-aware counterpart of mmpretrain's
tools/visualization/vis_cam.py.

Example::

    python tools/visualization/vis_cam.py data/shapes/val/ring/00000.png \\
        configs/demo/conformer-tiny-p16_1xb32_shapes.py \\
        work_dirs/demo/epoch_7.pth --branch both --save-path cam.png
"""
import argparse
import os.path as osp
import sys

from mmconformer.checkpoint import CheckpointError
from mmconformer.utils import (ToolError, add_classifier_args,
                               atomic_write, check_device, check_files,
                               cli_main, tool_logger)
from mmconformer.visualization import CAM_BRANCHES, METHODS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Visualise what each Conformer branch looks at',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('img', help='image file')
    add_classifier_args(parser, cfg_options=False)
    parser.add_argument('--branch', choices=CAM_BRANCHES,
                        default='both', help='which branch to explain')
    parser.add_argument('--method', choices=list(METHODS), default='gradcam',
                        help='CAM method (grad-cam)')
    parser.add_argument('--target-category', type=int, default=None,
                        help='class index to explain (default: predicted)')
    parser.add_argument('--target-block', type=int, default=-1,
                        help='block whose output the CAMs explain (1..depth, '
                        'negative from the end; earlier blocks have finer '
                        'maps)')
    parser.add_argument('--attention-block', type=int, default=-1,
                        help='transformer layer whose class-token attention '
                        'is drawn (1..depth, negative from the end)')
    parser.add_argument('--input-size', type=int, default=None,
                        help='short side the image is resized to (default: '
                        "the config's test size)")
    parser.add_argument('--save-path', default=None, metavar='OUT.png',
                        help='write the figure here (PNG)')
    parser.add_argument('--show', action='store_true',
                        help='show the figure in a window')
    parser.add_argument('--device', default=None,
                        help='cpu or cuda[:N] (default: the GPU if there is '
                        'one, else cpu)')
    return parser


@cli_main(CheckpointError)
def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_files(args.img, args.config, args.checkpoint)
    if not (args.save_path or args.show):
        parser.error('nothing to do: give --save-path OUT.png and/or --show')
    device = check_device(args.device)
    import matplotlib
    if not args.show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch

    from mmconformer.apis import load_classifier
    from mmconformer.visualization import (branch_cam, cam_figure,
                                           cls_token_attention,
                                           combine_branch_cams, load_rgb,
                                           prepare_input)
    tool_logger('vis_cam')
    model = load_classifier(args.config, args.checkpoint, device=device,
                            strict=not args.non_strict)
    branches = ['conv', 'trans'] if args.branch == 'both' else [args.branch]
    try:
        cams = {
            branch: branch_cam(model, args.img, branch, args.method,
                               args.target_category, args.input_size,
                               args.target_block)
            for branch in branches
        }
        if args.branch == 'both':  # from the two maps, not computed again
            cams['both'] = combine_branch_cams(cams['conv'], cams['trans'])
        cams = {f'{branch} {args.method}': cam for branch, cam in cams.items()}
        attention = cls_token_attention(model, args.img, args.attention_block,
                                        args.input_size) \
            if model.backbone.with_cls_token else None
    except ValueError as err:
        raise ToolError(str(err)) from err
    inputs, _ = prepare_input(model, args.img, args.input_size)
    with torch.no_grad():
        scores = sum(model.eval()(inputs, mode='tensor')).softmax(-1)[0]
    classes = (getattr(model, '_dataset_meta', None) or {}).get('classes')
    label = int(scores.argmax()) if args.target_category is None else \
        args.target_category
    name = classes[label] if classes else str(label)
    title = (f'{osp.basename(args.img)}: predicted {name} '
             f'({float(scores[label]):.2f})' if args.target_category is None
             else f'{osp.basename(args.img)}: explaining class {name}')
    fig = cam_figure(load_rgb(args.img), cams, attention, title)
    if args.save_path:
        with atomic_write(args.save_path, 'wb') as f:
            fig.savefig(f, format='png', dpi=100)
        print(f'Saved {args.save_path}')
    if args.show:
        plt.show()
    return 0


if __name__ == '__main__':
    sys.exit(main())
