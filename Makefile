# The two commands of the README: `make up` runs the system, `make test` runs the tests.
SHELL := /bin/bash
PY := .venv/bin/python
DEV := .state/dev
REPLICAS ?= 1

.PHONY: up down test install status demo bench faults

up: install  ## Kafka + the store + the four services on 8001/8002/8003/8004 + the console on 8000 (state in .state/dev); REPLICAS=N (1..5) runs N of each behind a balancer
	infra/stack.sh start $(DEV) 9092 27017
	REPLICAS=$(REPLICAS) infra/stack.sh services $(DEV) 9092 27017
	@echo "控制台 console: open http://127.0.0.1:8000 and sign in with a development token, e.g. dev-dacheng-clerk"

down:  ## stop exactly what `make up` started, by pid
	infra/stack.sh stop $(DEV)

test: install  ## every test, on a private real Kafka + store (mongo-java-server)
	infra/test.sh

install: .venv/.installed  ## Python packages, Kafka jars, the store build, the console's npm packages (cached); as root, chromium + fonts-wqy-microhei if missing
	infra/stack.sh install

.venv/.installed: requirements.txt contracts/pyproject.toml buildingblocks/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

demo:  ## load a realistic Dacheng first quarter through the public APIs of a running `make up`
	$(PY) -m demo

faults: install  ## the full fault suite (10 SIGKILLs per service, 3 restarts per server, ...); `make test` runs a quick subset
	FAULTS=full infra/test.sh tests/reliability

bench:  ## P1-P5 performance figures beside their baselines, on a private stack (.venv/bin/python -m bench --scale small for a quick run)
	$(PY) -m bench

status:  ## what runs, from the pid files: Kafka, the store, each service's replicas and balancer (the console's too) with its port
	@infra/stack.sh status $(DEV)
