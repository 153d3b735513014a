-- sqlpilot.grounding: with constrained decoding off, the default model names
-- columns the table does not have (the demo's shop database, as in issue
-- 15); with it on, every column it names exists.  The check compares the
-- names in the completion's column list with pg_attribute.
SELECT current_database() AS regress_db \gset
CREATE DATABASE sqlpilot_grounding_db;
\c sqlpilot_grounding_db
CREATE EXTENSION sqlpilot;
SET sqlpilot.model_path = '$sharedir/extension/sqlpilot_default.model';
-- the completion of the greedy decoder alone, not a beam chosen by the check
SET sqlpilot.validate = off;
CREATE TABLE customers (
	customer_id bigserial PRIMARY KEY,
	email varchar(255) NOT NULL UNIQUE,
	full_name varchar(100) NOT NULL,
	city varchar(50),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE products (
	product_id bigserial PRIMARY KEY,
	sku varchar(20) NOT NULL UNIQUE,
	name varchar(100) NOT NULL,
	price numeric(10,2) NOT NULL CHECK (price >= 0),
	in_stock integer NOT NULL DEFAULT 0
);
CREATE TABLE orders (
	order_id bigserial PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES customers (customer_id),
	status varchar(20) NOT NULL DEFAULT 'pending',
	ordered_at timestamptz NOT NULL DEFAULT now(),
	total numeric(10,2)
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE TABLE order_items (
	order_id bigint NOT NULL REFERENCES orders (order_id),
	product_id bigint NOT NULL REFERENCES products (product_id),
	quantity integer NOT NULL CHECK (quantity > 0),
	unit_price numeric(10,2) NOT NULL,
	PRIMARY KEY (order_id, product_id)
);
-- The names of the column list a completion of 'INSERT INTO products (' writes
-- (up to its first ')'), each looked up among the columns of products
-- (unquoted, so folded to lower case as PostgreSQL reads them).
CREATE FUNCTION pg_temp.column_names(completion text)
	RETURNS TABLE (name text, is_column boolean) LANGUAGE sql AS $$
	SELECT btrim(w), EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
	                         WHERE a.attrelid = 'products'::regclass AND a.attnum > 0
	                           AND NOT a.attisdropped AND a.attname = lower(btrim(w)))
	FROM regexp_split_to_table(split_part(completion, ')', 1), ',') w
	WHERE btrim(w) <> ''
$$;
SET sqlpilot.grounding = off;
SELECT count(*) > 0 AS names_written, bool_and(is_column) AS all_columns_exist
FROM pg_temp.column_names(sqlpilot_complete('INSERT INTO products ('));
SET sqlpilot.grounding = on;
SELECT count(*) > 0 AS names_written, bool_and(is_column) AS all_columns_exist
FROM pg_temp.column_names(sqlpilot_complete('INSERT INTO products ('));
-- the default is on
RESET sqlpilot.grounding;
SHOW sqlpilot.grounding;
\c :regress_db
DROP DATABASE sqlpilot_grounding_db;
