# c4forge: `make demo` sets up and runs the main job; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared/data

# Offline machines: use the shared copies of the public data when they are there
# (otherwise the build fetches them from their public URLs).
ifneq ($(wildcard $(SHARED)/nltk_data),)
DATA_FLAGS := --punkt $(SHARED)/nltk_data --badwords $(SHARED)/badwords/ldnoobw_25e679f/en
endif

# gcld3==3.0.13 (mC4's CLD3, as the reference pins it) compiles against Debian's protobuf.
SYSTEM_PACKAGES := protobuf-compiler libprotobuf-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-packages demo test test-full lint format bench clean

setup: $(VENV)/.installed

system-packages:
	@if ! command -v protoc >/dev/null || [ ! -e /usr/include/google/protobuf/message.h ]; then \
	  echo "installing $(SYSTEM_PACKAGES) (gcld3 builds against them)"; \
	  $(SUDO) apt-get update -q >/dev/null && \
	  $(SUDO) apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(MAKE) system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[tasks,model,reference,dev,hf,multilingual]"
	# C4 3.0.1's reference code (TFDS 4.6.0) for the differential tests: kept, never installed.
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: \
	  tensorflow-datasets==4.6.0 -d $(VENV)/reference
	touch $@

demo: setup
	$(BIN)/c4forge demo --output out/demo $(DATA_FLAGS)

test: setup
	$(BIN)/python -m pytest -q

# The heavy checks at full size (CI runs them in their short form).
test-full: setup
	C4FORGE_FULL=1 $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/bench_corpus.py
	$(BIN)/python bench/bench_langid.py
	$(BIN)/python bench/bench_sentences.py
	$(BIN)/python bench/bench_mc4.py
	$(BIN)/python bench/bench_near_dedup.py
	$(BIN)/python bench/bench_decontamination.py
	$(BIN)/python bench/crawl_sample.py --mb 300 --files 8 --output /tmp/c4forge-crawl300
	$(BIN)/python bench/bench_beam.py --input /tmp/c4forge-crawl300 --progress-interval 0
	$(BIN)/python bench/bench_tasks.py
	$(BIN)/python bench/bench_model.py
	$(BIN)/python bench/bench_model.py --malloc-reuse

clean:
	rm -rf out build *.egg-info .pytest_cache .ruff_cache
