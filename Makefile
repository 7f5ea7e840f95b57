# ocip — build, test, catalog, sanitize, bench.  `make help` lists targets.
PKGS        := lua5.4 libuv openssl libxml-2.0 libcurl libedit
CC          ?= cc
LUA         ?= lua5.4
BUSTED      ?= busted
OCIP_SCHEMA_DIR ?= ../shared/schemas/ocip-r25
BUILD       ?= build
VERSION     := 0.1.0

PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS))
# libcurl is not linked: bindings/http.c dlopens libcurl.so.4 on first use (start-up time).
PKG_LIBS    := $(shell pkg-config --libs libuv openssl libxml-2.0 libedit) -ldl
LUA_LIBS    := $(shell pkg-config --libs lua5.4)
OPT         ?= -O2
SAN         ?=
CFLAGS      += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g $(OPT) $(SAN) \
               -Wall -Wextra -Werror -fPIC -I. $(PKG_CFLAGS) -DOCIP_VERSION='"$(VERSION)"'
LDFLAGS     += $(SAN)

RUNTIME_SRC  := $(sort $(wildcard runtime/*.c))
BINDINGS_SRC := $(sort $(filter-out bindings/main.c,$(wildcard bindings/*.c)))
LUA_SRC      := $(sort $(shell find lua -name '*.lua'))
RUNTIME_OBJ  := $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
BINDINGS_OBJ := $(BINDINGS_SRC:%.c=$(BUILD)/%.o) $(BUILD)/lua_embed.o
CTEST_SRC    := $(sort $(wildcard spec/c/test_*.c))
CTEST_BIN    := $(CTEST_SRC:spec/c/%.c=$(BUILD)/ctest/%)

.PHONY: all test ctest spec catalog catalog-check sanitize valgrind bench soak clean help demo install uninstall install-rock
all: $(BUILD)/ocip $(BUILD)/ocip.so

$(BUILD)/%.o: %.c $(wildcard runtime/*.h bindings/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The catalog data is compiled into runtime/catalog.c.
$(BUILD)/runtime/catalog.o: gen/catalog.inc

# Lua library sources are embedded so `ocip` and `ocip.so` are self-contained.
# The list of Lua files is a prerequisite too, so deleting a module rebuilds the embed.
$(BUILD)/lua_files: FORCE
	@mkdir -p $(BUILD)
	@echo '$(LUA_SRC)' | cmp -s - $@ || echo '$(LUA_SRC)' > $@
$(BUILD)/lua_embed.c: $(LUA_SRC) bindings/embed.lua $(BUILD)/lua_files
	@mkdir -p $(BUILD)
	$(LUA) bindings/embed.lua $(LUA_SRC) > $@.tmp && mv $@.tmp $@
$(BUILD)/lua_embed.o: $(BUILD)/lua_embed.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/ocip: $(BUILD)/bindings/main.o $(BINDINGS_OBJ) $(RUNTIME_OBJ)
	$(CC) $(LDFLAGS) -Wl,-E -o $@ $^ $(PKG_LIBS) $(LUA_LIBS) -lm

$(BUILD)/ocip.so: $(BINDINGS_OBJ) $(RUNTIME_OBJ)
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(PKG_LIBS)

# C unit tests: runtime only (no Lua), cmocka.
$(BUILD)/ctest/%: spec/c/%.c $(RUNTIME_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka -lm

ctest: $(CTEST_BIN)
spec: all
test: all $(CTEST_BIN)
	@sh spec/run.sh $(BUILD)

catalog:
	$(LUA) gen/gen.lua "$(OCIP_SCHEMA_DIR)" gen/catalog.inc

# Regenerating from OCIP_SCHEMA_DIR must give the committed bytes.
catalog-check:
	@mkdir -p $(BUILD)
	$(LUA) gen/gen.lua "$(OCIP_SCHEMA_DIR)" $(BUILD)/catalog.inc.check
	cmp $(BUILD)/catalog.inc.check gen/catalog.inc

# The whole suite (C tests + every spec, under the instrumented host) with ASan+UBSan+LSan.
# Any report fails the run: halt_on_error, and UBSan does not recover. None is suppressed;
# should a third-party library ever need it, spec/sanitize.supp (leak:<frame> lines, each
# with a comment; never our own code) is used when present.
SAN_BUILD   ?= build-san
SAN_ENV     := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:print_summary=1 \
               UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
               $(if $(wildcard spec/sanitize.supp),LSAN_OPTIONS=suppressions=$(CURDIR)/spec/sanitize.supp)
sanitize:
	$(SAN_ENV) $(MAKE) BUILD=$(SAN_BUILD) OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

# Every C test and spec under valgrind memcheck (~4 min); any error or definite leak
# fails. Left out: specs whose wall-clock bounds cannot hold at valgrind's 20-50x
# slowdown — the client's 1-byte split-writes fault spec (2 s command timeouts), the pool
# robustness specs that time commands against 1-2 s deadlines, and the guards against
# quadratic time (log redaction, REPL completion, huge and hostile documents: names with
# "in linear time"); `make test` and `make sanitize` run them.
VALGRIND    ?= valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
VG_SKIP     := --filter-out=1%-byte.split.writes --filter-out=in.linear.time --filter-out=by.bisection \
               --filter-out=gets.its.timeout.by.its.deadline --filter-out=with.connections.closing
valgrind: all $(CTEST_BIN)
	OCIP_WRAP="$(VALGRIND)" OCIP_BUSTED_ARGS="$(VG_SKIP)" sh spec/run.sh $(BUILD)

bench: all
	@sh spec/bench/run.sh $(BUILD)

# Exactly-once at volume: 1,000,000 mixed commands through 8 sessions against `ocip sim`
# with every fault kind on (loopback, <= 10 min). SOAK_ARGS e.g. "--commands 200000".
SOAK_ARGS ?=
soak: all
	$(BUILD)/ocip spec/soak/soak.lua $(SOAK_ARGS)

# libFuzzer targets (spec/fuzz/fuzz_*.c): build/fuzz/fuzz_*. Every target links the
# runtime; those that run the Lua library (FUZZ_LUA: they include spec/fuzz/lua_fuzz.h)
# also link the bindings, the embedded Lua sources and liblua5.4, and load
# spec/fuzz/<name>.lua when they start (no rebuild after editing it). Objects are
# compiled once, instrumented, under build/fuzz/obj. UBSan reports are findings too
# (no recovery): libFuzzer saves the input.
FUZZ_SRC    := $(sort $(wildcard spec/fuzz/fuzz_*.c))
FUZZ_LUA    := fuzz_csv fuzz_validate
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror -I. \
               $(PKG_CFLAGS) -DOCIP_VERSION='"$(VERSION)"'
FUZZ_SAN    := address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJ    := $(RUNTIME_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_LUA_OBJ := $(BINDINGS_SRC:%.c=$(BUILD)/fuzz/obj/%.o) $(BUILD)/fuzz/obj/lua_embed.o
.PHONY: fuzz
.SECONDARY: $(FUZZ_OBJ) $(FUZZ_LUA_OBJ)
fuzz: $(FUZZ_SRC:spec/fuzz/%.c=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/obj/%.o: %.c $(wildcard runtime/*.h bindings/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) $(FUZZ_OBJ_FLAGS) -c $< -o $@
# The edit distance (did-you-mean) compares bytes in a tight loop: traced comparisons
# there cost fuzz_validate a third of its speed and guide nothing (still under ASan).
$(BUILD)/fuzz/obj/bindings/textdist.o: FUZZ_OBJ_FLAGS = -fno-sanitize-coverage=trace-cmp
$(BUILD)/fuzz/obj/runtime/catalog.o: gen/catalog.inc
$(BUILD)/fuzz/obj/lua_embed.o: $(BUILD)/lua_embed.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@
$(FUZZ_LUA:%=$(BUILD)/fuzz/%): spec/fuzz/lua_fuzz.h $(FUZZ_LUA_OBJ)
$(FUZZ_LUA:%=$(BUILD)/fuzz/%): FUZZ_LINK = -DOCIP_FUZZ_LUA='"$(CURDIR)/spec/fuzz/$(notdir $@).lua"' \
                                           $(FUZZ_LUA_OBJ) $(LUA_LIBS)
$(BUILD)/fuzz/%: spec/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_LINK) $(FUZZ_OBJ) $(PKG_LIBS) -lm

# A local simulator and the users_export pack against it (loopback only).
demo: all
	@sh scripts/demo.sh $(BUILD)

# Install like a Lua tool: the host, the module where stock lua5.4 finds it, the packs
# (found by `ocip run NAME` beside the binary), the man page and shell completions.
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
LUA_CMOD    ?= $(PREFIX)/lib/lua/5.4
PACKDIR     ?= $(PREFIX)/share/ocip/scripts
MANDIR      ?= $(PREFIX)/share/man/man1
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
PACK_FILES  := $(sort $(wildcard scripts/*.lua))
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LUA_CMOD) $(DESTDIR)$(PACKDIR) \
	  $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(BUILD)/ocip $(DESTDIR)$(BINDIR)/ocip
	install -m 0755 $(BUILD)/ocip.so $(DESTDIR)$(LUA_CMOD)/ocip.so
	install -m 0644 $(PACK_FILES) $(DESTDIR)$(PACKDIR)/
	install -m 0644 docs/man/ocip.1 $(DESTDIR)$(MANDIR)/ocip.1
	install -m 0644 docs/completion/ocip.bash $(DESTDIR)$(BASHCOMPDIR)/ocip
	install -m 0644 docs/completion/_ocip $(DESTDIR)$(ZSHCOMPDIR)/_ocip

# `luarocks make` (ocip-*.rockspec): the module into the rock's lib dir, the host into its bin.
install-rock: all
	install -d $(DESTDIR)$(LUA_CMOD) $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILD)/ocip.so $(DESTDIR)$(LUA_CMOD)/ocip.so
	install -m 0755 $(BUILD)/ocip $(DESTDIR)$(BINDIR)/ocip

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ocip $(DESTDIR)$(LUA_CMOD)/ocip.so $(DESTDIR)$(MANDIR)/ocip.1 \
	  $(DESTDIR)$(BASHCOMPDIR)/ocip $(DESTDIR)$(ZSHCOMPDIR)/_ocip \
	  $(addprefix $(DESTDIR)$(PACKDIR)/,$(notdir $(PACK_FILES)))
	-rmdir $(DESTDIR)$(PACKDIR) $(DESTDIR)$(PREFIX)/share/ocip 2>/dev/null

clean:
	rm -rf $(BUILD) build $(SAN_BUILD)

help:
	@echo "make              build build/ocip and build/ocip.so"
	@echo "make test         C tests + busted specs (N passed, N failed, N skipped)"
	@echo "make sanitize     the suite under ASan+UBSan+LSan;  make valgrind: under memcheck"
	@echo "make catalog      regenerate gen/catalog.inc from OCIP_SCHEMA_DIR;  make catalog-check"
	@echo "make bench        figures against targets;  make demo: simulator + users_export"
	@echo "make soak         1,000,000 commands under every simulator fault: exactly-once checks (<= 10 min)"
	@echo "make fuzz         libFuzzer targets (clang);  make clean"
	@echo "make install      PREFIX=/usr/local (DESTDIR too): ocip, ocip.so, packs, man page, completions;  make uninstall"

FORCE:
