# Copyright (c) mmconformer contributors. All rights reserved.
"""Speed and memory of our Conformer and mmpretrain's with the same weights,
every variant timed in one process, interleaved, after warm-up."""
from .base import (BaseBenchmark, LatencyBenchmark, ThroughputBenchmark,
                   default_baseline, format_report, row_label, speed_ratios)
from .steps import exported_sessions, make_step, measure_peak_memory
from .variants import (BenchmarkSpec, Variant, build_models, build_spec,
                       classifier_cfg_from_arch, reference_cfg,
                       select_variants)

__all__ = [
    'BaseBenchmark', 'BenchmarkSpec', 'LatencyBenchmark',
    'ThroughputBenchmark', 'Variant', 'build_models', 'build_spec',
    'classifier_cfg_from_arch', 'default_baseline', 'exported_sessions',
    'format_report', 'make_step', 'measure_peak_memory', 'reference_cfg',
    'row_label', 'select_variants', 'speed_ratios'
]
