# RatMemCache: the two commands of the README.
#   make run   - install what is missing, build (Release) and start rat_memcached on 127.0.0.1:11211
#   make test  - install what is missing, build and run every test (unit + integration)

SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RUN_ARGS ?=

.PHONY: all bootstrap configure build run test unit integration bench sim install windows clean \
        test-asan test-tsan fuzz fuzz-smoke

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: bootstrap $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/rat_memcached $(RUN_ARGS)

test: build windows
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 2 -L unit

integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration

bench: build
	bench/side_by_side.sh

# The eviction simulator's standard suite (a few minutes): table, CSV and plot.
SIM_OUT ?= bench/results/eviction-miss-ratios
sim: build
	./$(BUILD_DIR)/bench/rmc_sim --csv $(SIM_OUT).csv | tee $(SIM_OUT).txt
	bench/plot_miss_ratios.sh $(SIM_OUT).csv docs/eviction-miss-ratios.svg

# Installs the server, the library with its CMake package, the systemd unit
# (<prefix>/lib/systemd/system) and its configuration (<prefix>/etc/ratmemcache).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# Native Windows build with MinGW-w64 (docs/windows.md): build-windows/rat_memcached.exe,
# and the library's quick-start example (example_basic.exe) to show the library builds.
WINDOWS_BUILD_DIR ?= build-windows
windows: bootstrap
	cmake -S . -B $(WINDOWS_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DRMC_BUILD_EXAMPLES=ON
	cmake --build $(WINDOWS_BUILD_DIR) -j $(JOBS) --target rat_memcached example_basic

# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included): every unit and
# integration test against instrumented binaries; any report fails the test.
ASAN_DIR ?= build-asan
test-asan: bootstrap
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DRMC_SANITIZE=address,undefined
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j 2 -LE "windows|install"

# ThreadSanitizer: the multi-threaded units (stripe locks, eviction stress, task pool,
# write-behind, tiers, network) and the integration tests against a TSan server.
TSAN_DIR ?= build-tsan
test-tsan: bootstrap
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRMC_SANITIZE=thread
	cmake --build $(TSAN_DIR) -j $(JOBS)
	cd $(TSAN_DIR) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest --output-on-failure -j 2 -LE "windows|install"

# libFuzzer (clang) with AddressSanitizer + UndefinedBehaviorSanitizer: each target runs
# FUZZ_SECONDS on the seed corpus (fuzz/seeds.py) plus what earlier runs found
# ($(FUZZ_DIR)/corpus). A crash stops with the input saved as $(FUZZ_DIR)/crash-*.
# `make fuzz-smoke` is the short run CI does.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 120
FUZZ_TARGETS = text_parser meta_parser binary_parser session toml_config
fuzz: bootstrap
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DRMC_SANITIZE=address,undefined -DRMC_BUILD_FUZZERS=ON -DRMC_BUILD_TESTS=OFF \
	  -DRMC_BUILD_BENCH=OFF -DRMC_BUILD_EXAMPLES=OFF -DRMC_WITH_ROCKSDB=OFF -DRMC_WITH_TLS=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) $(addprefix --target fuzz_,$(FUZZ_TARGETS))
	python3 fuzz/seeds.py $(FUZZ_DIR)/seeds
	set -eo pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(FUZZ_DIR)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
	    $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/seeds/$$t 2>&1 | tail -n 25; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20

clean:
	rm -rf $(BUILD_DIR) $(WINDOWS_BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
