# The two commands of the README: `make demo` and `make test`; the others call
# `.venv/bin/dispatch` (see `make help`).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo demo-reset test check bench bench-full install clean help serve worker clock seed backup \
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

demo-district: $(STAMP)
	$(BIN)/dispatch demo --preset district

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
	@echo "make demo-district the Jizhou-scale district: 26 streets and the district centre,"
	@echo "                   the simulator playing every street at once"
	@echo "make test          the whole test suite"
	@echo "make serve|worker|clock   one process of a deployment (the Procfile's lines)"
	@echo "make seed          store the reference street (asks for a password)"
	@echo "make backup        write a backup of the street (dispatch restore FILE reads it)"
	@echo "make check         ruff and mypy;  make bench: the benchmarks (~10 min);"
	@echo "                   make bench-full: at the goals' sizes, 3 runs each"
	@echo "anything else: .venv/bin/dispatch --help"

# Two pytest workers (one a core): much of the suite waits on servers and browsers.
# Each test module stays on one worker, with its own redis-server.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# `make bench`: every benchmark at a size that finishes in about ten minutes on two cores
# (one run of the ratios, shorter loads); `make bench-full`: the goals' sizes, three runs
# (ten for report -> offer). Each prints its figures beside its goal and its baseline.
bench: $(STAMP)
	$(BIN)/python bench/bench_ingest.py --runs 1 --ratios-only
	$(BIN)/python bench/bench_screens.py --runs 1 --seconds 8
	$(BIN)/python bench/bench_reconnect.py --phones 1000
	$(BIN)/python bench/bench_cases.py --quick --runs 3 --parts 1,3
	$(BIN)/python bench/bench_clock.py --cases 4000 --window 15
	$(BIN)/python bench/bench_point_in_grid.py --lookups 20000 --skip-coverage
	$(BIN)/python bench/bench_track_refresh.py
	$(BIN)/python bench/bench_archive.py --quick
	$(BIN)/python bench/bench_fsync.py --quick
	$(BIN)/python bench/bench_load.py --phones 1000 --duration 20
	$(BIN)/python bench/bench_streets.py --runs 1
	$(BIN)/python bench/bench_district.py --quick

bench-full: $(STAMP)
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_screens.py
	$(BIN)/python bench/bench_reconnect.py
	$(BIN)/python bench/bench_cases.py
	$(BIN)/python bench/bench_clock.py
	for b in bench_point_in_grid bench_track_refresh bench_archive bench_fsync bench_load \
		bench_streets bench_district bench_cluster; do \
		$(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) var
