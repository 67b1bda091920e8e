# edgeforge: make targets. Each bootstraps .venv from pyproject.toml when it is missing or stale.
#   SIM=icarus|verilator  simulator (unset: icarus if iverilog is on PATH, else verilator)
#   WAVES=1               record FST waveforms of RTL runs (build/verif/<module>/<sim>-waves/)
#   GUI=1                 open the waveform viewer after an RTL run (cocotb's GUI knob)
#   JOBS=N                pytest workers (default 2)
#   FULL=1                make report: also the slow points and the full-library comparison

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2
export SIM WAVES GUI

STAMP := $(VENV)/.edgeforge-installed

.PHONY: all venv verilog synth test test-rtl regress report lint bench clean distclean help

all: verilog

help:
	@sed -n '1,8p' Makefile
	@echo "targets: venv verilog synth test test-rtl regress report lint bench clean distclean"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,test]'
	@touch $@

venv: $(STAMP)

## verilog: the default design set into build/verilog/ (.v, .json, .vlt, .f, .core per design)
verilog: $(STAMP)
	$(BIN)/edgeforge verilog --all -o build/verilog

## synth: synthesise the default design set (Yosys; LIBERTY=PATH or PDK_ROOT pick the library,
## default the embedded compact sky130_fd_sc_hd); build/synth/summary.json and summary.md
synth: $(STAMP)
	$(BIN)/edgeforge synth --all -o build/synth

## test: the whole fast suite (models, generators, CLI, RTL on the chosen simulator)
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -m "not slow" --durations=15

## test-rtl: only the cocotb/RTL part (CI runs it again with SIM=verilator)
test-rtl: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -m "rtl and not slow" --durations=15

## regress: long sweeps (exhaustive 16-bit error tables, wide random RTL runs)
regress: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -m slow

## report: the main job: build/report/ (every family's area, energy, accuracy, figures; the
## time table). FULL=1: also the points left out for their run time (report_full.toml) and, with
## the full sky130 library beside the project, the compact-versus-full library deviation
FULL_LIB := ../shared/pdk/sky130_fd_sc_hd/sky130hd_tt.lib.gz
report: $(STAMP)
	$(BIN)/edgeforge report -o build/report $(if $(FULL),--full $(if $(wildcard $(FULL_LIB)),--compare-liberty $(FULL_LIB)))

## lint: ruff, and the import contracts of docs/architecture.md (import-linter)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/exhaustive_errors.py
	$(BIN)/python benchmarks/harness_speed.py

clean:
	rm -rf build sim_build results.xml

distclean: clean
	rm -rf $(VENV) *.egg-info
