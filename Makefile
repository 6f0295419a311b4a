# One entry point for developers and CI. `make test` builds .venv on a machine that
# has only Python 3.11, skips steps that are already done (stamp files), then runs
# the whole test suite, the slow end-to-end tests included.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
CONSTRAINTS := -c requirements/constraints.txt
SHARED_WHEELS ?= ../shared/wheels
MMCV_WHEEL := $(SHARED_WHEELS)/mmcv-2.1.0-cp311-cp311-linux_x86_64.whl
PYTEST_ARGS ?=
# Test processes (pytest-xdist), each with an equal share of torch's threads
# (tests/_xdist_threads.py); 0 runs the suite in this one process.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest tests -n $(TEST_WORKERS) --dist loadfile

.PHONY: help install test test-fast demo demo-finetune demo-cam demo-seg gpu-check clean

help:  ## list the targets
	@echo "make targets (everything runs inside $(VENV); activate it with"
	@echo "'source $(VENV)/bin/activate' to run the tools and mim yourself):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

install: $(VENV)/.stamp-package  ## build .venv: torch, OpenMMLab stack, mmconformer (editable); skips done steps

$(VENV)/.stamp-base: requirements/runtime.txt requirements/tests.txt requirements/vis.txt requirements/deploy.txt requirements/openvino.txt requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(CONSTRAINTS) setuptools wheel
	$(PIP) install -q $(CONSTRAINTS) torch torchvision
	$(PIP) install -q $(CONSTRAINTS) -r requirements/runtime.txt -r requirements/tests.txt \
	  -r requirements/vis.txt -r requirements/deploy.txt -r requirements/openvino.txt \
	  mmcv-lite
	touch $@

# mmdet 3.3.0 and mmsegmentation 1.2.2 need compiled mmcv ops and mmcv<2.2: use
# the wheel built for this machine when ../shared/wheels is there (CI), else keep
# mmcv-lite and the detection and segmentation tests skip. mmseg imports ftfy and
# regex without declaring them (mmsegmentation #3704). Nothing in the package
# itself depends on mmdet or mmseg. --force-reinstall:
# when the base step reruns, it puts mmcv-lite's files over mmcv's, and
# uninstalling mmcv-lite then deletes the `mmcv` module both share.
$(VENV)/.stamp-mmdet: $(VENV)/.stamp-base requirements/dense.txt
	if [ -f $(MMCV_WHEEL) ]; then \
	  $(PIP) uninstall -q -y mmcv-lite; \
	  $(PIP) install -q --no-deps --force-reinstall $(MMCV_WHEEL) && \
	  $(PIP) install -q $(CONSTRAINTS) -r requirements/dense.txt ; \
	else echo "$(MMCV_WHEEL) not found: mmdet and mmseg tests will be skipped"; fi
	touch $@

# openmim's own pins would downgrade torch (see requirements/openmim.txt).
$(VENV)/.stamp-mim: $(VENV)/.stamp-mmdet requirements/openmim.txt
	$(PIP) install -q --no-deps openmim==0.3.9 opendatalab
	$(PIP) install -q $(CONSTRAINTS) $$(grep -vE '^(#|openmim)' requirements/openmim.txt)
	touch $@

# mmdeploy's declared dependencies would move our pins (see requirements/mmdeploy.txt).
$(VENV)/.stamp-mmdeploy: $(VENV)/.stamp-mim requirements/mmdeploy.txt
	$(PIP) install -q --no-deps $(CONSTRAINTS) -r requirements/mmdeploy.txt
	touch $@

$(VENV)/.stamp-package: $(VENV)/.stamp-mmdeploy setup.py pyproject.toml build_backend/mmconformer_build.py
	$(PIP) install -q --no-deps --no-build-isolation -e .
	touch $@

test: install  ## the test command: install, then the whole suite (slow end-to-end tests included)
	$(PYTEST) $(PYTEST_ARGS)

test-fast: install  ## the suite without the slow end-to-end tests
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

clean:  ## remove .venv and build files
	rm -rf $(VENV) build dist *.egg-info mmconformer/.mim

# The README's first command: dataset (if missing), training, evaluation.
demo: install  ## make the shapes dataset, train Conformer-tiny on CPU, print val top-1
	$(PY) tools/run_demo.py

demo-finetune: install  ## after make demo: fine-tune its checkpoint on 4 new shapes, vs. from scratch
	$(PY) tools/run_finetune_demo.py

demo-cam: install  ## after make demo: fine-tune it to find shapes anywhere (160x160), score its CAMs (pointing game)
	$(PY) tools/run_cam_demo.py

# Without mmseg and the compiled mmcv the script stops with one line.
demo-seg: install  ## train UPerNet + Conformer-tiny on the shapes label maps (needs mmseg), print val mIoU
	@$(PY) tools/run_seg_demo.py

# Where a CUDA GPU is: its tests and measurements in one run of a few minutes,
# written to docs/benchmarks/gpu_check.json. Without a GPU: one line, at once.
gpu-check: install  ## on a CUDA GPU: the GPU tests and benchmarks, into docs/benchmarks/gpu_check.json
	@$(PY) tools/analysis_tools/gpu_check.py
