# Copyright (c) mmconformer contributors. All rights reserved.
"""A benchmark report as a bar chart (``tools/analysis_tools/benchmark.py
--plot``)."""
import os.path as osp

from ..utils import atomic_write

__all__ = ['plot_benchmark']


def plot_benchmark(report: dict, path: str, name: str) -> None:
    """A bar chart of a throughput report's img/s per mode, titled with
    ``name`` (a config's file name is shortened to its stem), the batch,
    the input size and the machine; written atomically to ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    results, spec = report['results'], report['spec']
    title = (f'{osp.splitext(osp.basename(name))[0]}, batch '
             f'{spec["batch_size"]}, {spec["input_size"][0]}x'
             f'{spec["input_size"][1]}' +
             (', torch.compile' if spec['compile'] else '') +
             f'\n{report["machine"]}')
    modes = [m for m in ('infer', 'train')
             if any(r['mode'] == m for r in results)]
    fig, axes = plt.subplots(
        1, len(modes), squeeze=False, figsize=(0.9 * len(results) + 2, 3.6))
    for ax, mode in zip(axes[0], modes):
        rows = [r for r in results if r['mode'] == mode]
        bars = ax.bar([f'{r["impl"]}\n{r["setting"]}' for r in rows],
                      [r['img_per_s'] for r in rows],
                      color=['C0' if r['impl'] == 'mmconformer' else 'C1'
                             for r in rows])
        ax.bar_label(bars, fmt='%.1f', fontsize=8)
        ax.set_title(mode)
        ax.set_ylabel('images / s')
        ax.tick_params(axis='x', labelsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_write(path, 'wb') as f:
        fig.savefig(f, format='png', dpi=110)
    plt.close(fig)
