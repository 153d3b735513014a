/*
 * tables_split.c — a schema text cut into its tables (tables_split.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_words.h"
#include "table_choice.h"
#include "tables_split.h"

/* Whether the line at p starts, after blanks, with the keyword kw (any case) and a space. */
static bool
keyword_at(const char *text, size_t len, size_t p, const char *kw)
{
	size_t		n = strlen(kw);

	while (p < len && (text[p] == ' ' || text[p] == '\t'))
		p++;
	return p + n < len && strncasecmp(text + p, kw, n) == 0 &&
		(text[p + n] == ' ' || text[p + n] == '\t' || text[p + n] == '\n' ||
		 text[p + n] == '\r');
}

/* Whether an identifier is the keyword kw (unquoted; its value is folded). */
static bool
is_kw(const SqlpilotSqlIdent *id, const char *kw)
{
	return !id->quoted && strcmp(id->name, kw) == 0;
}

/*
 * The table a statement of a schema text is about, as SQL means the name
 * (copied into name): ALTER TABLE [ONLY] [IF EXISTS] x and CREATE ... INDEX
 * ... ON [ONLY] x name x; false for anything else.
 */
static bool
block_owner(const char *text, size_t len, char *name)
{
	size_t		pos = 0;
	SqlpilotSqlIdent id;

	if (!sqlpilot_sql_next_ident(text, len, &pos, &id))
		return false;
	if (is_kw(&id, "alter"))
	{
		if (!sqlpilot_sql_next_ident(text, len, &pos, &id) || !is_kw(&id, "table"))
			return false;
		do
			if (!sqlpilot_sql_next_ident(text, len, &pos, &id))
				return false;
		while (is_kw(&id, "only") || is_kw(&id, "if") || is_kw(&id, "exists"));
	}
	else if (is_kw(&id, "create"))
	{
		bool		index = false;

		while (sqlpilot_sql_next_ident(text, len, &pos, &id) && !(index && is_kw(&id, "on")))
			index |= is_kw(&id, "index");
		if (!index || !is_kw(&id, "on"))
			return false;
		do
			if (!sqlpilot_sql_next_ident(text, len, &pos, &id))
				return false;
		while (is_kw(&id, "only"));
	}
	else
		return false;
	while (id.dot_after)
	{
		SqlpilotSqlIdent next;
		size_t		save = pos;

		if (!sqlpilot_sql_next_ident(text, len, &pos, &next) || !next.dot_before)
		{
			pos = save;
			break;
		}
		id = next;
	}
	memcpy(name, id.name, sizeof(id.name));
	return true;
}

/* Appends span [a, b) of schema to a table's text, after a blank line when not first. */
static void
table_append(SqlpilotBuf *text, const char *schema, size_t a, size_t b)
{
	while (b > a && (schema[b - 1] == ' ' || schema[b - 1] == '\t' || schema[b - 1] == '\n' ||
					 schema[b - 1] == '\r'))
		b--;
	if (b == a)
		return;
	if (text->len > 0)
		sqlpilot_buf_append(text, "\n\n", 2);
	sqlpilot_buf_append(text, schema + a, b - a);
}

/* See tables_split.h. */
int
sqlpilot_tables_split(const char *schema, size_t len, SqlpilotSchemaTable **out)
{
	SqlpilotSchemaTable *t = NULL;
	SqlpilotBuf pre = {0};		/* statements of no table yet: go with the next table */
	bool		oom = false;
	int			n = 0;
	size_t		start = 0;

	*out = NULL;
	while (start < len && !oom)
	{
		size_t		end = start;
		char	   *sch = NULL;
		char	   *name;
		char		owner[SQLPILOT_SQL_IDENT_MAX];
		int			k = -1;

		/* one statement: up to the next line that starts with CREATE or ALTER */
		for (;;)
		{
			while (end < len && schema[end] != '\n')
				end++;
			if (end < len)
				end++;
			if (end >= len || keyword_at(schema, len, end, "create") ||
				keyword_at(schema, len, end, "alter"))
				break;
		}
		name = sqlpilot_tables_name_of(schema + start, end - start, &sch);
		free(sch);
		if (name)
		{
			SqlpilotSchemaTable *nt = realloc(t, sizeof(SqlpilotSchemaTable) * (n + 1));

			if (!nt)
			{
				free(name);
				oom = true;
				break;
			}
			t = nt;
			t[n].text = pre;
			t[n].name = name;
			memset(&pre, 0, sizeof(pre));
			k = n++;
		}
		else if (block_owner(schema + start, end - start, owner))
			for (int i = n - 1; i >= 0 && k < 0; i--)
				if (strcmp(t[i].name, owner) == 0)
					k = i;
		table_append(k >= 0 ? &t[k].text : &pre, schema, start, end);
		start = end;
	}
	if (pre.len > 0 && n > 0)
		table_append(&t[n - 1].text, pre.data, 0, pre.len);
	oom |= pre.oom;
	for (int i = 0; i < n; i++)
		oom |= t[i].text.oom;
	sqlpilot_buf_free(&pre);
	if (oom)
	{
		sqlpilot_tables_split_free(t, n);
		return -1;
	}
	*out = t;
	return n;
}

/* See tables_split.h. */
void
sqlpilot_tables_split_free(SqlpilotSchemaTable *t, int n)
{
	for (int i = 0; i < n; i++)
	{
		sqlpilot_buf_free(&t[i].text);
		free(t[i].name);
	}
	free(t);
}
