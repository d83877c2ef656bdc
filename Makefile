# Entry points for a fresh Debian machine with pyenv's Pythons 3.6 to 3.12
# (see README): `make demo`, `make test`.
export PYENV_VERSION ?= 3.11.7:3.6.15:3.7.16:3.8.18:3.9.18:3.10.13:3.12.1
CACHE ?= $(CURDIR)/.cache
export LEGACY_RPROP_CACHE := $(CACHE)
TOOLS = $(CACHE)/tools/bin
# the tox environment the demo runs in: py37-tensorflow or py37-theano
DEMO_ENV ?= py37-tensorflow
DEMO_ARGS ?=

# `make test DOCKER_TEST=0` leaves the Docker images out
DOCKER_TEST ?= 1
REPORTS = $(CURDIR)/.tox/reports

.PHONY: test docker-test demo bench bench-torch

# every tox environment (every stack), two at a time, and beside them, from
# the start (while tools/bootstrap prepares the machine), both Docker images
# built and used (docker-test; its log at the end); fails if anything fails
# or skips a test.  py37-tensorflow is only built: its suite
# runs in the TensorFlow image, and the tf.keras and Keras 3 environments
# compare with its Keras 2.3.1
test:
	mkdir -p $(REPORTS)
	if [ "$(DOCKER_TEST)" = 1 ]; then python3 tools/docker_test.py $(REPORTS) \
	    > $(REPORTS)/docker-test.log 2>&1 & fi; docker=$$!; \
	tools/bootstrap && \
	$(TOOLS)/hadolint docker/theano.Dockerfile docker/tensorflow.Dockerfile && \
	$(TOOLS)/tox run -e py37-tensorflow --notest && \
	$(TOOLS)/tox run-parallel -p 2 --parallel-no-spinner $(TOX_ARGS); tox=$$?; \
	if [ "$(DOCKER_TEST)" = 1 ]; then wait $$docker; docker=$$?; \
	    cat $(REPORTS)/docker-test.log; else docker=0; fi; \
	exit $$(( tox || docker ))

# both Docker images built from this checkout's files, their test suites,
# demo, a mounted script and pins checked (tools/docker_test.py)
docker-test:
	python3 tools/docker_test.py $(REPORTS)

# the demo on one backend; writes demo-output/demo.{md,json,png}
# (`tox run --notest` builds the environment and installs the package from
# this checkout; `tox exec` alone would do neither)
demo:
	tools/bootstrap demo
	$(TOOLS)/tox run -e $(DEMO_ENV) --notest
	$(TOOLS)/tox exec -e $(DEMO_ENV) -- legacy-rprop demo --out $(CURDIR)/demo-output $(DEMO_ARGS)


# benchmarks/ on one backend (BENCH_ENV: py37-tensorflow or py37-theano);
# each script prints ratios measured in one run
BENCH_ENV ?= py37-tensorflow
bench:
	tools/bootstrap demo
	$(TOOLS)/tox run -e $(BENCH_ENV) --notest
	$(TOOLS)/tox exec -e $(BENCH_ENV) -- python $(CURDIR)/benchmarks/step_cost.py
	$(TOOLS)/tox exec -e $(BENCH_ENV) -- python $(CURDIR)/benchmarks/model_step.py
	$(TOOLS)/tox exec -e $(BENCH_ENV) -- python $(CURDIR)/benchmarks/convergence.py

# torch.optim.Rprop on the same gradient stream as our iRprop-, and its step time
bench-torch:
	tools/bootstrap demo
	$(TOOLS)/tox run -e $(BENCH_ENV) --notest
	$(TOOLS)/tox exec -e $(BENCH_ENV) -- python $(CURDIR)/benchmarks/export_irprop_trajectory.py $(CACHE)/irprop_minus.npz
	$(TOOLS)/tox -e torch -- $(CACHE)/irprop_minus.npz
