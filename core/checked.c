/*
 * checked.c — the completion shown to the user, and the names check of a
 * completion cut by the token budget (checked.h).
 */
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "ground.h"

/* See checked.h. */
int
sqlpilot_checked_choose(const SqlpilotCheckedSource *src, SqlpilotCheckedCandidate *cands,
						int *n_cands)
{
	int			n;

	*n_cands = 0;
	n = src->generate(src->arg, 1, cands);
	if (n <= 0)
		return n == 0 ? -1 : -2;
	*n_cands = 1;
	cands[0].valid = src->check(src->arg, &cands[0]);
	if (cands[0].valid != SQLPILOT_INVALID || src->candidates < 2)
		return 0;

	n = src->generate(src->arg, src->candidates, cands + 1);
	if (n < 0)
		return 0;				/* the greedy one stays, marked invalid */
	*n_cands = 1 + n;
	for (int i = 1; i <= n; i++)
	{
		cands[i].valid = SQLPILOT_UNCHECKED;
		if (strcmp(cands[i].text, cands[0].text) == 0)
			continue;
		cands[i].valid = src->check(src->arg, &cands[i]);
		if (cands[i].valid != SQLPILOT_INVALID)
			return i;
	}
	return 0;
}

/* See checked.h. */
SqlpilotValidity
sqlpilot_checked_names(const char *schema, size_t schema_len, const char *prefix,
					   size_t prefix_len, const char *text, size_t text_len)
{
	SqlpilotGroundSchema *gs = sqlpilot_ground_schema_parse(schema, schema_len);
	SqlpilotGround *g = malloc(sizeof(SqlpilotGround));
	SqlpilotValidity v = SQLPILOT_UNCHECKED;

	if (gs && g)
	{
		sqlpilot_ground_init(g, gs, prefix_len);
		sqlpilot_ground_feed(g, prefix, prefix_len);
		/* byte by byte, as tokens are judged: each name against the scope before it */
		for (size_t i = 0; i < text_len && sqlpilot_ground_active(g); i++)
		{
			if (!sqlpilot_ground_allows(g, (const uint8_t *) text + i, 1))
			{
				v = SQLPILOT_INVALID;
				break;
			}
			sqlpilot_ground_feed(g, text + i, 1);
		}
	}
	free(g);
	sqlpilot_ground_schema_free(gs);
	return v;
}
