# The two commands a newcomer needs: `make run` and `make test`. Both create .venv on
# first use. TORCH pins the PyTorch build this team's machines have on disk (Python 3.11,
# x86_64); on other machines override it, e.g. `make run TORCH="torch torchvision"`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.14.1 torchvision==0.29.1
BIN := $(VENV)/bin
# The webcam, unless the team's sample clip is beside the repo (our machines have no camera).
SAMPLE_CLIP := ../shared/videos/smiling_woman.mp4
SOURCE ?= $(if $(wildcard $(SAMPLE_CLIP)),$(SAMPLE_CLIP),0)
# The clip lasts 4.6 s: played at its own pace, round and round for 30 s, as a camera would show it.
PLAY ?= $(if $(wildcard $(SAMPLE_CLIP)),--realtime --loop --duration 30,)

.PHONY: run test

$(BIN)/assistant: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH) -e '.[dev]'
	touch $@

run: $(BIN)/assistant
	$(BIN)/assistant start --source $(SOURCE) $(PLAY)

test: $(BIN)/assistant
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q
