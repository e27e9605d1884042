# Soundstage — the two commands: `make demo` and `make test`.
SWIFT ?= swift
BIN := .build/release/soundstage
ROOMS := $(wildcard rooms/*.json)
OUT ?= Renders

.PHONY: deps build build-debug demo test validate-rooms clean help

help:
	@echo "make demo   install what is missing, build (release), validate every example room"
	@echo "make test   install what is missing, build and run all tests"

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

demo: build
	@mkdir -p $(OUT)
	@echo "== Validating every room in rooms/ =="
	$(BIN) validate $(ROOMS) | tee $(OUT)/validate-summary.txt
	@echo ""
	@echo "Summaries written to $(OUT)/validate-summary.txt; the soundstage binary is $(BIN)."

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

clean:
	rm -rf .build
