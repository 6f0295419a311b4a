# Copyright (c) mmconformer contributors. All rights reserved.
"""Side-by-side speed and memory of Conformer implementations.

Our classifier is built from a config; mmpretrain's built-in ``Conformer``
+ ``ConformerHead`` is built from the same config (same arch, patch size,
classes) and given the same weights. Every variant is timed in one
process, interleaved, after warm-up. ``tools/analysis_tools/benchmark.py``
is the command line.

- :mod:`.variants`: what is compared (:class:`Variant`, the model pair);
- :mod:`.steps`: one callable per variant and mode;
- :mod:`.timing`: the one timing loop;
- :mod:`.peak`: the GEMM peak of the model's own ops;
- :mod:`.memory`: peak memory;
- :mod:`.base`: the benchmarks (:class:`ThroughputBenchmark`,
  :class:`LatencyBenchmark`);
- :mod:`.int8_profile`: where the int8 path's time goes;
- :mod:`.report`: ratios, tables, plots, machine facts, docs tables.
"""
from .base import (BaseBenchmark, Int8ProfileBenchmark, LatencyBenchmark,
                   ThroughputBenchmark, percentile)
from .int8_profile import graph_census, kernel_category, profile_int8
from .memory import measure_peak_memory
from .peak import gemm_ops, gemm_peak
from .report import (format_latency_table, format_table, machine_description,
                     markdown_blocks, markdown_report, plot_results,
                     render_generated_tables, report_meta, speed_ratios,
                     update_generated_tables)
from .steps import BenchmarkSpec, build_spec, make_step, prepare_steps
from .timing import time_interleaved
from .variants import (RUNTIMES, Variant, build_pair, classifier_cfg_from_arch,
                       onnxruntime_available, reference_cfg, select_variants,
                       torchao_available)

__all__ = [
    'RUNTIMES', 'BaseBenchmark', 'BenchmarkSpec', 'Int8ProfileBenchmark',
    'LatencyBenchmark', 'ThroughputBenchmark', 'Variant', 'build_pair',
    'build_spec', 'classifier_cfg_from_arch', 'format_latency_table',
    'format_table', 'gemm_ops', 'gemm_peak', 'graph_census',
    'kernel_category', 'machine_description', 'make_step',
    'markdown_blocks', 'markdown_report', 'measure_peak_memory',
    'onnxruntime_available', 'percentile', 'plot_results', 'prepare_steps',
    'profile_int8', 'reference_cfg', 'render_generated_tables',
    'report_meta', 'select_variants', 'speed_ratios', 'time_interleaved',
    'torchao_available', 'update_generated_tables'
]
