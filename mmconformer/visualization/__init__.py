# Copyright (c) mmconformer contributors. All rights reserved.
"""What the model looks at: class activation maps of either branch and the
class token's attention (they need grad-cam: ``pip install .[vis]``),
segmentation label maps beside their ground truth, and benchmark reports
as bar charts."""
from .benchmark_plot import plot_benchmark
from .cam import (CAM_BRANCHES, METHODS, branch_cam, cam_figure,
                  cls_token_attention, combine_branch_cams, load_rgb,
                  prepare_input, target_layer)
from .pointing_game import (DEFAULT_METHODS, find_image_mask_pairs,
                            format_pointing_game, hit, pointing_game,
                            pointing_game_figure, report_pointing_game)
from .segmentation_figure import (colorize_labels, draw_val_predictions,
                                  segmentation_figure)

__all__ = [
    'CAM_BRANCHES', 'DEFAULT_METHODS', 'METHODS', 'branch_cam', 'cam_figure',
    'cls_token_attention', 'colorize_labels', 'combine_branch_cams',
    'draw_val_predictions',
    'find_image_mask_pairs', 'format_pointing_game', 'hit', 'load_rgb',
    'plot_benchmark', 'pointing_game', 'pointing_game_figure', 'prepare_input',
    'report_pointing_game',
    'segmentation_figure', 'target_layer'
]
