# The two commands of the README, and a few conveniences.
.PHONY: run test setup fmt bench callgrind flood soak fuzz a11y classroom

run: ## install what is missing, build in release mode, serve on http://127.0.0.1:3000
	scripts/run.sh $(ARGS)

test: ## install what is missing, then run every check and test, browser tests included
	scripts/test.sh

setup:
	scripts/setup.sh test

fmt:
	cargo fmt

classroom: ## a class of 10,000 followers: a step and a new run reaching all of them, and RSS; ARGS="--replicas" for two labs on PostgreSQL
	bench/classroom.sh $(ARGS)

bench: ## the benchmark harness: the lab against oxide-auth, node-oauth2-server, Authlib and a bare-axum floor
	bench/run.sh $(ARGS)

callgrind: ## instructions per token request under callgrind, for the lab, oxide-auth and the floor (repeatable, unlike req/s)
	bench/callgrind.sh $(ARGS)

flood: ## 100,000 registrations, authorizations and runs in a minute each, with a probe on another address
	bench/flood.sh $(ARGS)

soak: ## mixed valid and malformed traffic for 5 minutes (at most 10), RSS over time
	bench/soak.sh $(ARGS)

fuzz: ## the cargo-fuzz targets, 60 s each (ARGS=seconds)
	bench/fuzz.sh $(ARGS)

a11y: ## Lighthouse accessibility on every page, with runs on show, as a phone and as a laptop
	bench/a11y.sh
