# One task runner for people and CI (.ci/run calls these targets).
SHELL := bash
PYTHON ?= python

.PHONY: install lint typecheck importlint test bench eval ci mutation

install:
	$(PYTHON) -m pip install -e '.[test]'

lint:
	ruff check pipeline schemas tests

typecheck:
	mypy pipeline schemas

importlint:
	lint-imports

test:
	pytest

# Checker on the gold facts, rules indicator scorer, wall time of a full rules run on the samples,
# and the speed figures of the README's Performance section (bench/speed.py; figures printed, not tests).
bench:
	PYTHONPATH=. $(PYTHON) -m bench.speed --sizes 10,100
	PYTHONPATH=. $(PYTHON) bench/check_gold.py
	PYTHONPATH=. $(PYTHON) -m bench.score_indicators
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  time recon run samples --db "$$tmp/recon.db" --out "$$tmp/out" --backend rules --quiet --fail-on never

# --check-gold: eval/floor.json also holds a floor for the checker on the gold facts.
# The corpus: 20 real reports from other sectors and provinces (../shared, beside the repository).
EVAL_JSON ?= recon-out/eval.json
CORPUS_JSON ?= recon-out/eval-corpus.json
SHARED ?= ../shared
eval:
	mkdir -p $(dir $(EVAL_JSON)) $(dir $(CORPUS_JSON))
	recon eval --gold eval/gold --docs samples --backend rules --floor eval/floor.json --check-gold --json $(EVAL_JSON)
	recon eval --gold $(SHARED)/corpus/gold --docs $(SHARED)/corpus/texts --backend rules --floor eval/corpus_floor.json --json $(CORPUS_JSON)
	$(PYTHON) scripts/readme_figures.py --json $(EVAL_JSON) --corpus-json $(CORPUS_JSON)

ci:
	.ci/run

# Mutation testing of the checker core ([tool.mutmut] in pyproject.toml); one module at a time, e.g.
#   make mutation MUTANTS='pipeline.extract.merge.*'     then   mutmut show NAME (a survivor's diff)
# Not in .ci/run: a full pass takes tens of minutes on two cores.
MUTANTS ?=
MUTATION_JOBS ?= 1
mutation:
	mutmut run --max-children $(MUTATION_JOBS) $(MUTANTS)
	mutmut results
	mutmut results --all true | $(PYTHON) scripts/mutation_score.py
