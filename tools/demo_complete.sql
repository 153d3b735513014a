-- The demo's completions: prefix, completion and wall time of each call.
CREATE TEMP TABLE demo_prefixes (n int, prefix text);
INSERT INTO demo_prefixes VALUES
	(1, 'SELECT * FROM '),
	(2, 'SELECT c.full_name, o.total FROM customers c JOIN '),
	(3, 'SELECT name, price FROM products WHERE '),
	(4, 'INSERT INTO products ('),
	(5, 'UPDATE orders SET status = '),
	(6, 'DELETE FROM order_items WHERE '),
	(7, 'SELECT * FROM ord');
CREATE FUNCTION pg_temp.timed_complete(p text, OUT completion text, OUT ms numeric)
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
	completion := sqlpilot_complete(p);
	ms := round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1);
END $$;
CREATE EXTENSION sqlpilot;
\pset null '(null)'
SELECT d.prefix, r.completion, r.ms AS "ms"
FROM demo_prefixes d, LATERAL pg_temp.timed_complete(d.prefix) r
ORDER BY d.n;
\echo 'the same prefixes again, now with the model loaded and the schema cached (warm):'
SELECT d.prefix || r.completion AS "prefix + completion", r.ms AS "ms"
FROM demo_prefixes d, LATERAL pg_temp.timed_complete(d.prefix) r
ORDER BY d.n;
