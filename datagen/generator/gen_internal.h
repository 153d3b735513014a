/*
 * gen_internal.h — what the datagen content files share: the parsed
 * vocabulary (gen_topics.c), schema helpers (gen_schema.c) and the
 * identifier-aware text builder used by statements and renaming.
 */
#ifndef SQLPILOT_DATAGEN_GEN_INTERNAL_H
#define SQLPILOT_DATAGEN_GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../generate.h"
#include "util.h"

#define GEN_MAX_ENTITIES 12
#define GEN_MAX_ATTRS 8
#define GEN_N_ACTIVITIES 11
#define GEN_MAX_TOPICS 128

typedef struct GenAttr
{
	char	   *name;
	unsigned char kind;			/* DatagenColKind */
} GenAttr;

/* One table of a topic: its names and attribute columns. */
typedef struct GenEntity
{
	char	   *plural;			/* table name */
	char	   *singular;		/* for key names: customer_id */
	int			n_attrs;
	GenAttr		attrs[GEN_MAX_ATTRS];
} GenEntity;

typedef struct GenTopic
{
	const char *name;
	int			n_entities;
	GenEntity	entities[GEN_MAX_ENTITIES];
	int			n_use_cases;	/* n_entities * GEN_N_ACTIVITIES */
	char	  **use_case_names;
} GenTopic;

typedef struct GenVocab
{
	int			n_topics;
	GenTopic	topics[GEN_MAX_TOPICS];
} GenVocab;

/* gen_topics.c */
const GenVocab *gen_vocab(void);
const char *gen_activity_name(int activity);

/* A growing text with the identifier spans written into it. */
typedef struct GenText
{
	SqlpilotBuf buf;			/* the text (short, never corrupt, if memory ran out) */
	DatagenIdent *ids;
	int			n_ids;
	int			cap_ids;
	bool		lower_kw;		/* write keywords in lower case */
	bool		multiline;		/* clause keywords start new lines */
	int			indent;			/* spaces before JOIN and AND lines when multiline */
	int			nest;			/* > 0 inside parentheses: no line breaks there */
	bool		exact_case;		/* names are exact (quoted when mixed case), not folded */
} GenText;

/* gen_statements.c */
void		gen_text_reset(GenText *t);
void		gen_text_free(GenText *t);
void		gen_text_put(GenText *t, const char *s, size_t n);
void		gen_text_str(GenText *t, const char *s);
void		gen_text_ident(GenText *t, const char *name, int what, int table, int column);

/* gen_schema.c */
char	   *gen_strdup(const char *s);
void		gen_table_constraint_names(SqlpilotTable *t);

#endif							/* SQLPILOT_DATAGEN_GEN_INTERNAL_H */
