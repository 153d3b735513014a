# The extension's part of the top-level Makefile (included before PGXS).
# An empty `all:` first keeps `all` the default goal of the top-level make.
all:

DATA_built = sqlpilot--$(EXTVERSION).sql
# pg_regress suites.  tests/extension_regress.sh runs every sql/*.sql on a
# temporary instance with its random test model.  PGXS's `make installcheck`
# (after `make install`, against the running server PGHOST/PGPORT/PGUSER
# name, as a superuser) runs the suites that hold whatever model the server
# uses and leave nothing behind: sqlpilot_basic, _catalog_rich, _names and
# _qualified expect the test model's shape and tokenizer, sqlpilot_errors writes model files
# into the data directory.  sqlpilot_validate and sqlpilot_grounding set
# sqlpilot.model_path to the installed default model themselves (their
# completions are the default model's).
REGRESS_TEST_MODEL_ONLY = sqlpilot_basic sqlpilot_catalog_rich sqlpilot_errors sqlpilot_names \
	sqlpilot_qualified
REGRESS = $(filter-out $(REGRESS_TEST_MODEL_ONLY),$(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)
ENCODING = UTF8
NO_LOCALE = 1

# The trained default model, installed as $sharedir/extension/sqlpilot_default.model
# (the default of sqlpilot.model_path) when the build has one; keep the file name.
# It is replaced by rename, never rewritten in place: install(1) to a temporary
# name beside it, then mv (rename(2)), so a server reading the old file keeps it
# whole and never sees a missing or half-written one.  (coreutils install
# alone unlinks the destination, then writes a new file under its name.)
DEFAULT_MODEL = $(wildcard models/sqlpilot_default.model)
ifneq ($(DEFAULT_MODEL),)
MODEL_DEST = '$(DESTDIR)$(datadir)/extension/sqlpilot_default.model'
install: install-default-model
install-default-model: installdirs
	$(INSTALL_DATA) $(DEFAULT_MODEL) $(MODEL_DEST).tmp
	mv -f $(MODEL_DEST).tmp $(MODEL_DEST)
uninstall: uninstall-default-model
uninstall-default-model:
	rm -f $(MODEL_DEST)
.PHONY: install-default-model uninstall-default-model
endif

# PGXS tracks no header dependencies: an object built against an older
# struct layout would crash the server, so every header rebuilds them all.
$(OBJS): $(wildcard core/*.h extension/*.h)

sqlpilot--$(EXTVERSION).sql: extension/sqlpilot.sql
	cp $< $@
