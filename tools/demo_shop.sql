-- The demo's sample database: a small shop with related tables.
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
