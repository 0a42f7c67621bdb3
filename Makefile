# flowkit: the two set-up commands are `make demo` (the main job) and `make test` (the tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint lab bench data clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lab: $(STAMP)  ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)  ## speed and memory, as ratios against baselines measured in the same run
	$(BIN)/python benchmarks/run.py

data: $(STAMP)  ## regenerate the bundled sample in data/sample
	$(BIN)/flowkit simulate --scenario workshop --seed 7 --days 1 --out data/sample

clean:
	rm -rf build .pytest_cache
