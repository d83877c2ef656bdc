# Entry points for a fresh machine with pyenv's Python 3.7 and 3.9 (see README).
export PYENV_VERSION ?= 3.11.7:3.7.16:3.9.18
CACHE ?= $(CURDIR)/.cache
export LEGACY_RPROP_CACHE := $(CACHE)
TOX = $(CACHE)/tools/bin/tox

.PHONY: bootstrap test
bootstrap:
	tools/bootstrap

# every backend; fails if any environment fails or runs no tests
test: bootstrap
	$(TOX) $(TOX_ARGS)
