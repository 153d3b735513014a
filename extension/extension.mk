# The extension's part of the top-level Makefile (included before PGXS).
# An empty `all:` first keeps `all` the default goal of the top-level make.
all:

DATA_built = sqlpilot--$(EXTVERSION).sql
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

# The trained default model, installed as $sharedir/extension/sqlpilot_default.model
# (the default of sqlpilot.model_path) when the build has one; keep the file name.
DATA = $(wildcard models/sqlpilot_default.model)

# PGXS tracks no header dependencies: an object built against an older
# struct layout would crash the server, so every header rebuilds them all.
$(OBJS): $(wildcard core/*.h extension/*.h)

sqlpilot--$(EXTVERSION).sql: extension/sqlpilot.sql
	cp $< $@
