# Two commands for a fresh machine: `make run` (the chat server on the sample articles)
# and `make test` (lint, types and the whole test suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= .newsbot

.PHONY: setup setup-runtime browser postgres run demo test lint audit bench eval train clean

# `make run` needs only the runtime (setup-runtime); the dev tools come with `make setup` / `make test`.
setup: $(VENV)/.installed

setup-runtime: $(VENV)/.runtime

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 'setuptools>=80'
	$(BIN)/python -m pip install --quiet -e .
	@echo "newsbot is installed in $(VENV)/bin: run '. $(VENV)/bin/activate' to put it on PATH, or call $(BIN)/newsbot"
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: setup-runtime
	$(BIN)/newsbot --data-dir $(DATA_DIR) ingest samples
	$(BIN)/newsbot --data-dir $(DATA_DIR) serve --host 127.0.0.1 --port 8000

demo: setup-runtime
	$(BIN)/newsbot --data-dir $(DATA_DIR) ingest samples
	$(BIN)/newsbot --data-dir $(DATA_DIR) ask "Who will attend the NATO summit?"
	$(BIN)/newsbot --data-dir $(DATA_DIR) ask "What is the spending target?"
	$(BIN)/newsbot --data-dir $(DATA_DIR) ask "How many bicycles will Riverton have?"
	$(BIN)/newsbot --data-dir $(DATA_DIR) ask "Who won the World Cup?"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy bot index train bench

# The chat page is tested in Debian's headless Chromium (never a browser download).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  sudo_=""; [ "$$(id -u)" -eq 0 ] || sudo_="sudo"; \
	  echo "installing Debian's chromium for the page tests"; \
	  $$sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo_ apt-get install -y -qq chromium chromium-driver >/dev/null \
	  || { echo "could not install chromium: install the Debian package 'chromium' and rerun"; exit 1; }; \
	fi

# The shared-database tests run a throwaway PostgreSQL server of Debian's postgresql package
# (tests/postgres.py starts it on 127.0.0.1 in a temporary directory).
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
	  sudo_=""; [ "$$(id -u)" -eq 0 ] || sudo_="sudo"; \
	  echo "installing Debian's postgresql for the shared-database tests"; \
	  $$sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo_ apt-get install -y -qq postgresql >/dev/null \
	  || { echo "could not install postgresql: install the Debian package 'postgresql' and rerun"; exit 1; }; \
	fi

# The Chroma-server integration tests start their own `chroma run` (tests/conftest.py) unless
# NEWSBOT_TEST_CHROMA_URL names one.
test: lint audit browser postgres
	$(BIN)/python -m pytest

# Known vulnerabilities in the installed packages (pip-audit); on a closed network it says it
# could not audit, and does not fail.
audit: setup
	$(BIN)/python tools/audit.py

eval: setup
	$(BIN)/newsbot eval ../shared/data/dev_news_qa/questions.jsonl --articles ../shared/data/dev_news_qa/articles.jsonl
	$(BIN)/newsbot eval ../shared/data/dev_direct_qa/questions.jsonl --articles ../shared/data/dev_news_qa/articles.jsonl

bench: setup
	$(BIN)/python bench/bench_core.py

# Retrains the answer model from ../shared/data (CPU: about 7 hours of training and 1.5 hours of calibration
# on 2 cores; the runs checkpoint and resume) and puts it in
# the package; bot/answer_model/MODEL.md records the figures of the shipped one.
TRAIN_DIR ?= build/train
train: setup
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/python -m train.pairs --extra 40000 --out $(TRAIN_DIR)/pairs-40k.jsonl
	$(BIN)/python -m train.reader --pairs $(TRAIN_DIR)/pairs-40k.jsonl --out $(TRAIN_DIR)/reader-40k --epochs 1
	$(BIN)/python -m train.pairs --extra -1 --extra-skip 40000 --out $(TRAIN_DIR)/pairs-rest.jsonl
	$(BIN)/python -m train.reader --pairs $(TRAIN_DIR)/pairs-rest.jsonl --out $(TRAIN_DIR)/reader-80k \
		--init $(TRAIN_DIR)/reader-40k/torch/reader.pt --epochs 0.4 --threads 1
	$(BIN)/python -m train.reader --pairs $(TRAIN_DIR)/pairs-rest.jsonl --out $(TRAIN_DIR)/reader-120k \
		--init $(TRAIN_DIR)/reader-80k/torch/reader.pt --start 0.4 --epochs 0.4 --threads 1
	$(BIN)/python -m train.mix --pairs $(TRAIN_DIR)/pairs-rest.jsonl --repeat news=3 --keep extra=0.15 \
		--out $(TRAIN_DIR)/pairs-news.jsonl
	$(BIN)/python -m train.reader --pairs $(TRAIN_DIR)/pairs-news.jsonl --out $(TRAIN_DIR)/reader-news \
		--init $(TRAIN_DIR)/reader-80k/torch/reader.pt --epochs 1 --threads 1
	$(BIN)/python -m train.soup --models $(TRAIN_DIR)/reader-80k $(TRAIN_DIR)/reader-120k $(TRAIN_DIR)/reader-news \
		--out $(TRAIN_DIR)/reader
	$(BIN)/python -m train.calibrate --model $(TRAIN_DIR)/reader
	$(BIN)/python -m train.calibrate --model $(TRAIN_DIR)/reader --embedder minilm
	cp $(TRAIN_DIR)/reader/reader.int8.onnx $(TRAIN_DIR)/reader/tokenizer.json $(TRAIN_DIR)/reader/calibration.json bot/answer_model/

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .mypy_cache .ruff_cache
