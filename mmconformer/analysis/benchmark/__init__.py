# Copyright (c) mmconformer contributors. All rights reserved.
"""Side-by-side speed and memory of Conformer implementations.

Our classifier is built from a config; mmpretrain's built-in ``Conformer``
+ ``ConformerHead`` is built from the same config (same arch, patch size,
classes) and given the same weights when a variant runs it. Every variant
is timed in one process, interleaved, after warm-up, and each row's speed
is divided by one named baseline row's. ``tools/analysis_tools/
benchmark.py`` is the command line; ``docs/benchmark_tables.py`` renders
the JSON reports in the docs.
"""
from .base import (BaseBenchmark, Int8ProfileBenchmark, LatencyBenchmark,
                   ThroughputBenchmark)
from .int8_profile import graph_census, kernel_category, profile_int8
from .memory import measure_peak_memory
from .peak import gemm_ops, gemm_peak
from .report import (default_baseline, format_report, format_table,
                     plot_results, report_meta, speed_ratios)
from .steps import BenchmarkSpec, build_spec, make_step, prepare_steps
from .variants import (Variant, build_models, classifier_cfg_from_arch,
                       reference_cfg, select_variants)

__all__ = [
    'BaseBenchmark', 'BenchmarkSpec', 'Int8ProfileBenchmark',
    'LatencyBenchmark', 'ThroughputBenchmark', 'Variant', 'build_models',
    'build_spec', 'classifier_cfg_from_arch', 'default_baseline',
    'format_report', 'format_table', 'gemm_ops', 'gemm_peak', 'graph_census',
    'kernel_category', 'make_step', 'measure_peak_memory', 'plot_results',
    'prepare_steps', 'profile_int8', 'reference_cfg', 'report_meta',
    'select_variants', 'speed_ratios'
]
