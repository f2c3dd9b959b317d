# Three commands do all set-up: `make demo`, `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo run test migrate sandbox rotate-keys lock clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	touch $(STAMP)

# The whole product in a browser: sandbox marketplaces and Telegram, the bot, a web chat on http://127.0.0.1:8000.
demo: $(STAMP)
	$(PY) -m sandbox.demo $(DEMO_ARGS)

run: $(STAMP)
	$(PY) -m bot run

migrate: $(STAMP)
	$(PY) -m bot migrate

rotate-keys: $(STAMP)
	$(PY) -m bot rotate-keys

sandbox: $(STAMP)
	$(PY) -m sandbox

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

# Re-resolve the pinned versions after changing pyproject.toml.
lock: $(STAMP)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV)
