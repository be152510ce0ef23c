# The two commands of the README: `make demo` and `make test`; the others call
# `.venv/bin/dispatch` (see `make help`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo demo-reset test check bench install clean help serve worker clock seed backup \
	redis-status

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/dispatch demo

demo-reset: $(STAMP)
	$(BIN)/dispatch demo --reset

serve: $(STAMP)
	$(BIN)/dispatch serve

worker: $(STAMP)
	$(BIN)/dispatch worker

clock: $(STAMP)
	$(BIN)/dispatch clock

seed: $(STAMP)
	$(BIN)/dispatch seed --preset street

backup: $(STAMP)
	$(BIN)/dispatch backup

redis-status: $(STAMP)
	$(BIN)/dispatch redis status

help:
	@echo "make demo          everything, with the simulated street (DISPATCH_PORT, default 8000)"
	@echo "make demo-reset    the same, from an empty street"
	@echo "make test          the whole test suite"
	@echo "make serve|worker|clock   one process of a deployment (the Procfile's lines)"
	@echo "make seed          store the reference street (asks for a password)"
	@echo "make backup        write a backup of the street (dispatch restore FILE reads it)"
	@echo "make check         ruff and mypy;  make bench: the benchmarks"
	@echo "anything else: .venv/bin/dispatch --help"

test: $(STAMP)
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var
