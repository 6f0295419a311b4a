# Copyright (c) mmconformer contributors. All rights reserved.
"""Side-by-side speed and memory of Conformer implementations: ours from a
config, mmpretrain's built-in ``Conformer`` + ``ConformerHead`` from the
same config with the same weights, every variant timed in one process,
interleaved, after warm-up, each row's speed divided by one baseline row's.
``tools/analysis_tools/benchmark.py`` is the command line;
``docs/benchmark_tables.py`` renders the JSON reports in the docs.
"""
from .base import BaseBenchmark, LatencyBenchmark, ThroughputBenchmark
from .memory import measure_peak_memory
from .peak import gemm_ops, gemm_peak
from .report import default_baseline, format_report, report_meta, speed_ratios
from .steps import (BenchmarkSpec, build_spec, make_step, openvino_compiled,
                    prepare_steps)
from .variants import (Variant, build_models, classifier_cfg_from_arch,
                       reference_cfg, select_variants)

__all__ = [
    'BaseBenchmark', 'BenchmarkSpec', 'LatencyBenchmark',
    'ThroughputBenchmark', 'Variant', 'build_models', 'build_spec',
    'classifier_cfg_from_arch', 'default_baseline', 'format_report',
    'gemm_ops', 'gemm_peak', 'make_step', 'measure_peak_memory',
    'openvino_compiled', 'prepare_steps', 'reference_cfg', 'report_meta',
    'select_variants', 'speed_ratios'
]
