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

from mmconformer.utils import atomic_write, silence_known_warnings

METHODS = ('gradcam', 'gradcam++', 'xgradcam', 'layercam', 'eigencam')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Visualise what each Conformer branch looks at',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='classifier config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--branch', choices=('conv', 'trans', 'both'),
                        default='both', help='which branch to explain')
    parser.add_argument('--method', choices=METHODS, default='gradcam',
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
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    return parser


def main(argv=None) -> int:
    silence_known_warnings()
    parser = build_parser()
    args = parser.parse_args(argv)
    for path in (args.img, args.config, args.checkpoint):
        if not osp.isfile(path):
            print(f'error: file not found: {path}', file=sys.stderr)
            return 1
    if not (args.save_path or args.show):
        parser.error('nothing to do: give --save-path OUT.png and/or --show')
    import matplotlib
    if not args.show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch
    from mmengine.logging import MMLogger
    from mmpretrain import get_model

    from mmconformer.visualization import (branch_cam, cam_figure,
                                           cls_token_attention,
                                           combine_branch_cams, load_rgb)
    import contextlib
    import io
    MMLogger.get_instance('vis_cam', log_level='WARNING')
    # get_model has mmengine print() a note on loading the checkpoint
    with contextlib.redirect_stdout(io.StringIO()):
        model = get_model(args.config, pretrained=args.checkpoint,
                          device=args.device)
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
        print(f'error: {err}', file=sys.stderr)
        return 1
    from mmconformer.visualization import prepare_input
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
