# gradflow course commands. `make lab` to learn, `make test` to prove it all works; bare `make` lists them all.
# Each target creates the environment first when it is missing or out of date.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The course's commands: one entry point (utils/gradflow_course/cli.py); `gradflow-course --help` lists them
COURSE := $(BIN)/python -m gradflow_course
# `make setup TORCH_INDEX=cpu`: PyTorch's CPU wheels (PyPI's Linux torch is the multi-GB CUDA build). An option,
# not PIP_EXTRA_INDEX_URL, so the extra indexes of the user's own pip.conf are kept; few retries and a short
# timeout, so an unreachable index fails in a minute instead of twenty.
TORCH_INDEX_URL := $(if $(filter cpu,$(TORCH_INDEX)),https://download.pytorch.org/whl/cpu,$(TORCH_INDEX))
PIP_TORCH_INDEX := $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX_URL) --retries 1 --timeout 30)

.DEFAULT_GOAL := help
.PHONY: help setup lab lint test test-kernels test-torch lessons outputs bench sizing check clean progress reset site test-browser new-lesson diff

$(STAMP): pyproject.toml constraints.txt
	@# any Python but 3.11 stops here with one line naming a route to 3.11 (conda or uv); a .venv that
	@# another Python made (a failed first try) is removed, since `python -m venv` would keep its interpreter
	@$(PYTHON) utils/gradflow_course/python_check.py $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]' $(PIP_TORCH_INDEX)
	# build matplotlib's font cache now, so no notebook prints "building the font cache"
	MPLBACKEND=Agg $(BIN)/python -c 'import matplotlib.pyplot'
	touch $(STAMP)

help:                    ## this list (bare `make` prints it)
	@echo "gradflow course commands (README.md explains each):"
	@sed -n 's/^\([a-z-]*\):.*## \(.*\)$$/  make \1|\2/p' $(firstword $(MAKEFILE_LIST)) | \
		awk -F'|' '{ printf "%-20s %s\n", $$1, $$2 }'

# Asked for by name, setup always re-checks the install (pip is quick when all is there): a broken or
# half-installed .venv is repaired even when the stamp is newer than pyproject.toml (the fix `make check` names).
setup:                   ## create or update the course environment in .venv
	@rm -f $(STAMP)
	@$(MAKE) --no-print-directory $(STAMP)

lab: $(STAMP)            ## open the course in JupyterLab (your copies live in workspace/)
	$(COURSE) lab

# The pytest command line has one home, utils/gradflow_course/suite.py: `gradflow-course test` (no make) runs the same
test: $(STAMP)           ## every test: library, build sync, strict nbval on solutions, lessons run clean (LESSON=hooks: one lesson)
	$(COURSE) test $(if $(LESSON),--lesson '$(LESSON)')

test-kernels: $(STAMP)   ## the solutions under strict nbval once per CPU kernel this machine has (default, avx2, avx512)
	$(COURSE) test-kernels $(if $(REQUIRE),--require $(REQUIRE)) $(if $(AFTER_MAKE_TEST),--after-make-test)

test-torch: $(STAMP)     ## maintainers: the solutions on another torch in a throwaway env: make test-torch TORCH=2.14.1
	@test -n "$(TORCH)" || { echo "usage: make test-torch TORCH=2.14.1"; exit 2; }
	$(COURSE) test-torch $(TORCH)

lessons: $(STAMP)        ## rebuild lessons/ from solutions/
	$(COURSE) lessons

outputs: $(STAMP)        ## re-run solutions in place (NB=solutions/01_detach.ipynb or LESSON=detach for one)
	$(COURSE) outputs $(NB) $(if $(LESSON),--lesson '$(LESSON)')

bench: $(STAMP)          ## seconds, kernel memory and CPU per notebook, against a bare one (instructors/sizing.md)
	$(COURSE) bench

sizing: $(STAMP)         ## maintainers: measure a lesson for instructors/sizing.json and merge its row: make sizing LESSON=hooks
	@test -n "$(LESSON)" || { echo "usage: make sizing LESSON=hooks (the whole course: python -m gradflow_course sizing)"; exit 2; }
	$(COURSE) sizing --lesson '$(LESSON)'

check: $(STAMP)          ## preflight before a workshop: Python, torch, gradflow, widgets extension, a kernel (no network)
	$(COURSE) check

progress: $(STAMP)       ## where you are: every exercise and prediction from your saved notebooks (SUMMARY=1: a line per lesson; DIR=folder of learners)
	@$(COURSE) progress $(if $(SUMMARY),--summary) $(DIR)

reset: $(STAMP)          ## course version back, yours kept beside it: make reset LESSON=01_detach [EXERCISE=2]
	@test -n "$(LESSON)" || { echo "usage: make reset LESSON=01_detach [EXERCISE=2]"; exit 2; }
	@$(COURSE) reset -- '$(LESSON)' $(if $(strip $(EXERCISE)),'$(EXERCISE)')

site: $(STAMP)           ## static HTML site of the executed solutions in _site/ (offline)
	$(COURSE) site

lint: $(STAMP)           ## every rule a lesson must follow, with the fix for each broken one: make lint [LESSON=10]
	$(COURSE) lint $(LESSON)

new-lesson: $(STAMP)     ## start lesson NAME=hooks (numbered for you): a green skeleton (notebook, checkers, tests, quiz, course.toml entry)
	@test -n "$(NAME)" || { echo "usage: make new-lesson NAME=hooks"; exit 2; }
	$(COURSE) new-lesson $(NAME)

diff: $(STAMP)           ## cell-level diff of changed notebooks (nbdime): make diff [REV=main] [NB=solutions/01_detach.ipynb]
	$(BIN)/python -c 'import nbdime' 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,dev]'
	$(COURSE) diff $(if $(REV),--rev $(REV)) $(NB)

test-browser: $(STAMP)   ## end-to-end in headless Chromium: JupyterLab runs a lesson, the widget responds
	$(BIN)/python -c 'import playwright, axe_playwright_python' 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,browser]'
	$(BIN)/python -m pytest tests_browser -v

clean:                   ## remove the environment (your workspace/ is kept)
	rm -rf $(VENV)
