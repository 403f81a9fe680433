# Everything a fresh machine needs: `make demo` runs the main job, `make test` the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.synapt-installed
OUT    ?= runs/demo

export MUJOCO_GL ?= egl

.PHONY: install test demo bench clean

install: $(STAMP)

# Offscreen rendering needs an EGL library (Mesa's llvmpipe on a CPU-only box).
$(STAMP): pyproject.toml Makefile
	@ldconfig -p | grep -q 'libEGL.so.1' || { \
	  echo "installing Mesa EGL (libegl1, libgl1-mesa-dri) for offscreen rendering"; \
	  apt-get update -qq && apt-get install -y -qq libegl1 libegl-mesa0 libgl1-mesa-dri; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The local CPU build; an unpinned torch would pull several GB of CUDA wheels.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test,mocap]"
	touch $@

test: install
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

demo: install
	$(BIN)/synapt benchmark --preset tiny --out $(OUT)

bench: install
	bash benchmarks/run_all.sh

clean:
	rm -rf $(VENV) runs build src/*.egg-info
