# SQLPilot — one Makefile: PGXS for the extension, plain rules for the
# command-line tool, the psql hook and the tests.  Each room adds its own
# pieces in <room>/<room>.mk; this file only wires them together.
#
#   make deps     install the Debian packages the project needs (root or sudo)
#   make          build the extension, the psql hook and build/sqlpilot
#   make check    build everything and run every test suite
#   make installcheck   PGXS's pg_regress suites against the running server,
#                 after `make install` (see extension/extension.mk)
#   make demo     the end-to-end demo on the embedded default model

EXTENSION = sqlpilot
EXTVERSION = 0.1.0
PG_CONFIG ?= pg_config
OPTFLAGS ?= -march=native
BUILD = build

# OpenBLAS: the single-threaded build, for the command-line tool and the tests
# (the numerical reference of core/gemm.c); the extension does not use it.
BLAS_DIR = /usr/lib/x86_64-linux-gnu/openblas-serial
BLAS_LIBS = $(BLAS_DIR)/libopenblas.so.0 -Wl,-rpath,$(BLAS_DIR)

PG_INCLUDEDIR := $(shell $(PG_CONFIG) --includedir 2>/dev/null)

# ---- the extension (PGXS) ----
MODULE_big = sqlpilot
# core/reference.c (the plain-C reference forward pass) is for tests and benchmarks only.
OBJS = $(patsubst %.c,%.o,$(sort $(filter-out core/reference.c core/gemm_openblas.c,$(wildcard extension/*.c core/*.c))))
PG_CFLAGS += -std=gnu11 -O2 $(OPTFLAGS) -Icore -Wno-declaration-after-statement
SHLIB_LINK += -lm
include extension/extension.mk
# No LLVM bitcode: the extension is not a JIT inlining target.
override with_llvm = no

# The driver goals (check, demo, ...) only run scripts and sub-makes: they work
# before `make deps` has installed PGXS, and they leave PGXS's own `check` alone.
# PGXS's targets (install, installcheck) are only defined without them: run
# `make installcheck` on its own command line.
DRIVER_GOALS = check deps demo pipeline model bench
ifeq ($(filter $(DRIVER_GOALS),$(MAKECMDGOALS)),)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
else
$(error pg_config not found: run 'make deps' first)
endif
endif

# ---- the command-line tool and the tests (plain rules, objects in build/) ----
CLI_CFLAGS = -std=gnu11 -O2 -g $(OPTFLAGS) -Wall -Wextra -Wno-unused-parameter \
	-Icore -I$(PG_INCLUDEDIR) -I/usr/include/cjson -D_GNU_SOURCE -MMD -MP
CLI_LIBS = $(BLAS_LIBS) -lpq -lcjson -lcurl -lm -lpthread
CORE_SRC = $(sort $(wildcard core/*.c))
ROOM_SRC = $(sort $(wildcard datagen/*.c datagen/*/*.c trainer/*.c eval/*.c tools/*.c client/*.c))
LIB_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC) $(filter-out tools/sqlpilot.c,$(ROOM_SRC)))

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CLI_CFLAGS) -c $< -o $@

$(BUILD)/libsqlpilot.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/sqlpilot: $(BUILD)/tools/sqlpilot.o $(BUILD)/libsqlpilot.a
	$(CC) -o $@ $^ $(CLI_LIBS)

TEST_SRC = $(sort $(wildcard tests/test_*.c))
TEST_BIN = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libsqlpilot.a
	$(CC) -o $@ $^ $(CLI_LIBS)

BENCH_SRC = $(sort $(wildcard bench/bench_*.c))
BENCH_BIN = $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libsqlpilot.a
	$(CC) -o $@ $^ $(CLI_LIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include psql_hook/psql_hook.mk

all: $(BUILD)/sqlpilot
tools: $(BUILD)/sqlpilot $(TEST_BIN) $(BENCH_BIN)

ifneq ($(filter $(DRIVER_GOALS),$(MAKECMDGOALS)),)
# Install what is missing, build, stage an install under build/install (found
# through extension_destdir), then run every suite.
check:
	tools/deps.sh
	$(MAKE) all tools
	rm -rf $(BUILD)/install
	$(MAKE) install DESTDIR=$(CURDIR)/$(BUILD)/install >/dev/null
	tests/run

deps:
	tools/deps.sh

demo:
	tools/demo.sh

# The training pipeline at a small scale; `make model` is the default model's recipe.
# Either takes IMPORT=DIR, the output of `sqlpilot datagen import`, to train on it too.
pipeline:
	tools/deps.sh
	$(MAKE) all
	tools/pipeline.sh

model:
	tools/deps.sh
	$(MAKE) all
	WORK=$(BUILD)/model RUN=$(BUILD)/model/run-default SCHEMAS=12000 SEED=1 \
		MODEL_ARGS="--dim 128 --hidden-dim 352 --layers 6 --heads 8 --kv-heads 4" \
		STEPS=9000 BATCH=16 LR=2e-3 DTYPE=f16 EVAL_LIMIT=300 INSTALL=0 IMPORT="$(IMPORT)" \
		OUT=models/sqlpilot_default.model tools/pipeline.sh

# Every benchmark, then the README's results section from bench/results/.
bench:
	tools/deps.sh
	$(MAKE) all tools
	tools/bench.sh
endif

clean: clean-build
clean-build:
	rm -rf $(BUILD)

.PHONY: tools check deps demo pipeline model bench clean-build
