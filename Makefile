# Soundstage — the two commands: `make demo` and `make test`.
SWIFT ?= swift
BIN := .build/release/soundstage
ROOMS := $(wildcard rooms/*.json)
OUT ?= Renders

.PHONY: deps build demo test fuzz bench readme-figures validate validate-ism validate-rays validate-diffuse validate-seeds validate-optimize crosscheck-analysis check-sofa peers-env clean help

help:
	@echo "make demo   install what is missing, build (release), validate every example room"
	@echo "make test   install what is missing, build (optimized, in .build-test) and run all tests"
	@echo "make bench  release-build speed and memory figures, with pyroomacoustics timed in the same run"
	@echo "make fuzz   10 000 mutated rooms, meshes, audio, EQ and SOFA files and CLI numbers through soundstage (FUZZ_CASES, FUZZ_SEED)"
	@echo "make validate      BRAS CR2: the simulation against a measured seminar room (EDT, T20, C80, D50 per octave)"
	@echo "make validate-ism  broadband RIR agreement with pyroomacoustics (installed from PyPI into .venv-bench)"
	@echo "make validate-rays T30 per octave of the hybrid vs pyroomacoustics' hybrid on an L-shaped room"
	@echo "make validate-diffuse  T20 in the BRAS CR2 mesh (diffuse, uniform absorption) vs an independent random walk"
	@echo "make validate-seeds  every example room with seeds 1-5: the metrics' range against each run's own error bar"
	@echo "make validate-optimize  each stereo example room: optimize's best against the user's placement, the 38 % rule and Cardas (same objective)"
	@echo "make crosscheck-analysis  analyze vs pyrato (T30, EDT, C80) on simulated and measured-style IRs"
	@echo "make check-sofa  the home studio exported for head tracking (SOFA), opened and convention-checked by sofar (PyPI), ITDs per orientation"
	@echo "make readme-figures  the README's figures: the home studio's bass with and without the wave part, the living room's optimize maps"

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

demo: build
	@mkdir -p $(OUT)
	@echo "== Validating every room in rooms/ =="
	$(BIN) validate $(ROOMS) > $(OUT)/validate-summary.txt
	@echo "== Simulating rooms/home-studio.json (image sources + ray tracing, BRIRs through the MIT KEMAR HRTF) =="
	$(BIN) simulate rooms/home-studio.json -o $(OUT)
	@echo "== Rendering a demo piece through the home studio for your IEMs (its BRIRs come from the cache simulate just wrote) =="
	$(BIN) demo-signal $(OUT)/demo-signal.wav
	$(BIN) render rooms/home-studio.json --input $(OUT)/demo-signal.wav -o $(OUT)
	@echo ""
	@echo "Listen on IEMs or headphones: $(OUT)/demo-signal.wav (dry) against $(OUT)/home-studio/render-demo-signal.wav (in the room)."
	@echo "Outputs: $(OUT)/validate-summary.txt (every example room) and $(OUT)/home-studio/"
	@echo "  (brir-L.wav and brir-R.wav for your IEMs' convolver, rir-L.wav, rir-R.wav, reflections.json,"
	@echo "  metrics.json, reflection-map.png, echogram.png and echogram-R.png, decay.png, response.png and response-R.png, arrivals.png, wave-boundaries.png, outputs.json)."
	@echo "  Analyze any response with: $(BIN) analyze Renders/home-studio/brir-L.wav"

# Tests run optimized (the physics tests simulate rooms; a debug build takes five times as long),
# with -enable-testing for @testable, in a build folder of their own so `make demo` and `make test`
# do not rebuild each other's products.
TESTFLAGS := -c release -Xswiftc -enable-testing --scratch-path .build-test
test: deps
	$(SWIFT) build --build-tests $(TESTFLAGS)
	$(SWIFT) test --skip-build --disable-swift-testing $(TESTFLAGS)

# The fuzzer (Fuzz/): every case in a process of its own; findings are kept in .fuzz/findings/.
FUZZ_CASES ?= 10000
FUZZ_SEED ?= 1
fuzz: build
	.build/release/SoundstageFuzz --cases $(FUZZ_CASES) --seed $(FUZZ_SEED)

# Peers for comparison live in their own virtual environment; `make test` never needs them.
VENV := .venv-bench
peers-env:
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import pyroomacoustics, pyrato, soundfile" 2>/dev/null || $(VENV)/bin/pip install -q pyroomacoustics pyrato numpy scipy soundfile

bench: deps peers-env
	$(SWIFT) build -c release
	.build/release/SoundstageBench
	$(VENV)/bin/python scripts/peers.py bench
	$(VENV)/bin/python scripts/peers_rays.py bench
	$(VENV)/bin/python scripts/peers.py render
	$(VENV)/bin/python scripts/peers_batch.py

validate-ism: deps peers-env
	$(SWIFT) build -c release
	$(VENV)/bin/python scripts/peers.py validate

validate: deps
	$(SWIFT) build -c release
	.build/release/SoundstageValidate -o $(OUT)/validation

validate-seeds: build
	python3 scripts/seed_spread.py

validate-rays: deps peers-env
	$(SWIFT) build -c release
	$(VENV)/bin/python scripts/peers_rays.py validate

validate-diffuse: deps peers-env
	$(SWIFT) build -c release
	$(VENV)/bin/python scripts/diffuse_decay.py

# The README's before/after figure of the home studio's bass (the wave part against the geometric hybrid).
readme-figures: deps
	$(SWIFT) build -c release
	.build/release/SoundstageValidate bass rooms/home-studio.json Renders/README-bass-home-studio.png
	$(BIN) optimize rooms/living-room.json -o $(OUT)/readme-optimize
	cp $(OUT)/readme-optimize/living-room/optimize/placement-map.png Renders/README-optimize-placement-map.png
	cp $(OUT)/readme-optimize/living-room/optimize/seat-map.png Renders/README-optimize-seat-map.png
	cp $(OUT)/readme-optimize/living-room/optimize/bass.png Renders/README-optimize-bass.png

validate-optimize: build
	python3 scripts/optimize_rules.py

# The head-tracked SOFA export read by an independent reader (sofar, PyPI) and its convention check.
check-sofa: build
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c "import sofar" 2>/dev/null || $(VENV)/bin/pip install -q sofar
	$(BIN) export rooms/home-studio.json --format sofa -o $(OUT)/check-sofa
	$(VENV)/bin/python scripts/check_sofa.py $(OUT)/check-sofa/home-studio/brirs.sofa
	$(BIN) export rooms/home-studio.json --format sofa --convention SingleRoomMIMOSRIR --output $(OUT)/check-sofa/home-studio/brirs-mimo.sofa
	$(VENV)/bin/python scripts/check_sofa.py $(OUT)/check-sofa/home-studio/brirs-mimo.sofa

crosscheck-analysis: deps peers-env
	$(SWIFT) build -c release
	$(VENV)/bin/python scripts/crosscheck_analysis.py

clean:
	rm -rf .build .build-test
