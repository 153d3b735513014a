/*
 * validate.c — checks a whole-statement candidate the way PREPARE does:
 * PostgreSQL's raw parser, then parse analysis (names, types, operators
 * resolved), nothing planned or executed.
 *
 * The check runs inside an internal subtransaction that is always rolled
 * back, so it leaves nothing behind: the locks parse analysis takes go with
 * the subtransaction, errors are caught and flushed (a cancel or timeout is
 * raised again), and the caller's memory context and resource owner are
 * restored.  Three more rules keep it safe and quiet:
 *
 * - Functions.  Parse analysis calls the input functions of literals'
 *   types.  While it runs, needs_fmgr_hook and fmgr_hook refuse every
 *   function that is not built into the server (those never consult the
 *   hooks), at lookup, before a library is loaded or a SET clause applied:
 *   a user-defined type's input function never runs; the candidate is
 *   reported as not checked.  The previous hooks are restored in every path.
 * - Privileges.  Parse analysis opens tables the role may not use.  Every
 *   relation of the analyzed statement (subqueries, CTEs, sublinks and the
 *   SELECT of a SELECT INTO included) must be one the extension would show
 *   the role (catalog.c: a schema it may use, not another session's
 *   temporary schema, a privilege on the table or one of its columns), and
 *   the statement's own privilege needs must hold (ExecCheckRTPerms): a
 *   candidate naming a hidden table is refused exactly like one naming a
 *   missing table, so `valid` never tells one from the other.
 * - Time.  The statement is at most the prompt budget plus the token budget
 *   long, and parsing and analysis are linear in it; a lock held by another
 *   session is waited for at most SQLPILOT_VALIDATE_LOCK_TIMEOUT_MS (lock_timeout
 *   inside the subtransaction), after which (or after a deadlock found while
 *   waiting) the candidate is not checked.
 *
 * A completion cut by the token budget is no statement yet: only its names
 * are checked, against the prompt's schema with core's grounding scope
 * (core/checked.h), nothing run by PostgreSQL.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "sqlpilot.h"

static needs_fmgr_hook_type prev_needs_fmgr_hook = NULL;
static fmgr_hook_type prev_fmgr_hook = NULL;
static bool hooks_installed = false;
/* Set when the hooks refused a function during the current check. */
static bool refused_function = false;

/* Raises the error that refuses function fn_oid during a check. */
static void
RefuseFunction(Oid fn_oid)
{
	refused_function = true;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("sqlpilot does not call function %u while it checks a completion", fn_oid)));
}

/* needs_fmgr_hook during a check: asked only for functions not built in; refuses them at lookup. */
static bool
RefuseLookup(Oid fn_oid)
{
	RefuseFunction(fn_oid);
	return true;				/* not reached */
}

/*
 * fmgr_hook during a check: a function looked up before the check (a cached
 * SECURITY DEFINER or SET function) is refused before it starts.
 */
static void
RefuseCall(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg)
{
	if (event == FHET_START)
		RefuseFunction(flinfo->fn_oid);
}

/* Installs the refusing function manager hooks, keeping the previous ones. */
static void
InstallHooks(void)
{
	prev_needs_fmgr_hook = needs_fmgr_hook;
	prev_fmgr_hook = fmgr_hook;
	needs_fmgr_hook = RefuseLookup;
	fmgr_hook = RefuseCall;
	hooks_installed = true;
}

/* Puts the previous function manager hooks back (once). */
static void
RestoreHooks(void)
{
	if (!hooks_installed)
		return;
	needs_fmgr_hook = prev_needs_fmgr_hook;
	fmgr_hook = prev_fmgr_hook;
	hooks_installed = false;
}

/* Walker: appends every relation entry of the query tree (subqueries, CTEs, sublinks) to *rels. */
static bool
CollectRelations(Node *node, List **rels)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION)
			*rels = lappend(*rels, rte);
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, CollectRelations, rels,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, CollectRelations, rels);
}

/*
 * Whether the role may see relation relid by the extension's rule
 * (catalog.c): a schema it may use, not another session's temporary
 * schema, any table privilege, or else a privilege on one of its columns.
 */
static bool
RelationVisible(Oid relid, Oid roleid)
{
	Oid			nsp = get_rel_namespace(relid);

	if (!OidIsValid(nsp) || isOtherTempNamespace(nsp) ||
		pg_namespace_aclcheck(nsp, roleid, ACL_USAGE) != ACLCHECK_OK)
		return false;
	if (pg_class_aclmask(relid, roleid, ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE,
						 ACLMASK_ANY) != 0)
		return true;
	return pg_attribute_aclcheck_all(relid, roleid, ACL_SELECT | ACL_INSERT | ACL_UPDATE,
									 ACLMASK_ANY) == ACLCHECK_OK;
}

/*
 * The check itself, inside the subtransaction: one statement PREPARE
 * accepts, analyzed, naming only relations the role may see and use.
 * Errors propagate to SqlpilotValidate.
 */
static SqlpilotValidity
CheckStatement(const char *sql)
{
	List	   *raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	RawStmt    *stmt;
	Oid		   *param_types = NULL;
	int			n_params = 0;
	Query	   *query;
	List	   *rels = NIL;
	ListCell   *lc;

	if (list_length(raw) != 1)
		return SQLPILOT_INVALID;
	stmt = linitial_node(RawStmt, raw);
	switch (nodeTag(stmt->stmt))
	{
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
#if PG_VERSION_NUM >= 150000
		case T_MergeStmt:
#endif
			break;
		default:
			/* PREPARE refuses utility statements; analyzing them would run them */
			return SQLPILOT_UNCHECKED;
	}

	InstallHooks();
	query = parse_analyze_varparams(stmt, sql, &param_types, &n_params, NULL);
	RestoreHooks();

	/* PREPARE without types needs every parameter's type from the statement */
	for (int i = 0; i < n_params; i++)
		if (param_types[i] == InvalidOid || param_types[i] == UNKNOWNOID)
			return SQLPILOT_INVALID;

	/*
	 * SELECT ... INTO, which PREPARE accepts, analyzes to a utility Query
	 * that holds the SELECT: its relations are checked like any other's.
	 */
	if (query->commandType == CMD_UTILITY && IsA(query->utilityStmt, CreateTableAsStmt))
		query = castNode(Query, ((CreateTableAsStmt *) query->utilityStmt)->query);
	(void) query_tree_walker(query, CollectRelations, &rels, QTW_EXAMINE_RTES_BEFORE);
	foreach(lc, rels)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (!RelationVisible(rte->relid, GetUserId()))
			return SQLPILOT_INVALID;
	}
	if (!ExecCheckRTPerms(rels, false))
		return SQLPILOT_INVALID;
	return SQLPILOT_VALID;
}

/*
 * Checks sql (server encoding): SQLPILOT_VALID when it is one statement that
 * PREPARE accepts and the role may run; SQLPILOT_INVALID when the parser or
 * parse analysis refuses it, or it names a relation the role may not see or
 * use; SQLPILOT_UNCHECKED for a utility statement, a statement whose check
 * would call a function that is not built in, a lock wait that timed out or
 * ended in a deadlock, or inside a parallel operation (no subtransaction
 * can start there).
 */
SqlpilotValidity
SqlpilotValidate(const char *sql)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	MemoryContext work;
	volatile SqlpilotValidity result = SQLPILOT_UNCHECKED;
	ErrorData  *volatile edata = NULL;

	if (IsInParallelMode())
		return SQLPILOT_UNCHECKED;

	work = AllocSetContextCreate(caller, "sqlpilot validate", ALLOCSET_DEFAULT_SIZES);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(work);
	refused_function = false;
	PG_TRY();
	{
		if (LockTimeout == 0 || LockTimeout > SQLPILOT_VALIDATE_LOCK_TIMEOUT_MS)
		{
			char		ms[32];

			/* SET LOCAL: the rollback of the subtransaction restores it */
			snprintf(ms, sizeof(ms), "%d", SQLPILOT_VALIDATE_LOCK_TIMEOUT_MS);
			(void) set_config_option("lock_timeout", ms, PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_LOCAL, true, 0, false);
		}
		result = CheckStatement(sql);
	}
	PG_CATCH();
	{
		RestoreHooks();
		MemoryContextSwitchTo(work);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	/* always roll back: the locks and settings of the check go with it */
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(caller);
	CurrentResourceOwner = owner;

	if (edata != NULL)
	{
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		/* a lock wait cut short (timeout, deadlock) says nothing of the statement */
		if (refused_function || edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
			edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED)
			result = SQLPILOT_UNCHECKED;
		else
			result = SQLPILOT_INVALID;
	}
	MemoryContextDelete(work);
	return result;
}

/*
 * What the check finds for completion text (server encoding) of the typed
 * prefix: when whole, typed + text checked as SqlpilotValidate does; when
 * cut by the token budget, its names checked against the prompt's schema
 * (prefix and schema UTF-8): SQLPILOT_INVALID when one is not a name there,
 * else SQLPILOT_UNCHECKED (a cut statement is never known valid).
 */
SqlpilotValidity
SqlpilotCheckCompletion(const char *typed, const char *prefix, size_t prefix_len,
						const char *schema, size_t schema_len, const char *text, bool whole)
{
	SqlpilotValidity v;

	if (whole)
	{
		char	   *sql = psprintf("%s%s", typed, text);

		v = SqlpilotValidate(sql);
		pfree(sql);
	}
	else
	{
		char	   *utf8 = pg_server_to_any(text, (int) strlen(text), PG_UTF8);

		v = sqlpilot_checked_names(schema, schema_len, prefix, prefix_len, utf8, strlen(utf8));
		if (utf8 != text)
			pfree(utf8);
	}
	return v;
}
