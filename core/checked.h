/*
 * checked.h — which completion the user is shown, the one policy the
 * extension's sqlpilot_complete() and `sqlpilot eval` share.
 *
 * A completion is checked before it is shown: a whole statement (the typed
 * prefix and the completion end it) by the caller's check (the extension:
 * PostgreSQL's parse analysis, what PREPARE does; eval: PREPARE in a
 * scratch database); a completion cut by the token budget for what can be
 * checked of it, its names (sqlpilot_checked_names).  The policy
 * (sqlpilot_checked_choose): the greedy completion is generated and checked
 * first; only when the check refuses it are `candidates` beams generated,
 * and the best-scoring one the check does not refuse (and that differs from
 * the greedy text) is shown; when it refuses them all, the greedy one is
 * shown, marked invalid.  An unchecked completion is not refused.
 *
 * No PostgreSQL here: generating and checking are the caller's callbacks.
 */
#ifndef SQLPILOT_CHECKED_H
#define SQLPILOT_CHECKED_H

#include <stdbool.h>
#include <stddef.h>

/* Beams tried when the greedy completion is refused (the extension's sqlpilot.candidates). */
#define SQLPILOT_CHECKED_DEFAULT_CANDIDATES 4

/* What checking a completion found. */
typedef enum SqlpilotValidity
{
	SQLPILOT_UNCHECKED,			/* nothing refused it, and it is not known valid (cut, not checkable) */
	SQLPILOT_INVALID,			/* the check refused it (a cut one: a name not in the schema) */
	SQLPILOT_VALID				/* a whole statement the check accepted */
} SqlpilotValidity;

/* One completion as the policy sees it. */
typedef struct SqlpilotCheckedCandidate
{
	const char *text;			/* to append to the prefix (the caller's memory) */
	double		score;
	bool		whole;			/* ends the statement (not cut by the token budget) */
	SqlpilotValidity valid;		/* set by the policy */
} SqlpilotCheckedCandidate;

/* The caller's side of one choice. */
typedef struct SqlpilotCheckedSource
{
	/*
	 * Generates the greedy completion (width 1) or width beams, best first,
	 * into out[0..width); returns how many (0: none), or -1 on error.  Their
	 * texts stay the caller's (alive until the caller is done).
	 */
	int			(*generate) (void *arg, int width, SqlpilotCheckedCandidate *out);
	/* Checks one candidate (whole or cut). */
	SqlpilotValidity (*check) (void *arg, const SqlpilotCheckedCandidate *c);
	void	   *arg;
	int			candidates;		/* beams tried when the greedy one is refused; < 2: none */
} SqlpilotCheckedSource;

/*
 * Chooses the completion to show.  cands must have room for 1 + candidates
 * entries: cands[0] gets the greedy completion, cands[1..] the beams when
 * they were generated; *n_cands the entries filled.  Returns the index of
 * the one to show, -1 when the model gave nothing (show nothing), -2 when
 * generate failed.  cands[i].valid says what the check found.
 */
int			sqlpilot_checked_choose(const SqlpilotCheckedSource *src,
									SqlpilotCheckedCandidate *cands, int *n_cands);

/*
 * The check of a completion cut by the token budget: whether every name it
 * writes after prefix is one core/ground.h allows where it stands in the
 * prompt's schema text (tables, columns, aliases, CTEs, keywords, built-in
 * functions; the last one may be a prefix of such a name).  Returns
 * SQLPILOT_INVALID when one is not, SQLPILOT_UNCHECKED otherwise (a cut
 * statement is never known valid) or when out of memory.
 */
SqlpilotValidity sqlpilot_checked_names(const char *schema, size_t schema_len,
										const char *prefix, size_t prefix_len,
										const char *text, size_t text_len);

#endif							/* SQLPILOT_CHECKED_H */
