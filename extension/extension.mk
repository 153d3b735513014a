# The extension's part of the top-level Makefile (set before PGXS is included).
DATA = sqlpilot--$(EXTVERSION).sql
EXTRA_CLEAN = sqlpilot--$(EXTVERSION).sql
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

sqlpilot--$(EXTVERSION).sql: extension/sqlpilot.sql
	cp $< $@
