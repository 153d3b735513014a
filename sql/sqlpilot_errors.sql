-- Broken model files: each is a clear error with its own SQLSTATE, and the
-- backend goes on.  Test files are written into the data directory with
-- lo_export, so the paths in the messages are relative and stable; try()
-- shows the SQLSTATE and message without details that hold hashes or sizes.
LOAD '$libdir/sqlpilot';
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN others THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION write_file(path text, data bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	o oid := lo_from_bytea(0, data);
BEGIN
	PERFORM lo_export(o, path);
	PERFORM lo_unlink(o);
END $$;
SELECT current_setting('sqlpilot.model_path') AS good_model \gset
SELECT pg_read_binary_file(:'good_model') AS model \gset

SET sqlpilot.model_path = 'no_such.model';
SELECT sqlpilot_complete('SELECT ');
SELECT try($$SELECT sqlpilot_complete('SELECT ')$$);
SET sqlpilot.model_path = '';
SELECT sqlpilot_complete('SELECT ');

-- truncated
SELECT write_file('truncated.model', substr(:'model'::bytea, 1, 1000));
SET sqlpilot.model_path = 'truncated.model';
SELECT try($$SELECT sqlpilot_complete('SELECT ')$$);
-- not a model at all
SELECT write_file('text.model', convert_to(repeat('not a model ', 100), 'UTF8'));
SET sqlpilot.model_path = 'text.model';
SELECT try($$SELECT sqlpilot_complete('SELECT ')$$);
-- one flipped byte in the weights
SELECT write_file('flipped.model', set_byte(:'model'::bytea, 5000, get_byte(:'model'::bytea, 5000) # 1));
SET sqlpilot.model_path = 'flipped.model';
SELECT try($$SELECT sqlpilot_model_info()$$);
-- written by another version of sqlpilot
SELECT write_file('version.model', set_byte(:'model'::bytea, 8, 99));
SET sqlpilot.model_path = 'version.model';
SELECT try($$SELECT sqlpilot_complete('SELECT ')$$);
SELECT sqlpilot_complete('SELECT ');
-- a directory
SET sqlpilot.model_path = 'base';
SELECT try($$SELECT sqlpilot_complete('SELECT ')$$);
-- a file the server may not read: permission denied (42501), not "corrupt"
SELECT write_file('unreadable.model', :'model'::bytea);
COPY (SELECT 1) TO PROGRAM 'chmod 000 unreadable.model';
SET sqlpilot.model_path = 'unreadable.model';
SELECT try($$SELECT sqlpilot_complete('SELECT ')$$);
COPY (SELECT 1) TO PROGRAM 'chmod 600 unreadable.model';
SELECT sqlpilot_complete('SELECT ') IS NOT NULL AS readable_again;

-- a good copy works, and replacing the file under a live backend reloads it
SELECT write_file('copy.model', :'model'::bytea);
SET sqlpilot.model_path = 'copy.model';
SELECT sqlpilot_complete('SELECT ') IS NOT NULL AS works;
SELECT s->>'model_loads' AS loads FROM sqlpilot_stats() s \gset
SELECT write_file('copy.model', substr(:'model'::bytea, 1, 1000));
SELECT try($$SELECT sqlpilot_complete('SELECT ')$$);
SELECT write_file('copy.model', :'model'::bytea);
SELECT sqlpilot_complete('SELECT ') IS NOT NULL AS works_again;
SELECT (s->>'model_loads')::int > :loads AS reloaded FROM sqlpilot_stats() s;

-- only superusers choose the model file
CREATE ROLE sqlpilot_user;
SET ROLE sqlpilot_user;
SET sqlpilot.model_path = 'copy.model';
RESET ROLE;
DROP ROLE sqlpilot_user;
DROP FUNCTION write_file, try;
RESET sqlpilot.model_path;
SELECT sqlpilot_complete('SELECT ') IS NOT NULL AS default_setting_works;
