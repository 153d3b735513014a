-- The demo's sample rows (tools/demo_shop.sql holds the tables; the pg_regress suites load only those).
INSERT INTO customers (email, full_name, city) VALUES
	('ana@example.com', 'Ana Silva', 'Lisbon'), ('li@example.com', 'Li Wei', 'Shanghai');
INSERT INTO products (sku, name, price, in_stock) VALUES
	('KB-01', 'Keyboard', 49.90, 12), ('MS-02', 'Mouse', 19.50, 40);
