/*
 * sql_words.c — PostgreSQL 15's keywords and an identifier scanner on the
 * lexer of core/sql_lex.c (see sql_words.h).  The keyword table is
 * pg_get_keywords() of PostgreSQL 15, sorted, with its category codes.
 */
#include "sql_words.h"

#include "sql_lex.h"

#include <stdbool.h>

#include <stdlib.h>
#include <string.h>

typedef struct SqlKeyword
{
	const char *word;
	char		category;
} SqlKeyword;

/* SELECT word, catcode FROM pg_get_keywords() ORDER BY word (PostgreSQL 15). */
static const SqlKeyword sql_keywords[] = {
	{"abort", 'U'}, {"absolute", 'U'}, {"access", 'U'}, {"action", 'U'}, {"add", 'U'},
	{"admin", 'U'}, {"after", 'U'}, {"aggregate", 'U'}, {"all", 'R'}, {"also", 'U'},
	{"alter", 'U'}, {"always", 'U'}, {"analyse", 'R'}, {"analyze", 'R'}, {"and", 'R'},
	{"any", 'R'}, {"array", 'R'}, {"as", 'R'}, {"asc", 'R'}, {"asensitive", 'U'},
	{"assertion", 'U'}, {"assignment", 'U'}, {"asymmetric", 'R'}, {"at", 'U'}, {"atomic", 'U'},
	{"attach", 'U'}, {"attribute", 'U'}, {"authorization", 'T'}, {"backward", 'U'},
	{"before", 'U'}, {"begin", 'U'}, {"between", 'C'}, {"bigint", 'C'}, {"binary", 'T'},
	{"bit", 'C'}, {"boolean", 'C'}, {"both", 'R'}, {"breadth", 'U'}, {"by", 'U'},
	{"cache", 'U'}, {"call", 'U'}, {"called", 'U'}, {"cascade", 'U'}, {"cascaded", 'U'},
	{"case", 'R'}, {"cast", 'R'}, {"catalog", 'U'}, {"chain", 'U'}, {"char", 'C'},
	{"character", 'C'}, {"characteristics", 'U'}, {"check", 'R'}, {"checkpoint", 'U'},
	{"class", 'U'}, {"close", 'U'}, {"cluster", 'U'}, {"coalesce", 'C'}, {"collate", 'R'},
	{"collation", 'T'}, {"column", 'R'}, {"columns", 'U'}, {"comment", 'U'}, {"comments", 'U'},
	{"commit", 'U'}, {"committed", 'U'}, {"compression", 'U'}, {"concurrently", 'T'},
	{"configuration", 'U'}, {"conflict", 'U'}, {"connection", 'U'}, {"constraint", 'R'},
	{"constraints", 'U'}, {"content", 'U'}, {"continue", 'U'}, {"conversion", 'U'},
	{"copy", 'U'}, {"cost", 'U'}, {"create", 'R'}, {"cross", 'T'}, {"csv", 'U'}, {"cube", 'U'},
	{"current", 'U'}, {"current_catalog", 'R'}, {"current_date", 'R'}, {"current_role", 'R'},
	{"current_schema", 'T'}, {"current_time", 'R'}, {"current_timestamp", 'R'},
	{"current_user", 'R'}, {"cursor", 'U'}, {"cycle", 'U'}, {"data", 'U'}, {"database", 'U'},
	{"day", 'U'}, {"deallocate", 'U'}, {"dec", 'C'}, {"decimal", 'C'}, {"declare", 'U'},
	{"default", 'R'}, {"defaults", 'U'}, {"deferrable", 'R'}, {"deferred", 'U'},
	{"definer", 'U'}, {"delete", 'U'}, {"delimiter", 'U'}, {"delimiters", 'U'},
	{"depends", 'U'}, {"depth", 'U'}, {"desc", 'R'}, {"detach", 'U'}, {"dictionary", 'U'},
	{"disable", 'U'}, {"discard", 'U'}, {"distinct", 'R'}, {"do", 'R'}, {"document", 'U'},
	{"domain", 'U'}, {"double", 'U'}, {"drop", 'U'}, {"each", 'U'}, {"else", 'R'},
	{"enable", 'U'}, {"encoding", 'U'}, {"encrypted", 'U'}, {"end", 'R'}, {"enum", 'U'},
	{"escape", 'U'}, {"event", 'U'}, {"except", 'R'}, {"exclude", 'U'}, {"excluding", 'U'},
	{"exclusive", 'U'}, {"execute", 'U'}, {"exists", 'C'}, {"explain", 'U'},
	{"expression", 'U'}, {"extension", 'U'}, {"external", 'U'}, {"extract", 'C'},
	{"false", 'R'}, {"family", 'U'}, {"fetch", 'R'}, {"filter", 'U'}, {"finalize", 'U'},
	{"first", 'U'}, {"float", 'C'}, {"following", 'U'}, {"for", 'R'}, {"force", 'U'},
	{"foreign", 'R'}, {"forward", 'U'}, {"freeze", 'T'}, {"from", 'R'}, {"full", 'T'},
	{"function", 'U'}, {"functions", 'U'}, {"generated", 'U'}, {"global", 'U'}, {"grant", 'R'},
	{"granted", 'U'}, {"greatest", 'C'}, {"group", 'R'}, {"grouping", 'C'}, {"groups", 'U'},
	{"handler", 'U'}, {"having", 'R'}, {"header", 'U'}, {"hold", 'U'}, {"hour", 'U'},
	{"identity", 'U'}, {"if", 'U'}, {"ilike", 'T'}, {"immediate", 'U'}, {"immutable", 'U'},
	{"implicit", 'U'}, {"import", 'U'}, {"in", 'R'}, {"include", 'U'}, {"including", 'U'},
	{"increment", 'U'}, {"index", 'U'}, {"indexes", 'U'}, {"inherit", 'U'}, {"inherits", 'U'},
	{"initially", 'R'}, {"inline", 'U'}, {"inner", 'T'}, {"inout", 'C'}, {"input", 'U'},
	{"insensitive", 'U'}, {"insert", 'U'}, {"instead", 'U'}, {"int", 'C'}, {"integer", 'C'},
	{"intersect", 'R'}, {"interval", 'C'}, {"into", 'R'}, {"invoker", 'U'}, {"is", 'T'},
	{"isnull", 'T'}, {"isolation", 'U'}, {"join", 'T'}, {"key", 'U'}, {"label", 'U'},
	{"language", 'U'}, {"large", 'U'}, {"last", 'U'}, {"lateral", 'R'}, {"leading", 'R'},
	{"leakproof", 'U'}, {"least", 'C'}, {"left", 'T'}, {"level", 'U'}, {"like", 'T'},
	{"limit", 'R'}, {"listen", 'U'}, {"load", 'U'}, {"local", 'U'}, {"localtime", 'R'},
	{"localtimestamp", 'R'}, {"location", 'U'}, {"lock", 'U'}, {"locked", 'U'},
	{"logged", 'U'}, {"mapping", 'U'}, {"match", 'U'}, {"matched", 'U'}, {"materialized", 'U'},
	{"maxvalue", 'U'}, {"merge", 'U'}, {"method", 'U'}, {"minute", 'U'}, {"minvalue", 'U'},
	{"mode", 'U'}, {"month", 'U'}, {"move", 'U'}, {"name", 'U'}, {"names", 'U'},
	{"national", 'C'}, {"natural", 'T'}, {"nchar", 'C'}, {"new", 'U'}, {"next", 'U'},
	{"nfc", 'U'}, {"nfd", 'U'}, {"nfkc", 'U'}, {"nfkd", 'U'}, {"no", 'U'}, {"none", 'C'},
	{"normalize", 'C'}, {"normalized", 'U'}, {"not", 'R'}, {"nothing", 'U'}, {"notify", 'U'},
	{"notnull", 'T'}, {"nowait", 'U'}, {"null", 'R'}, {"nullif", 'C'}, {"nulls", 'U'},
	{"numeric", 'C'}, {"object", 'U'}, {"of", 'U'}, {"off", 'U'}, {"offset", 'R'},
	{"oids", 'U'}, {"old", 'U'}, {"on", 'R'}, {"only", 'R'}, {"operator", 'U'},
	{"option", 'U'}, {"options", 'U'}, {"or", 'R'}, {"order", 'R'}, {"ordinality", 'U'},
	{"others", 'U'}, {"out", 'C'}, {"outer", 'T'}, {"over", 'U'}, {"overlaps", 'T'},
	{"overlay", 'C'}, {"overriding", 'U'}, {"owned", 'U'}, {"owner", 'U'}, {"parallel", 'U'},
	{"parameter", 'U'}, {"parser", 'U'}, {"partial", 'U'}, {"partition", 'U'},
	{"passing", 'U'}, {"password", 'U'}, {"placing", 'R'}, {"plans", 'U'}, {"policy", 'U'},
	{"position", 'C'}, {"preceding", 'U'}, {"precision", 'C'}, {"prepare", 'U'},
	{"prepared", 'U'}, {"preserve", 'U'}, {"primary", 'R'}, {"prior", 'U'},
	{"privileges", 'U'}, {"procedural", 'U'}, {"procedure", 'U'}, {"procedures", 'U'},
	{"program", 'U'}, {"publication", 'U'}, {"quote", 'U'}, {"range", 'U'}, {"read", 'U'},
	{"real", 'C'}, {"reassign", 'U'}, {"recheck", 'U'}, {"recursive", 'U'}, {"ref", 'U'},
	{"references", 'R'}, {"referencing", 'U'}, {"refresh", 'U'}, {"reindex", 'U'},
	{"relative", 'U'}, {"release", 'U'}, {"rename", 'U'}, {"repeatable", 'U'},
	{"replace", 'U'}, {"replica", 'U'}, {"reset", 'U'}, {"restart", 'U'}, {"restrict", 'U'},
	{"return", 'U'}, {"returning", 'R'}, {"returns", 'U'}, {"revoke", 'U'}, {"right", 'T'},
	{"role", 'U'}, {"rollback", 'U'}, {"rollup", 'U'}, {"routine", 'U'}, {"routines", 'U'},
	{"row", 'C'}, {"rows", 'U'}, {"rule", 'U'}, {"savepoint", 'U'}, {"schema", 'U'},
	{"schemas", 'U'}, {"scroll", 'U'}, {"search", 'U'}, {"second", 'U'}, {"security", 'U'},
	{"select", 'R'}, {"sequence", 'U'}, {"sequences", 'U'}, {"serializable", 'U'},
	{"server", 'U'}, {"session", 'U'}, {"session_user", 'R'}, {"set", 'U'}, {"setof", 'C'},
	{"sets", 'U'}, {"share", 'U'}, {"show", 'U'}, {"similar", 'T'}, {"simple", 'U'},
	{"skip", 'U'}, {"smallint", 'C'}, {"snapshot", 'U'}, {"some", 'R'}, {"sql", 'U'},
	{"stable", 'U'}, {"standalone", 'U'}, {"start", 'U'}, {"statement", 'U'},
	{"statistics", 'U'}, {"stdin", 'U'}, {"stdout", 'U'}, {"storage", 'U'}, {"stored", 'U'},
	{"strict", 'U'}, {"strip", 'U'}, {"subscription", 'U'}, {"substring", 'C'},
	{"support", 'U'}, {"symmetric", 'R'}, {"sysid", 'U'}, {"system", 'U'}, {"table", 'R'},
	{"tables", 'U'}, {"tablesample", 'T'}, {"tablespace", 'U'}, {"temp", 'U'},
	{"template", 'U'}, {"temporary", 'U'}, {"text", 'U'}, {"then", 'R'}, {"ties", 'U'},
	{"time", 'C'}, {"timestamp", 'C'}, {"to", 'R'}, {"trailing", 'R'}, {"transaction", 'U'},
	{"transform", 'U'}, {"treat", 'C'}, {"trigger", 'U'}, {"trim", 'C'}, {"true", 'R'},
	{"truncate", 'U'}, {"trusted", 'U'}, {"type", 'U'}, {"types", 'U'}, {"uescape", 'U'},
	{"unbounded", 'U'}, {"uncommitted", 'U'}, {"unencrypted", 'U'}, {"union", 'R'},
	{"unique", 'R'}, {"unknown", 'U'}, {"unlisten", 'U'}, {"unlogged", 'U'}, {"until", 'U'},
	{"update", 'U'}, {"user", 'R'}, {"using", 'R'}, {"vacuum", 'U'}, {"valid", 'U'},
	{"validate", 'U'}, {"validator", 'U'}, {"value", 'U'}, {"values", 'C'}, {"varchar", 'C'},
	{"variadic", 'R'}, {"varying", 'U'}, {"verbose", 'T'}, {"version", 'U'}, {"view", 'U'},
	{"views", 'U'}, {"volatile", 'U'}, {"when", 'R'}, {"where", 'R'}, {"whitespace", 'U'},
	{"window", 'R'}, {"with", 'R'}, {"within", 'U'}, {"without", 'U'}, {"work", 'U'},
	{"wrapper", 'U'}, {"write", 'U'}, {"xml", 'U'}, {"xmlattributes", 'C'}, {"xmlconcat", 'C'},
	{"xmlelement", 'C'}, {"xmlexists", 'C'}, {"xmlforest", 'C'}, {"xmlnamespaces", 'C'},
	{"xmlparse", 'C'}, {"xmlpi", 'C'}, {"xmlroot", 'C'}, {"xmlserialize", 'C'},
	{"xmltable", 'C'}, {"year", 'U'}, {"yes", 'U'}, {"zone", 'U'}
};

/*
 * PostgreSQL 15's built-in functions that users type by name: aggregates,
 * window functions, math, string, date/time, array, JSON, full-text search
 * and a few type-named casts (the user-facing subset of pg_proc's names in
 * pg_catalog; names that are keywords, like coalesce or extract, are in both
 * lists).  Sorted (C locale) for binary search.
 */
static const char *const sql_functions[] = {
	"abs", "acos", "acosd", "acosh", "age", "array_agg", "array_append", "array_cat",
	"array_dims", "array_fill", "array_length", "array_lower", "array_ndims",
	"array_position", "array_positions", "array_prepend", "array_remove", "array_replace",
	"array_to_json", "array_to_string", "array_upper", "ascii", "asin", "asind", "asinh",
	"atan", "atan2", "atan2d", "atand", "atanh", "avg", "bit_and", "bit_count",
	"bit_length", "bit_or", "bit_xor", "bool", "bool_and", "bool_or", "btrim",
	"cardinality", "cbrt", "ceil", "ceiling", "char_length", "character_length", "chr",
	"clock_timestamp", "coalesce", "concat", "concat_ws", "convert", "convert_from",
	"convert_to", "corr", "cos", "cosd", "cosh", "cot", "cotd", "count", "covar_pop",
	"covar_samp", "cume_dist", "current_database", "currval", "date", "date_bin",
	"date_part", "date_trunc", "daterange", "decode", "degrees", "dense_rank", "div",
	"encode", "every", "exp", "extract", "factorial", "first_value", "float4", "float8",
	"floor", "format", "gcd", "gen_random_uuid", "generate_series", "generate_subscripts",
	"get_byte", "greatest", "initcap", "int2", "int4", "int4range", "int8", "int8range",
	"isempty", "isfinite", "json_agg", "json_array_elements", "json_array_elements_text",
	"json_array_length", "json_build_array", "json_build_object", "json_each",
	"json_each_text", "json_extract_path", "json_extract_path_text", "json_object",
	"json_object_agg", "json_object_keys", "json_populate_record",
	"json_populate_recordset", "json_strip_nulls", "json_to_record", "json_to_recordset",
	"json_typeof", "jsonb_agg", "jsonb_array_elements", "jsonb_array_elements_text",
	"jsonb_array_length", "jsonb_build_array", "jsonb_build_object", "jsonb_each",
	"jsonb_each_text", "jsonb_extract_path", "jsonb_extract_path_text", "jsonb_insert",
	"jsonb_object", "jsonb_object_agg", "jsonb_object_keys", "jsonb_path_exists",
	"jsonb_path_match", "jsonb_path_query", "jsonb_path_query_array",
	"jsonb_path_query_first", "jsonb_populate_record", "jsonb_populate_recordset",
	"jsonb_pretty", "jsonb_set", "jsonb_set_lax", "jsonb_strip_nulls", "jsonb_to_record",
	"jsonb_to_recordset", "jsonb_typeof", "justify_days", "justify_hours",
	"justify_interval", "lag", "last_value", "lastval", "lcm", "lead", "least", "left",
	"length", "ln", "log", "log10", "lower", "lower_inf", "lpad", "ltrim", "make_date",
	"make_interval", "make_time", "make_timestamp", "make_timestamptz", "max", "md5",
	"min", "min_scale", "mod", "mode", "nextval", "normalize", "now", "nth_value", "ntile",
	"nullif", "num_nonnulls", "num_nulls", "numrange", "octet_length", "overlay",
	"parse_ident", "percent_rank", "percentile_cont", "percentile_disc",
	"pg_relation_size", "pg_size_pretty", "pg_sleep", "pg_total_relation_size",
	"pg_typeof", "phraseto_tsquery", "pi", "plainto_tsquery", "position", "power",
	"quote_ident", "quote_literal", "quote_nullable", "radians", "random", "range_agg",
	"rank", "regexp_count", "regexp_instr", "regexp_like", "regexp_match",
	"regexp_matches", "regexp_replace", "regexp_split_to_array", "regexp_split_to_table",
	"regexp_substr", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2",
	"regr_slope", "regr_sxx", "regr_sxy", "regr_syy", "repeat", "replace", "reverse",
	"right", "round", "row_number", "row_to_json", "rpad", "rtrim", "scale", "set_byte",
	"setseed", "setval", "sha224", "sha256", "sha384", "sha512", "sign", "sin", "sind",
	"sinh", "split_part", "sqrt", "starts_with", "statement_timestamp", "stddev",
	"stddev_pop", "stddev_samp", "string_agg", "string_to_array", "string_to_table",
	"strpos", "substr", "substring", "sum", "tan", "tand", "tanh", "text", "timeofday",
	"timezone", "to_ascii", "to_char", "to_date", "to_hex", "to_json", "to_jsonb",
	"to_number", "to_timestamp", "to_tsquery", "to_tsvector", "transaction_timestamp",
	"translate", "trim", "trim_array", "trim_scale", "trunc", "ts_headline", "ts_rank",
	"tsrange", "tstzrange", "txid_current", "unistr", "unnest", "upper", "upper_inf",
	"var_pop", "var_samp", "variance", "version", "websearch_to_tsquery", "width_bucket",
	"xmlagg"
};

/*
 * The unreserved keywords statements use (queries, DML, and the DDL words
 * SQL text often holds); with the reserved, column-name and type/function-
 * name keywords they are the keywords of sqlpilot_sql_word.  The other
 * unreserved ones (name, data, value, ...) are ordinary names.  Sorted.
 */
static const char *const statement_unreserved[] = {
	"action", "add", "after", "always", "at", "before", "begin", "breadth", "by", "cascade",
	"commit", "conflict", "continue", "cube", "current", "cycle", "day", "deferred",
	"delete", "depth", "double", "drop", "enum", "escape", "exclude", "family", "filter",
	"first", "following", "generated", "groups", "hour", "identity", "if", "immediate",
	"index", "insert", "key", "last", "local", "locked", "match", "matched", "materialized",
	"merge", "minute", "month", "next", "no", "nothing", "nowait", "nulls", "of",
	"ordinality", "others", "over", "overriding", "partial", "partition", "preceding",
	"range", "recursive", "repeatable", "replace", "restart", "restrict", "rollback",
	"rollup", "rows", "search", "second", "set", "sets", "share", "skip", "stored",
	"system", "ties", "truncate", "unbounded", "unknown", "update", "varying", "view",
	"within", "without", "year", "zone"
};

/*
 * Type names that are not keywords (bigint, varchar, ... are), PostgreSQL's
 * and the CockroachDB ones its schemas show (string, bytes), and the words
 * of CockroachDB and common extensions those schemas hold (inverted indexes,
 * column families, unique_rowid() and uuid_generate_v4() defaults, UPSERT,
 * EXCLUDED of ON CONFLICT).  Sorted.
 */
static const char *const type_names[] = {
	"bigserial", "bool", "bytea", "bytes", "cidr", "citext", "date", "excluded", "float4", "float8", "inet",
	"int2", "int4", "int8", "inverted", "json", "jsonb", "macaddr", "money", "oid",
	"regclass", "serial", "serial2", "serial4", "serial8", "smallserial", "string", "text",
	"timestamptz", "timetz", "tsquery", "tsvector", "unique_rowid", "upsert", "uuid",
	"uuid_generate_v4", "varbit", "xml"
};

/* The number of entries of a static array. */
#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

/* See sql_words.h. */
char
sqlpilot_sql_keyword_category(const char *word, size_t len)
{
	char		lower[32];
	int			lo = 0;
	int			hi = (int) (sizeof(sql_keywords) / sizeof(sql_keywords[0])) - 1;

	if (len == 0 || len >= sizeof(lower))
		return 0;
	for (size_t i = 0; i < len; i++)
	{
		char		c = word[i];

		lower[i] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
	}
	lower[len] = '\0';
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(lower, sql_keywords[mid].word);

		if (c == 0)
			return sql_keywords[mid].category;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * Index of the first entry of a sorted list not below word (len bytes),
 * as strcmp orders them: a binary search shared by the prefix lookups.
 */
static int
lower_bound(const char *const *list, int n, const char *word, size_t len)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strncmp(list[mid], word, len);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether an entry of a sorted list equals word, or (prefix) starts with it. */
static bool
sorted_has(const char *const *list, int n, const char *word, size_t len, bool prefix)
{
	int			i = lower_bound(list, n, word, len);

	if (i >= n || strncmp(list[i], word, len) != 0)
		return false;
	return prefix || list[i][len] == '\0';
}

/*
 * See sql_words.h.  A binary search for the first keyword not below word,
 * then a walk over the keywords that start with it.
 */
bool
sqlpilot_sql_keyword_prefix(const char *word, size_t len, const char *categories,
							const char *const *except, size_t n_except)
{
	int			n = (int) (sizeof(sql_keywords) / sizeof(sql_keywords[0]));
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (strncmp(sql_keywords[mid].word, word, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strncmp(sql_keywords[lo].word, word, len) == 0; lo++)
	{
		bool		excluded = false;

		if (categories && !strchr(categories, sql_keywords[lo].category))
			continue;
		for (size_t i = 0; i < n_except && !excluded; i++)
			excluded = strcmp(except[i], sql_keywords[lo].word) == 0;
		if (!excluded)
			return true;
	}
	return false;
}

/* See sql_words.h. */
bool
sqlpilot_sql_function_name(const char *word, size_t len, bool prefix)
{
	return sorted_has(sql_functions, (int) (sizeof(sql_functions) / sizeof(sql_functions[0])),
					  word, len, prefix);
}

/*
 * Whether some entry of a sorted list equals word (or with prefix starts
 * with it) and is not one of except[0..n_except).
 */
static bool
sorted_has_except(const char *const *list, int n, const char *word, size_t len, bool prefix,
				  const char *const *except, size_t n_except)
{
	for (int i = lower_bound(list, n, word, len); i < n && strncmp(list[i], word, len) == 0; i++)
	{
		bool		excluded = false;

		if (!prefix && list[i][len] != '\0')
			break;
		for (size_t k = 0; k < n_except && !excluded; k++)
			excluded = strcmp(except[k], list[i]) == 0;
		if (!excluded)
			return true;
	}
	return false;
}

/* See sql_words.h. */
bool
sqlpilot_sql_word(const char *word, size_t len, bool prefix, bool functions,
				  const char *const *except, size_t n_except)
{
	char		lower[64];

	if (len == 0 || len >= sizeof(lower))
		return false;
	for (size_t i = 0; i < len; i++)
	{
		char		c = word[i];

		lower[i] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
	}
	lower[len] = '\0';
	if (prefix)
	{
		if (sqlpilot_sql_keyword_prefix(lower, len, "RCT", except, n_except))
			return true;
	}
	else
	{
		char		cat = sqlpilot_sql_keyword_category(lower, len);
		bool		excluded = false;

		for (size_t k = 0; k < n_except && !excluded; k++)
			excluded = strcmp(except[k], lower) == 0;
		if (excluded)
			return false;
		if (cat == 'R' || cat == 'C' || cat == 'T')
			return true;
	}
	return sorted_has_except(statement_unreserved, (int) lengthof(statement_unreserved), lower,
							 len, prefix, except, n_except) ||
		(functions && sorted_has_except(sql_functions, (int) lengthof(sql_functions), lower,
										len, prefix, except, n_except)) ||
		sorted_has_except(type_names, (int) lengthof(type_names), lower, len, prefix,
						  except, n_except);
}

/* What sqlpilot_sql_next_ident's lexer callback has seen so far. */
typedef struct NextIdent
{
	const char *text;
	bool		found;			/* the identifier is known */
	bool		after;			/* a token after it has been seen */
	bool		last_dot;		/* the last token before it was a '.' */
	bool		dot_before;
	bool		dot_after;
	SqlpilotLexToken id;
} NextIdent;

/* The lexer callback of sqlpilot_sql_next_ident. */
static void
next_ident_token(void *arg, const SqlpilotLexToken *t)
{
	NextIdent  *ni = arg;
	bool		dot = t->kind == SQLPILOT_TOK_PUNCT && ni->text[t->start] == '.';

	if (t->kind == SQLPILOT_TOK_COMMENT || ni->after)
		return;
	if (ni->found)
	{
		ni->after = true;
		ni->dot_after = dot;
	}
	else if (t->kind == SQLPILOT_TOK_IDENT || t->kind == SQLPILOT_TOK_QIDENT)
	{
		ni->found = true;
		ni->id = *t;
		ni->dot_before = ni->last_dot;
	}
	else
		ni->last_dot = dot;
}

/*
 * See sql_words.h.  Lexes from *pos (always a token boundary) with
 * core/sql_lex.c until the identifier and the start of the token after it
 * are known.
 */
bool
sqlpilot_sql_next_ident(const char *s, size_t len, size_t *pos, SqlpilotSqlIdent *out)
{
	NextIdent	ni;
	SqlpilotLex lx;
	size_t		p;
	size_t		n;

	memset(&ni, 0, sizeof(ni));
	ni.text = s;
	sqlpilot_lex_init(&lx, *pos, next_ident_token, &ni);
	for (p = *pos; p < len && !ni.after; p++)
	{
		SqlpilotLexIn in;

		sqlpilot_lex_feed(&lx, s + p, 1);
		in = sqlpilot_lex_in(&lx);
		if (ni.found && !ni.after && in != SQLPILOT_IN_NOTHING && in != SQLPILOT_IN_OP &&
			in != SQLPILOT_IN_LINE_COMMENT && in != SQLPILOT_IN_BLOCK_COMMENT)
		{
			/* the next token has started (an operator may still turn comment) */
			ni.after = true;
			ni.dot_after = s[sqlpilot_lex_pending_start(&lx)] == '.';
		}
	}
	if (p >= len)
		sqlpilot_lex_finish(&lx);
	if (!ni.found)
	{
		*pos = len;
		return false;
	}
	memset(out, 0, offsetof(SqlpilotSqlIdent, name) + 1);
	out->start = ni.id.start;
	out->end = ni.id.end;
	out->quoted = ni.id.kind == SQLPILOT_TOK_QIDENT;
	out->closed = ni.id.closed;
	out->dot_before = ni.dot_before;
	out->dot_after = ni.dot_after;
	n = sqlpilot_lex_ident_value(s, &ni.id, out->name, sizeof(out->name));
	out->len = n < sizeof(out->name) ? n : sizeof(out->name) - 1;
	*pos = ni.id.end;
	return true;
}

/* See sql_words.h. */
size_t
sqlpilot_sql_keywords_only(const char *prefix, size_t prefix_len, const char *completion,
						   size_t len)
{
	char	   *text = malloc(prefix_len + len + 1);
	size_t		pos = 0;
	size_t		keep = len;
	SqlpilotSqlIdent id;

	if (text == NULL)
		return (size_t) -1;
	memcpy(text, prefix, prefix_len);
	memcpy(text + prefix_len, completion, len);
	while (sqlpilot_sql_next_ident(text, prefix_len + len, &pos, &id))
	{
		if (id.end <= prefix_len)
			continue;
		if (id.quoted || sqlpilot_sql_keyword_category(id.name, id.len) == 0)
		{
			keep = id.start > prefix_len ? id.start - prefix_len : 0;
			break;
		}
	}
	free(text);
	return keep;
}
