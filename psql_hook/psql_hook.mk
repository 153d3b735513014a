# The psql hook's part of the top-level Makefile (included after PGXS):
# the LD_PRELOAD library and the sqlpilot-psql launcher, built in $(BUILD)/psql_hook,
# installed into $(pkglibdir) and $(bindir) beside the extension.
# The library links the core (the model, prompt, renderer, completion) and the
# client room (the catalog reader), compiled position-independent into
# $(BUILD)/psql_hook/pic; only the interposed functions are exported.
HOOK_DIR = $(BUILD)/psql_hook
HOOK_LIB = $(HOOK_DIR)/sqlpilot_psql.so
HOOK_LAUNCHER = $(HOOK_DIR)/sqlpilot-psql
HOOK_CFLAGS = -std=gnu11 -O2 -g $(OPTFLAGS) -fPIC -fvisibility=hidden -pthread -Wall -Wextra \
	-Wno-unused-parameter -Icore -Iclient -I$(PG_INCLUDEDIR) -D_GNU_SOURCE -MMD -MP \
	-DSQLPILOT_PKGLIBDIR='"$(pkglibdir)"' -DSQLPILOT_SHAREDIR='"$(datadir)"'
HOOK_SRC = psql_hook/sqlpilot_psql.c $(sort $(wildcard client/*.c)) \
	$(filter-out core/reference.c core/gemm_openblas.c,$(sort $(wildcard core/*.c)))
HOOK_OBJ = $(patsubst %.c,$(HOOK_DIR)/pic/%.o,$(HOOK_SRC))

$(HOOK_DIR)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOOK_CFLAGS) -c $< -o $@

$(HOOK_LIB): $(HOOK_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared -pthread -o $@ $^ -lpq -lreadline -lcjson -ldl -lm

$(HOOK_LAUNCHER): psql_hook/sqlpilot-psql.in
	@mkdir -p $(dir $@)
	sed -e 's|@BINDIR@|$(bindir)|g' -e 's|@PKGLIBDIR@|$(pkglibdir)|g' $< > $@.tmp
	chmod 755 $@.tmp
	mv $@.tmp $@

psql-hook: $(HOOK_LIB) $(HOOK_LAUNCHER)

all: psql-hook
install: install-psql-hook

install-psql-hook: psql-hook
	$(MKDIR_P) '$(DESTDIR)$(pkglibdir)' '$(DESTDIR)$(bindir)'
	$(INSTALL_SHLIB) $(HOOK_LIB) '$(DESTDIR)$(pkglibdir)/sqlpilot_psql.so'
	$(INSTALL_SCRIPT) $(HOOK_LAUNCHER) '$(DESTDIR)$(bindir)/sqlpilot-psql'

uninstall: uninstall-psql-hook
uninstall-psql-hook:
	rm -f '$(DESTDIR)$(pkglibdir)/sqlpilot_psql.so' '$(DESTDIR)$(bindir)/sqlpilot-psql'

.PHONY: psql-hook install-psql-hook uninstall-psql-hook
