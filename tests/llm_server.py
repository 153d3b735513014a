#!/usr/bin/python3
"""A fake OpenAI-compatible chat.completions server for the LLM backend's tests.

It answers POST /v1/chat/completions from replies recorded here, in the shape
vLLM returns (id, object, created, model, choices[0].message.content holding
the JSON answer, usage), and injects faults on demand.  Loopback only, on an
ephemeral port written to --port-file; stops by itself after --lifetime s.

Which reply: the item comes from the X-Sqlpilot-Item header ("<stage>/<key>").
  topics       a recorded topic list
  use_cases    recorded use cases (the topic is read from the prompt)
  schemas      one of three recorded schemas, picked by crc32(key)
  statements   the recorded statements of the schema named in the prompt
               (each set holds one statement PostgreSQL rejects and one duplicate)

Faults: --faults is a JSON object {item: [fault, ...], "*": [...]}; the n-th
request for an item gets the n-th fault of its list (of "*" when it has none),
then plain answers.  Faults:
  ok         the recorded answer          slow       sleep --slow s, then answer
  429        429 with Retry-After         500, 503   a server error
  drop       close without a reply        truncate   half the body, then close
  malformed  an answer that is not JSON   offschema  JSON that breaks the schema
  badref     (schemas) a foreign key to a table that is not there
  badddl     (schemas) a type PostgreSQL does not know
  400, 401   client errors
Other switches: --no-json-schema (400 to response_format json_schema, as
servers without it do), --api-key K (401 without "Authorization: Bearer K"),
--delay s (every reply), --log FILE (one JSON line per request).
"""
import argparse
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOPICS = ["Online retail", "Hospital administration", "Fleet management", "Public libraries",
          "Online retail", "Event ticketing"]

USE_CASES = {
    "online retail": ["order fulfilment", "customer reviews", "inventory tracking"],
    "hospital administration": ["patient admissions", "appointment scheduling"],
}
DEFAULT_USE_CASES = ["member records", "billing", "reporting", "billing"]


def col(name, typ, not_null=False, default=None):
    return {"name": name, "type": typ, "not_null": not_null, "default": default}


def table(name, columns, pk, fks=(), unique=(), indexes=()):
    return {"name": name, "columns": columns, "primary_key": pk, "unique": list(unique),
            "foreign_keys": list(fks), "indexes": list(indexes)}


def fk(cols, ref, ref_cols, on_delete=None):
    return {"columns": cols, "ref_table": ref, "ref_columns": ref_cols, "on_delete": on_delete}


SCHEMAS = [
    {"tables": [
        table("authors", [col("author_id", "serial"), col("name", "varchar(100)", True),
                          col("country", "text")], ["author_id"]),
        table("books", [col("book_id", "serial"), col("author_id", "integer", True),
                        col("title", "text", True), col("published", "date"),
                        col("price", "numeric(8,2)")], ["book_id"],
              fks=[fk(["author_id"], "authors", ["author_id"], "CASCADE")],
              indexes=[{"columns": ["title"], "unique": False}]),
        table("loans", [col("loan_id", "bigserial"), col("book_id", "integer", True),
                        col("member_email", "varchar(200)"),
                        col("loaned_at", "timestamptz", True, "now()"),
                        col("returned", "boolean", False, "false")], ["loan_id"],
              fks=[fk(["book_id"], "books", ["book_id"])]),
    ]},
    {"tables": [
        table("patients", [col("id", "integer", True), col("full_name", "text", True),
                           col("birth_date", "date"), col("email", "character varying(120)")],
              ["id"], unique=[["email"]]),
        table("appointments", [col("id", "serial"), col("patient_id", "integer", True),
                               col("starts_at", "timestamp"),
                               col("status", "varchar(20)", True, "'booked'")], ["id"],
              fks=[fk(["patient_id"], "patients", ["id"], "CASCADE")]),
    ]},
    {"tables": [
        table("vehicles", [col("vin", "char(17)", True), col("make", "text"), col("model", "text"),
                           col("year", "int"), col("mileage", "integer", True, "0")], ["vin"]),
    ]},
]

BAD_DDL = {"tables": [table("gadgets", [col("id", "integer", True), col("shape", "nosuchtype")],
                            ["id"])]}
BAD_REF = {"tables": [table("parts", [col("id", "integer", True), col("maker_id", "integer")],
                            ["id"], fks=[fk(["maker_id"], "makers", ["id"])])]}


def st(kind, sql, complex_=False):
    return {"kind": kind, "complex": complex_, "sql": sql}


STATEMENTS = {
    "authors": [
        st("select", "SELECT * FROM books WHERE price > 20 ORDER BY title;"),
        st("select", "SELECT a.name, COUNT(b.book_id) FROM authors a JOIN books b "
                     "ON b.author_id = a.author_id GROUP BY a.name;", True),
        st("insert", "INSERT INTO authors (name, country) VALUES ('Ursula Le Guin', 'US');"),
        st("upsert", "INSERT INTO loans (book_id, member_email) VALUES (3, 'kim@example.com') "
                     "ON CONFLICT DO NOTHING;"),
        st("update", "UPDATE books SET price = price * 0.9 WHERE published < '2000-01-01';"),
        st("delete", "DELETE FROM loans WHERE returned = true;"),
        st("truncate", "TRUNCATE loans;"),
        st("select", "SELECT title FROM books WHERE isbn = '123';"),
        st("select", "SELECT * FROM books WHERE price > 20 ORDER BY title;"),
        st("update", "UPDATE books SET price = 10 FROM authors WHERE books.author_id = "
                     "authors.author_id AND authors.country = 'US';", True),
        st("delete", "DELETE FROM loans WHERE book_id IN (SELECT book_id FROM books "
                     "WHERE price < 5);", True),
        st("insert", "INSERT INTO loans (book_id, member_email) SELECT book_id, 'x@example.com' "
                     "FROM books WHERE price > 100;", True),
        st("select", "SELECT b.title, COUNT(*) AS loans FROM books AS b WHERE EXISTS (SELECT 1 "
                     "FROM loans l WHERE l.book_id = b.book_id) GROUP BY b.title "
                     "ORDER BY loans DESC LIMIT 5;", True),
        st("select", "SELECT title, price::text FROM books -- cheapest first\n"
                     "ORDER BY price ASC;"),
    ],
    "patients": [
        st("select", "SELECT full_name FROM patients WHERE birth_date < '1990-01-01';"),
        st("select", "SELECT p.full_name, a.starts_at FROM appointments AS a JOIN patients AS p "
                     "ON p.id = a.patient_id WHERE a.status = 'booked' ORDER BY a.starts_at DESC;",
           True),
        st("insert", "INSERT INTO patients (id, full_name, birth_date) "
                     "VALUES (1, 'Ana Ruiz', '1985-04-12');"),
        st("upsert", "INSERT INTO patients (id, full_name) VALUES (2, 'Li Wei') "
                     "ON CONFLICT (id) DO UPDATE SET full_name = EXCLUDED.full_name;"),
        st("update", "UPDATE appointments SET status = 'cancelled' WHERE id = 7;"),
        st("delete", "DELETE FROM appointments WHERE starts_at < now() - interval '1 year';"),
        st("truncate", "TRUNCATE appointments;"),
        st("delete", "DELETE FROM patient WHERE id = 1;"),
        st("select", "SELECT \"full_name\", email FROM patients p WHERE p.id IN "
                     "(SELECT patient_id FROM appointments WHERE status <> 'cancelled');", True),
        st("update", "UPDATE appointments AS a SET status = 'done' WHERE a.starts_at < now();"),
        st("truncate", "TRUNCATE appointments;"),
    ],
    "vehicles": [
        st("select", "SELECT * FROM vehicles WHERE year >= 2020;"),
        st("select", "SELECT make, AVG(mileage) FROM vehicles GROUP BY make "
                     "HAVING COUNT(*) > 2;", True),
        st("insert", "INSERT INTO vehicles (vin, make, model, year) "
                     "VALUES ('1HGCM82633A004352', 'Honda', 'Accord', 2003);"),
        st("update", "UPDATE vehicles SET mileage = mileage + 120 "
                     "WHERE vin = '1HGCM82633A004352';"),
        st("delete", "DELETE FROM vehicles WHERE year < 1990;"),
        st("truncate", "TRUNCATE TABLE vehicles;"),
        st("update", "UPDATE vehicles SET color = 'red';"),
        st("select", "SELECT * FROM vehicles WHERE year >= 2020;"),
    ],
}

OFF_SCHEMA = {
    "topics": {"topic_list": ["a", "b"]},
    "use_cases": {"use_cases": "order fulfilment"},
    "schemas": {"tables": [{"name": "t", "columns": []}]},
    "statements": {"statements": [{"kind": "select", "complex": False}]},
}


class State:
    def __init__(self, args):
        self.args = args
        self.faults = json.loads(args.faults) if args.faults else {}
        if args.faults_file:
            with open(args.faults_file) as f:
                self.faults = json.load(f)
        self.counts = {}
        self.lock = threading.Lock()
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def next_fault(self, item):
        with self.lock:
            n = self.counts.get(item, 0) + 1
            self.counts[item] = n
        plan = self.faults.get(item, self.faults.get("*", []))
        return n, (plan[n - 1] if n <= len(plan) else "ok")

    def record(self, entry):
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")


def answer_for(item, prompt, fault):
    stage = item.split("/", 1)[0]
    key = item.split("/", 1)[1] if "/" in item else ""
    if fault == "offschema":
        return OFF_SCHEMA.get(stage, {"x": 1})
    if stage == "topics":
        return {"topics": TOPICS}
    if stage == "use_cases":
        m = re.search(r"Topic: (.*)", prompt)
        topic = m.group(1).strip().lower() if m else ""
        return {"use_cases": USE_CASES.get(topic, DEFAULT_USE_CASES)}
    if stage == "schemas":
        if fault == "badddl":
            return BAD_DDL
        if fault == "badref":
            return BAD_REF
        return SCHEMAS[zlib.crc32(key.encode()) % len(SCHEMAS)]
    if stage == "statements":
        for name, stmts in STATEMENTS.items():
            if re.search(r"\b%s\b" % name, prompt):
                return {"statements": stmts}
        return {"statements": [st("select", "SELECT 1;")]}
    return {"unknown": stage}


def completion(model, content, prompt):
    return {
        "id": "chatcmpl-%08x" % zlib.crc32(content.encode()),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0,
                     "message": {"role": "assistant", "content": content, "tool_calls": []},
                     "logprobs": None, "finish_reason": "stop", "stop_reason": None}],
        "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(content) // 4,
                  "total_tokens": (len(prompt) + len(content)) // 4},
        "prompt_logprobs": None,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, obj, extra=None, truncate=False):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if truncate:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/") == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self):
        state = self.server.state
        args = state.args
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        item = self.headers.get("X-Sqlpilot-Item", "unknown/unknown")
        n, fault = state.next_fault(item)
        try:
            req = json.loads(raw)
        except ValueError:
            req = {}
        rf = req.get("response_format") or {}
        form = "json_schema" if rf.get("type") == "json_schema" else \
            "guided_json" if "guided_json" in req else "none"
        auth_ok = not args.api_key or \
            self.headers.get("Authorization", "") == "Bearer " + args.api_key
        sent = rf.get("json_schema", {}).get("schema") if form == "json_schema" else \
            req.get("guided_json")
        state.record({"item": item, "n": n, "fault": fault, "form": form, "t": time.time(),
                      "auth": auth_ok, "model": req.get("model"),
                      "limits": "minItems" in json.dumps(sent) or "maxLength" in json.dumps(sent)})
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self.send_json(404, {"error": "not found"})
        if not auth_ok or fault == "401":
            return self.send_json(401, {"error": {"message": "invalid api key"}})
        if args.no_json_schema and form == "json_schema":
            return self.send_json(400, {"error": {"message":
                                                  "response_format json_schema is not supported"}})
        if args.delay:
            time.sleep(args.delay)
        if fault == "400":
            return self.send_json(400, {"error": {"message": "bad request"}})
        if fault == "429":
            return self.send_json(429, {"error": {"message": "rate limited"}},
                                  {"Retry-After": str(args.retry_after)})
        if fault in ("500", "503"):
            return self.send_json(int(fault), {"error": {"message": "server error"}})
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "slow":
            time.sleep(args.slow)
        msgs = req.get("messages") or []
        prompt = "\n".join(m.get("content", "") for m in msgs if isinstance(m, dict))
        if fault == "malformed":
            content = '{"statements": [ this is not JSON'
        else:
            content = json.dumps(answer_for(item, prompt, fault))
        try:
            self.send_json(200, completion(req.get("model", "fake"), content, prompt),
                           truncate=fault == "truncate")
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or are killed reset their connections: expected here


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--faults", help="JSON object: item -> list of faults")
    p.add_argument("--faults-file")
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--slow", type=float, default=3.0)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--no-json-schema", action="store_true")
    p.add_argument("--api-key")
    p.add_argument("--lifetime", type=float, default=300.0)
    args = p.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    timer = threading.Timer(args.lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
