# Copyright (c) mmconformer contributors. All rights reserved.
"""Side-by-side speed and memory of Conformer implementations: ours from a
config, mmpretrain's built-in ``Conformer`` + ``ConformerHead`` with the same
weights, every variant timed in one process, interleaved, after warm-up.
``tools/analysis_tools/benchmark.py`` is the command line;
``docs/benchmark_tables.py`` renders the JSON reports in the docs."""
from .base import (BaseBenchmark, LatencyBenchmark, ThroughputBenchmark,
                   default_baseline, format_report, report_meta,
                   speed_ratios)
from .steps import (exported_sessions, make_step, measure_peak_memory,
                    prepare_steps)
from .variants import (BenchmarkSpec, Variant, build_models, build_spec,
                       classifier_cfg_from_arch, reference_cfg,
                       select_variants)

__all__ = [
    'BaseBenchmark', 'BenchmarkSpec', 'LatencyBenchmark',
    'ThroughputBenchmark', 'Variant', 'build_models', 'build_spec',
    'classifier_cfg_from_arch', 'default_baseline', 'exported_sessions',
    'format_report', 'make_step',
    'measure_peak_memory', 'prepare_steps', 'reference_cfg', 'report_meta',
    'select_variants', 'speed_ratios'
]
