/*
 * pipeline_json.c — JSON string output, and the JSON form of a
 * generated schema (tons_of_tables/ lines), written by hand for speed and
 * read back with cJSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "../pipeline.h"

static char *get_str(const cJSON *obj, const char *key, bool required, bool *bad);

/* See pipeline.h. */
cJSON *
datagen_read_json(const char *path, const char *hint, char *err, size_t errlen)
{
	char	   *text = sqlpilot_read_file(path, NULL, err, errlen);
	cJSON	   *j;

	if (!text)
	{
		size_t		n = strlen(err);

		if (hint)
			snprintf(err + n, errlen - n, " (run `sqlpilot datagen %s` first)", hint);
		return NULL;
	}
	j = cJSON_Parse(text);
	free(text);
	if (!j)
		snprintf(err, errlen, "\"%s\" is not valid JSON", path);
	return j;
}

/* Appends a JSON string literal: escapes quote, backslash and control bytes; UTF-8 passes through. */
void
datagen_buf_json_str(SqlpilotBuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t		n,
				i = 0;

	if (!s)
	{
		sqlpilot_buf_append(b, "null", 4);
		return;
	}
	n = strlen(s);
	if (!sqlpilot_buf_reserve(b, 6 * n + 2))
		return;
	b->data[b->len++] = '"';
	while (i < n)
	{
		size_t		run = i;
		unsigned char c;

		/* Copy the run of bytes that need no escape in one go. */
		while (run < n && (unsigned char) s[run] >= 0x20 && s[run] != '"' && s[run] != '\\')
			run++;
		memcpy(b->data + b->len, s + i, run - i);
		b->len += run - i;
		if (run == n)
			break;
		c = (unsigned char) s[run];
		b->data[b->len++] = '\\';
		if (c == '"' || c == '\\')
			b->data[b->len++] = (char) c;
		else if (c == '\n')
			b->data[b->len++] = 'n';
		else if (c == '\t')
			b->data[b->len++] = 't';
		else
		{
			memcpy(b->data + b->len, "u00", 3);
			b->len += 3;
			b->data[b->len++] = hex[c >> 4];
			b->data[b->len++] = hex[c & 15];
		}
		i = run + 1;
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

/* Appends ,"key": */
static void
json_key(SqlpilotBuf *b, const char *key, bool first)
{
	if (!first)
		sqlpilot_buf_append(b, ",", 1);
	datagen_buf_json_str(b, key);
	sqlpilot_buf_append(b, ":", 1);
}

/* Appends an integer. */
static void
json_int(SqlpilotBuf *b, long v)
{
	char		tmp[32];

	sqlpilot_buf_append(b, tmp, snprintf(tmp, sizeof(tmp), "%ld", v));
}

/* Appends an array of n strings. */
static void
json_str_array(SqlpilotBuf *b, char **v, int n)
{
	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < n; i++)
	{
		if (i)
			sqlpilot_buf_append(b, ",", 1);
		datagen_buf_json_str(b, v[i]);
	}
	sqlpilot_buf_append(b, "]", 1);
}

/* Writes one table: its name, columns, indexes, foreign keys and checks. */
static void
table_to_json(SqlpilotBuf *b, const SqlpilotTable *t)
{
	sqlpilot_buf_append(b, "{", 1);
	json_key(b, "schema", true);
	datagen_buf_json_str(b, t->schema);
	json_key(b, "name", false);
	datagen_buf_json_str(b, t->name);
	json_key(b, "fold_case", false);
	sqlpilot_buf_puts(b, t->fold_case ? "true" : "false");
	json_key(b, "columns", false);
	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < t->n_columns; i++)
	{
		const SqlpilotColumn *c = &t->columns[i];

		sqlpilot_buf_puts(b, i ? ",{" : "{");
		json_key(b, "name", true);
		datagen_buf_json_str(b, c->name);
		json_key(b, "type", false);
		datagen_buf_json_str(b, c->type);
		json_key(b, "not_null", false);
		sqlpilot_buf_puts(b, c->not_null ? "true" : "false");
		json_key(b, "default", false);
		datagen_buf_json_str(b, c->default_expr);
		sqlpilot_buf_append(b, "}", 1);
	}
	sqlpilot_buf_append(b, "]", 1);
	json_key(b, "indexes", false);
	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < t->n_indexes; i++)
	{
		const SqlpilotIndex *x = &t->indexes[i];

		sqlpilot_buf_puts(b, i ? ",{" : "{");
		json_key(b, "name", true);
		datagen_buf_json_str(b, x->name);
		json_key(b, "primary", false);
		sqlpilot_buf_puts(b, x->primary ? "true" : "false");
		json_key(b, "unique", false);
		sqlpilot_buf_puts(b, x->unique ? "true" : "false");
		json_key(b, "constraint", false);
		sqlpilot_buf_puts(b, x->is_constraint ? "true" : "false");
		json_key(b, "cols", false);
		json_str_array(b, x->cols, x->n_cols);
		json_key(b, "desc", false);
		sqlpilot_buf_append(b, "[", 1);
		for (int j = 0; j < x->n_cols; j++)
			sqlpilot_buf_puts(b, j == 0 ? (x->desc && x->desc[j] ? "true" : "false")
							 : (x->desc && x->desc[j] ? ",true" : ",false"));
		sqlpilot_buf_append(b, "]}", 2);
	}
	sqlpilot_buf_append(b, "]", 1);
	json_key(b, "fkeys", false);
	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < t->n_fkeys; i++)
	{
		const SqlpilotForeignKey *f = &t->fkeys[i];

		sqlpilot_buf_puts(b, i ? ",{" : "{");
		json_key(b, "name", true);
		datagen_buf_json_str(b, f->name);
		json_key(b, "cols", false);
		json_str_array(b, f->cols, f->n_cols);
		json_key(b, "ref_schema", false);
		datagen_buf_json_str(b, f->ref_schema);
		json_key(b, "ref_table", false);
		datagen_buf_json_str(b, f->ref_table);
		json_key(b, "ref_cols", false);
		json_str_array(b, f->ref_cols, f->n_cols);
		json_key(b, "on_delete", false);
		datagen_buf_json_str(b, f->on_delete);
		json_key(b, "on_update", false);
		datagen_buf_json_str(b, f->on_update);
		sqlpilot_buf_append(b, "}", 1);
	}
	sqlpilot_buf_append(b, "]", 1);
	json_key(b, "checks", false);
	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < t->n_checks; i++)
	{
		sqlpilot_buf_puts(b, i ? ",{" : "{");
		json_key(b, "name", true);
		datagen_buf_json_str(b, t->checks[i].name);
		json_key(b, "expr", false);
		datagen_buf_json_str(b, t->checks[i].expr);
		sqlpilot_buf_append(b, "}", 1);
	}
	sqlpilot_buf_append(b, "]}", 2);
}

/* Writes {"topic_id":..,"use_case_id":..,"tables":[...]}. */
void
datagen_schema_to_json(SqlpilotBuf *b, const DatagenSchema *s)
{
	sqlpilot_buf_append(b, "{", 1);
	json_key(b, "topic_id", true);
	json_int(b, s->topic);
	json_key(b, "use_case_id", false);
	json_int(b, s->use_case);
	json_key(b, "tables", false);
	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < s->n_tables; i++)
	{
		if (i)
			sqlpilot_buf_append(b, ",", 1);
		table_to_json(b, &s->tables[i]);
	}
	sqlpilot_buf_append(b, "]", 1);
	if (s->col_kinds)
	{
		json_key(b, "col_kinds", false);
		sqlpilot_buf_append(b, "[", 1);
		for (int i = 0; i < s->n_tables; i++)
		{
			sqlpilot_buf_puts(b, i ? ",[" : "[");
			for (int j = 0; j < s->tables[i].n_columns; j++)
			{
				if (j)
					sqlpilot_buf_append(b, ",", 1);
				json_int(b, s->col_kinds[i][j]);
			}
			sqlpilot_buf_append(b, "]", 1);
		}
		sqlpilot_buf_append(b, "]", 1);
	}
	json_key(b, "links", false);
	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < s->n_links; i++)
	{
		const DatagenLink *l = &s->links[i];
		char		tmp[96];

		sqlpilot_buf_append(b, tmp, snprintf(tmp, sizeof(tmp), "%s[%d,%d,%d,%d]", i ? "," : "",
											l->child, l->child_col, l->parent, l->parent_col));
	}
	sqlpilot_buf_append(b, "]}", 2);
}

/* Appends a flat array of 5 integers per identifier position. */
static void
idents_to_json(SqlpilotBuf *b, const DatagenIdent *id, int n)
{
	char		tmp[96];

	sqlpilot_buf_append(b, "[", 1);
	for (int i = 0; i < n; i++)
		sqlpilot_buf_append(b, tmp, snprintf(tmp, sizeof(tmp), "%s%u,%u,%u,%u,%u", i ? "," : "",
											(unsigned) id[i].off, (unsigned) id[i].len,
											(unsigned) id[i].what, (unsigned) id[i].table,
											(unsigned) id[i].column));
	sqlpilot_buf_append(b, "]", 1);
}

/* Writes {"kind","complex","sql","pg_sql","idents","pg_idents"}. */
void
datagen_statement_to_json(SqlpilotBuf *b, const DatagenStatement *st)
{
	sqlpilot_buf_append(b, "{", 1);
	json_key(b, "kind", true);
	datagen_buf_json_str(b, datagen_kind_names[st->kind]);
	json_key(b, "complex", false);
	json_int(b, st->complex);
	json_key(b, "sql", false);
	datagen_buf_json_str(b, st->sql);
	json_key(b, "pg_sql", false);
	datagen_buf_json_str(b, st->pg_sql);
	json_key(b, "idents", false);
	idents_to_json(b, st->idents, st->n_idents);
	json_key(b, "pg_idents", false);
	idents_to_json(b, st->pg_idents, st->n_pg_idents);
	sqlpilot_buf_append(b, "}", 1);
}

/* Reads a flat 5-per-entry integer array into malloc'd identifier positions. */
static DatagenIdent *
idents_from_json(const cJSON *arr, int *n, bool *bad)
{
	int			len = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	DatagenIdent *id;
	const cJSON *it;
	int			i = 0;

	*n = len / 5;
	if (len % 5 != 0)
		*bad = true;
	if (*n == 0)
		return NULL;
	id = calloc(*n, sizeof(DatagenIdent));
	if (!id)
	{
		*bad = true;
		return NULL;
	}
	cJSON_ArrayForEach(it, arr)
	{
		unsigned	v = (unsigned) it->valuedouble;

		if (i / 5 >= *n)
			break;
		switch (i % 5)
		{
			case 0:
				id[i / 5].off = v;
				break;
			case 1:
				id[i / 5].len = (uint16_t) v;
				break;
			case 2:
				id[i / 5].what = (uint8_t) v;
				break;
			case 3:
				id[i / 5].table = (uint8_t) v;
				break;
			default:
				id[i / 5].column = (uint16_t) v;
				break;
		}
		i++;
	}
	return id;
}

/* Rebuilds a statement from datagen_statement_to_json's object; -1 with err if malformed. */
int
datagen_statement_from_json(const cJSON *obj, DatagenStatement *st, char *err, size_t errlen)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	bool		bad = false;

	memset(st, 0, sizeof(*st));
	st->kind = DATAGEN_N_KINDS;
	for (int k = 0; k < DATAGEN_N_KINDS && cJSON_IsString(kind); k++)
		if (strcmp(kind->valuestring, datagen_kind_names[k]) == 0)
			st->kind = k;
	st->complex = cJSON_GetObjectItemCaseSensitive(obj, "complex") ?
		cJSON_GetObjectItemCaseSensitive(obj, "complex")->valueint : 0;
	st->sql = get_str(obj, "sql", true, &bad);
	st->pg_sql = get_str(obj, "pg_sql", false, &bad);
	st->idents = idents_from_json(cJSON_GetObjectItemCaseSensitive(obj, "idents"), &st->n_idents, &bad);
	st->pg_idents = idents_from_json(cJSON_GetObjectItemCaseSensitive(obj, "pg_idents"),
									 &st->n_pg_idents, &bad);
	if (bad || st->kind == DATAGEN_N_KINDS)
	{
		datagen_statement_free(st);
		snprintf(err, errlen, "malformed statement JSON");
		return -1;
	}
	return 0;
}

/* A malloc'd copy of a JSON string member; NULL when absent or null.  *bad set when not a string. */
static char *
get_str(const cJSON *obj, const char *key, bool required, bool *bad)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!it || cJSON_IsNull(it))
	{
		if (required)
			*bad = true;
		return NULL;
	}
	if (!cJSON_IsString(it))
	{
		*bad = true;
		return NULL;
	}
	{
		char	   *s = strdup(it->valuestring);

		if (!s)
			*bad = true;
		return s;
	}
}

/* A JSON boolean member (false when absent). */
static bool
get_bool(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* A malloc'd array of malloc'd strings from a JSON array member; *n gets its length. */
static char **
get_str_array(const cJSON *obj, const char *key, int *n, bool *bad)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
	char	  **v;
	int			i = 0;
	const cJSON *it;

	*n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	if (!cJSON_IsArray(arr) || *n == 0)
	{
		*bad |= !cJSON_IsArray(arr);
		return NULL;
	}
	v = calloc(*n, sizeof(char *));
	if (!v)
	{
		*bad = true;
		return NULL;
	}
	cJSON_ArrayForEach(it, arr)
	{
		v[i++] = cJSON_IsString(it) ? strdup(it->valuestring) : NULL;
		if (!v[i - 1])
			*bad = true;
	}
	return v;
}

/* The length of a JSON array member (0 when absent). */
static int
array_len(const cJSON *obj, const char *key)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
}

/* Fills one table from its JSON object; *bad set on anything malformed. */
static void
table_from_json(const cJSON *jt, SqlpilotTable *t, bool *bad)
{
	const cJSON *it;
	int			i;

	t->schema = get_str(jt, "schema", false, bad);
	t->name = get_str(jt, "name", true, bad);
	t->fold_case = get_bool(jt, "fold_case");

	t->n_columns = array_len(jt, "columns");
	t->columns = calloc(t->n_columns ? t->n_columns : 1, sizeof(SqlpilotColumn));
	i = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(jt, "columns"))
	{
		SqlpilotColumn *c = &t->columns[i++];

		c->name = get_str(it, "name", true, bad);
		c->type = get_str(it, "type", true, bad);
		c->not_null = get_bool(it, "not_null");
		c->default_expr = get_str(it, "default", false, bad);
	}

	t->n_indexes = array_len(jt, "indexes");
	t->indexes = calloc(t->n_indexes ? t->n_indexes : 1, sizeof(SqlpilotIndex));
	i = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(jt, "indexes"))
	{
		SqlpilotIndex *x = &t->indexes[i++];
		const cJSON *d;
		int			j = 0;

		x->name = get_str(it, "name", false, bad);
		x->primary = get_bool(it, "primary");
		x->unique = get_bool(it, "unique");
		x->is_constraint = get_bool(it, "constraint");
		x->cols = get_str_array(it, "cols", &x->n_cols, bad);
		x->desc = calloc(x->n_cols ? x->n_cols : 1, sizeof(bool));
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(it, "desc"))
		{
			if (j < x->n_cols)
				x->desc[j] = cJSON_IsTrue(d);
			j++;
		}
	}

	t->n_fkeys = array_len(jt, "fkeys");
	t->fkeys = calloc(t->n_fkeys ? t->n_fkeys : 1, sizeof(SqlpilotForeignKey));
	i = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(jt, "fkeys"))
	{
		SqlpilotForeignKey *f = &t->fkeys[i++];
		int			nref = 0;

		f->name = get_str(it, "name", false, bad);
		f->cols = get_str_array(it, "cols", &f->n_cols, bad);
		f->ref_schema = get_str(it, "ref_schema", false, bad);
		f->ref_table = get_str(it, "ref_table", true, bad);
		f->ref_cols = get_str_array(it, "ref_cols", &nref, bad);
		if (nref != f->n_cols)
		{
			/* Keep cols and ref_cols the same length, so freeing stays in bounds. */
			for (int k = 0; k < nref; k++)
				free(f->ref_cols[k]);
			free(f->ref_cols);
			f->ref_cols = calloc(f->n_cols ? f->n_cols : 1, sizeof(char *));
			*bad = true;
		}
		f->on_delete = get_str(it, "on_delete", false, bad);
		f->on_update = get_str(it, "on_update", false, bad);
	}

	t->n_checks = array_len(jt, "checks");
	t->checks = calloc(t->n_checks ? t->n_checks : 1, sizeof(SqlpilotCheck));
	i = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(jt, "checks"))
	{
		t->checks[i].name = get_str(it, "name", false, bad);
		t->checks[i].expr = get_str(it, "expr", true, bad);
		i++;
	}
	if (!t->columns || !t->indexes || !t->fkeys || !t->checks)
		*bad = true;
}

/* Rebuilds a schema from datagen_schema_to_json's object. */
int
datagen_schema_from_json(const cJSON *obj, DatagenSchema *s, char *err, size_t errlen)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(obj, "tables");
	const cJSON *it;
	bool		bad = false;
	int			i = 0;

	memset(s, 0, sizeof(*s));
	if (!cJSON_IsArray(tables) || cJSON_GetArraySize(tables) == 0)
	{
		snprintf(err, errlen, "schema has no \"tables\" array");
		return -1;
	}
	s->topic = cJSON_GetObjectItemCaseSensitive(obj, "topic_id") ?
		cJSON_GetObjectItemCaseSensitive(obj, "topic_id")->valueint : 0;
	s->use_case = cJSON_GetObjectItemCaseSensitive(obj, "use_case_id") ?
		cJSON_GetObjectItemCaseSensitive(obj, "use_case_id")->valueint : 0;
	s->n_tables = cJSON_GetArraySize(tables);
	s->tables = calloc(s->n_tables, sizeof(SqlpilotTable));
	if (!s->tables)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cJSON_ArrayForEach(it, tables)
		table_from_json(it, &s->tables[i++], &bad);

	/* Generator detail: column kinds and join links. */
	{
		const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(obj, "col_kinds");
		const cJSON *links = cJSON_GetObjectItemCaseSensitive(obj, "links");

		if (cJSON_IsArray(kinds) && cJSON_GetArraySize(kinds) == s->n_tables)
		{
			s->col_kinds = calloc(s->n_tables, sizeof(unsigned char *));
			i = 0;
			cJSON_ArrayForEach(it, kinds)
			{
				const cJSON *k;
				int			j = 0;
				int			ncol = s->tables[i].n_columns;

				s->col_kinds[i] = calloc(ncol ? ncol : 1, 1);
				if (!s->col_kinds[i] || cJSON_GetArraySize(it) != ncol)
					bad = true;
				else
					cJSON_ArrayForEach(k, it)
						s->col_kinds[i][j++] = (unsigned char) k->valueint;
				i++;
			}
		}
		s->n_links = cJSON_IsArray(links) ? cJSON_GetArraySize(links) : 0;
		if (s->n_links > 0)
		{
			s->links = calloc(s->n_links, sizeof(DatagenLink));
			i = 0;
			cJSON_ArrayForEach(it, links)
			{
				if (!s->links || cJSON_GetArraySize(it) != 4)
				{
					bad = true;
					break;
				}
				s->links[i].child = cJSON_GetArrayItem(it, 0)->valueint;
				s->links[i].child_col = cJSON_GetArrayItem(it, 1)->valueint;
				s->links[i].parent = cJSON_GetArrayItem(it, 2)->valueint;
				s->links[i].parent_col = cJSON_GetArrayItem(it, 3)->valueint;
				i++;
			}
		}
	}
	if (bad)
	{
		datagen_schema_free(s);
		snprintf(err, errlen, "malformed schema JSON");
		return -1;
	}
	return 0;
}
