# The README's two commands are `make demo` and `make test`; the rest are their parts.
SWIFT ?= swift
RELEASE_BIN := .build/release/transcriber

.PHONY: deps build test demo clean

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) test

demo: build
	@scripts/demo.sh $(RELEASE_BIN)

clean:
	rm -rf .build
