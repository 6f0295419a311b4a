# Copyright (c) mmconformer contributors. All rights reserved.
"""Which benchmark options go together: the command line's rules, as one
function that names the first conflict."""
from typing import Optional, Sequence

__all__ = ['LIMITS', 'option_conflict']

#: What the figures do and do not mean (the command line's epilog).
LIMITS = ('Limits: CPU peak memory is the peak-RSS growth of a separate '
          'process per row over two steps after the model is built '
          '(includes allocator caching); CUDA peak memory is '
          'max_memory_allocated. Training GFLOP/s count 3x the forward '
          'FLOPs. Timings on a shared machine vary by a few percent between '
          'runs: compare ratios from one run.')


def option_conflict(options: dict, given: Sequence[str]) -> Optional[str]:
    """The first rule the benchmark's options break, as an error message.

    Args:
        options (dict): The parsed options (``sweep``, ``fast``,
            ``latency``, ``profile_int8``, ``dtype``, ``mode``, ``compile``,
            ``channels_last``, ``plot``, ``batch_size``, ``input_size``,
            ``repeats``, ``warmup``).
        given (Sequence[str]): The flags written on the command line (a
            default is not a choice).

    Returns:
        str or None: What to change, or None when the options go together.
    """
    o = options
    size = o['input_size']
    if len(size) not in (1, 2) or min(size) <= 0:
        return f'--input-size takes one or two positive ints, got {size}'
    for name in ('batch_size', 'repeats'):
        if o[name] <= 0:
            return f'--{name.replace("_", "-")} must be positive, got ' \
                   f'{o[name]}'
    if o['warmup'] < 0:
        return f'--warmup must be >= 0, got {o["warmup"]}'
    explicit = [flag for flag in ('--dtype', '--channels-last', '--compare',
                                  '--fast', '--compile') if flag in given]
    if o['profile_int8']:
        extra = explicit + ['--sweep'] * o['sweep'] + \
            ['--latency'] * o['latency'] + ['--plot'] * bool(o['plot'])
        if extra:
            return ('--profile-int8 profiles our int8 fast path alone; '
                    f'drop {", ".join(extra)}')
    if o['sweep'] and explicit:
        return ('--sweep sets the dtypes, the layouts and the comparison '
                f'itself; drop {", ".join(explicit)}')
    if o['fast'] and o['mode'] == 'train':
        return '--fast times inference only; drop --mode train'
    if o['dtype'] in ('fp16', 'int8') and not o['fast']:
        return f'--dtype {o["dtype"]} is for our fast path: add --fast'
    if o['latency'] and (o['mode'] == 'train' or '--batch-size' in given):
        return ('--latency times inference at batch 1: drop --mode train '
                'and --batch-size')
    if o['latency'] and (o['plot'] or o['compile']):
        return ('--latency draws no plot and compiles per variant: drop '
                '--plot / --compile')
    if o['fast'] and (o['compile'] or o['channels_last']):
        return ('--fast compiles and uses channels_last itself; drop '
                '--compile / --channels-last')
    return None
