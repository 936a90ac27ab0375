# The README's two commands are `make demo` and `make test`; the rest are their parts.
SWIFT ?= swift
RELEASE_BIN := .build/release/transcriber

.PHONY: deps build test demo clean corpus-deps corpus example default-weights fuzz sanitize

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) test

demo: build
	@scripts/demo.sh $(RELEASE_BIN)

# The MusicNet-layout corpus the default weights were trained on (scripts/corpus/README.md).
corpus-deps:
	@scripts/corpus/install-deps.sh

corpus: corpus-deps
	python3 scripts/corpus/build_corpus.py --out data/fluidr3 --hours 6 --seed 0
	python3 scripts/corpus/build_corpus.py --out data/fluidr3 --only-train --first-id 10001 --hours 6 --seed 2
	python3 scripts/corpus/build_corpus.py --out data/fluidr3 --only-train --first-id 20001 --hours 6 --seed 3
	python3 scripts/corpus/build_corpus.py --out data/fluidr3 --only-train --first-id 30001 --hours 8 --seed 4 \
	  --more-pieces --transpose 5
	python3 scripts/corpus/build_corpus.py --out data/fluidr3 --only-train --first-id 40001 --hours 6 --seed 5 \
	  --more-pieces --transpose 5 --soundfont /usr/share/sounds/sf2/MuseScore_General_Full.sf2
	python3 scripts/corpus/build_corpus.py --out data/fluidr3 --only-train --first-id 50001 --hours 5 --seed 6 \
	  --more-pieces --transpose 5 --soundfont /usr/share/sounds/sf2/sf_GMbank.sf2
	python3 scripts/corpus/build_corpus.py --out data/unseen-soundfont --only-test --half-clean --seed 1 \
	  --soundfont /usr/share/sounds/sf2/TimGM6mb.sf2

example: corpus-deps
	python3 scripts/corpus/build_corpus.py --example Examples/maple-leaf-rag --seed 7

# Corpus, windows, training and evaluation, as Models/default.safetensors was made (hours).
default-weights:
	scripts/train-default-weights.sh data

# libFuzzer targets (Fuzz/), FUZZ_SECONDS each (10 minutes unless told).
FUZZ_SECONDS ?= 600
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The test suite under the address and the thread sanitizer (separate build folders).
sanitize: deps
	scripts/sanitize.sh

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan
