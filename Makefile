# flowkit: the two set-up commands are `make demo` (the main job) and `make test` (the tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# What a fresh clone installs: exact versions from the committed lock (`make lock` refreshes it).
LOCK   := requirements/lock.txt
UV_VERSION := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' $(LOCK))
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)

.PHONY: demo test test-latest lint lab bench data lock clean

# Install the lock as it is (uv pip sync: exactly those versions, nothing re-resolved), then the kit
# itself without its dependencies. Everything is compiled to bytecode once here, so that a command
# starts fast even where Python may not write bytecode itself (PYTHONDONTWRITEBYTECODE).
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(BIN)/python -m compileall -q -j 0 flowkit >/dev/null
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	# strip notebook outputs on commit (.gitattributes names the filter; this defines it in .git/config)
	-git rev-parse --git-dir >/dev/null 2>&1 && $(BIN)/nbstripout --install
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)  ## run every notebook headless on the bundled data, results in build/
	$(BIN)/flowkit demo

test: $(STAMP)  ## lint, then the whole test suite (notebooks included)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --doctest-modules flowkit tests

# The early warning for the next upstream break: the newest versions pyproject's ranges allow, in a
# venv of their own, then the tests.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet uv
	.venv-latest/bin/uv pip install --quiet --python .venv-latest/bin/python --upgrade -e '.[dev]'
	.venv-latest/bin/uv pip list --python .venv-latest/bin/python | grep -E -i '^(pandas|pyarrow|duckdb|sqlglot|boto3|botocore|moto|awswrangler) '
	.venv-latest/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	.venv-latest/bin/python -m pytest -n 2 --doctest-modules flowkit tests \
	  --deselect tests/test_project.py::test_installed_versions_are_the_locked_ones

# Refresh the lock to the newest versions pyproject's ranges allow: one universal lock (every OS,
# Python >= 3.11), with hashes. `make lock LOCK_FLAGS=` keeps the locked versions that still fit
# (to add one dependency without moving the others).
LOCK_FLAGS ?= --upgrade
lock:
	test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(BIN)/python -m pip install --quiet uv; }
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes $(LOCK_FLAGS) \
	  --quiet --custom-compile-command 'make lock' -o $(LOCK)
	$(BIN)/python requirements/environment.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Jupyter refuses to run as root without --allow-root (containers, CI machines): pass it only there.
lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

bench: $(STAMP)  ## speed and memory, as ratios against baselines measured in the same run
	$(BIN)/python benchmarks/run.py

data: $(STAMP)  ## regenerate the bundled sample in data/sample
	$(BIN)/flowkit simulate --scenario workshop --seed 7 --days 1 --out data/sample

clean:
	rm -rf build .pytest_cache .venv-latest
