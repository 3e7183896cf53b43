"""The foundation: configuration, health and readiness, migrations, units, accounts, signals."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BAOCAOCTL, BAOCAOD, BUILD, IS_ROOT, ROOT, Daemon, Postgres, Workdir,  # noqa: E402
                     free_port, nobody_uid, run_tests, uid_of, wait_for)

UNITS_CSV = ROOT / "config" / "ha-tinh-units.csv"
# The prepared-statement cache's driver (tests/db/db_cache_tool.c); meson passes its path.
DB_CACHE_TOOL = os.environ.get("DB_CACHE_TOOL", str(BUILD / "tests" / "db" / "db_cache_tool"))


class Ctx:
    pass


def setup():
    c = Ctx()
    c.work = Workdir("foundation")
    c.pg = Postgres(c.work)
    c.pg.start()
    c.d = Daemon(c.work, c.pg.conninfo, **{"server.max_upload_size": "64K"})
    c.d.start()
    return c


def teardown(c):
    if c is None:
        return
    try:
        c.d.stop_clean()
    finally:
        c.pg.stop()
    if os.environ.get("BAOCAO_KEEP_TMP") != "1":
        c.work.cleanup()


def write(c, name, text, encoding="utf-8"):
    p = c.work.path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def test_config_check_and_errors(c):
    ok = subprocess.run([BAOCAOD, "-t", "-c", str(c.d.conf)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = write(c, "bad.conf", "[server]\nport = 8080\nprot = 9\n")
    r = subprocess.run([BAOCAOD, "-t", "-c", str(bad)], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{bad}:3: unknown key 'prot' in section [server]" in r.stderr, r.stderr
    bad2 = write(c, "bad2.conf", "[server]\nworkers = many\n")
    r = subprocess.run([BAOCAOD, "-c", str(bad2)], capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{bad2}:2: invalid value 'many' for key 'workers'" in r.stderr, r.stderr


def test_refuses_root_without_user(c):
    if not IS_ROOT:
        return  # only meaningful as root
    conf = write(c, "root.conf", c.d.conf.read_text().replace("user = nobody\n", "")
                 .replace(f"port = {c.d.port}", "port = 1"))
    r = subprocess.run([BAOCAOD, "-c", str(conf)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert "refusing to run as root: set server.user" in r.stderr, r.stderr


def test_healthz(c):
    status, headers, body = c.d.get("/healthz")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert body == b'{"status":"ok"}'


def test_readyz_before_migration(c):
    status, body = c.d.get_json("/readyz")
    assert status == 503, body
    assert body["error"]["code"] == "schema_missing"
    assert "baocaoctl migrate" in body["error"]["message"]


def test_migrate_idempotent(c):
    r = c.d.ctl("migrate")
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in (ROOT / "schema").glob("[0-9][0-9][0-9]_*.sql"))
    assert f"applied {len(files)} migration" in r.stdout, r.stdout
    shape = ("SELECT table_name, column_name, data_type, is_nullable FROM "
             "information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2")
    before = c.pg.psql(shape)
    constraints = "SELECT count(*) FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
    ncons = c.pg.scalar(constraints)
    r = c.d.ctl("migrate")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "schema is up to date", r.stdout
    assert c.pg.psql(shape) == before
    assert c.pg.scalar(constraints) == ncons
    recorded = [row[0] for row in c.pg.psql("SELECT name FROM schema_migration ORDER BY version")]
    assert recorded == files
    for table in ("unit", "account", "api_token", "series", "calendar_day", "task", "period",
                  "submission", "report_item", "consolidation", "outbox", "job_run",
                  "audit_log"):
        assert any(row[0] == table for row in before), f"table {table} missing"
    status, body = c.d.get_json("/readyz")
    assert status == 200, body
    assert body == {"status": "ready", "schema_version": int(files[-1][:3])}


def test_not_found_and_method_json(c):
    status, body = c.d.get_json("/no/such/page")
    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert "Không tìm thấy" in body["error"]["message"]
    status, _, raw = c.d.request("DELETE", "/healthz")
    assert status == 405
    assert b'"method_not_allowed"' in raw


def raw_exchange(c, head, body=b"", read_timeout=10):
    """Sends bytes on a new connection and returns (status, headers text, body bytes)."""
    with socket.create_connection(("127.0.0.1", c.d.port), timeout=read_timeout) as s:
        s.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head_text, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head_text.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return int(head_text.split(b" ")[1]), head_text.decode(), rest


def test_body_size_limit(c):
    status, _, raw = c.d.request("POST", "/readyz", body=b"x" * (100 * 1024),
                                 headers={"Content-Type": "application/octet-stream"})
    assert status == 413 and json.loads(raw)["error"]["code"] == "body_too_large", raw
    status, _, _ = c.d.get("/healthz")
    assert status == 200


def test_body_limits_are_read_from_the_head(c):
    # A 2 MiB login: answered 413 from its head alone, before a byte of the body is sent.
    head = (b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2097152\r\n\r\n")
    status, headers, raw = raw_exchange(c, head)
    assert status == 413 and json.loads(raw)["error"]["code"] == "body_too_large", raw
    assert "Connection: close" in headers, headers
    # A report upload within max_upload_size (64K here) passes the guard (401: a bad token) ...
    head = (b"PUT /api/v1/series/nq57-weekly/periods/current/submission HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer bct_x\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: 40000\r\n\r\n")
    status, _, raw = raw_exchange(c, head, b"x" * 40000)
    assert status == 401, raw
    # ... but not without credentials: nobody uploads anonymously, and the body is not read.
    status, _, raw = raw_exchange(c, head.replace(b"Authorization: Bearer bct_x\r\n", b""))
    assert status == 401 and json.loads(raw)["error"]["code"] == "unauthenticated", raw
    # ... but the same size as JSON is over nothing (1 MiB) and a GET may not carry it.
    head = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\n")
    status, _, raw = raw_exchange(c, head)
    assert status == 413, raw
    # A request after a body on the same connection is read as the next request.
    two = (b"POST /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
           b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", c.d.port), timeout=10) as s:
        s.sendall(two)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.count(b"HTTP/1.1 ") == 2 and b'"status":"ok"' in data, data
    # A client's own guard header is dropped: it neither fakes nor hides a refusal.
    status, _, _ = c.d.request("GET", "/healthz", headers={"X-Baocao-Guard": "abc 413"})
    assert status == 200
    login = b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    status, _, raw = raw_exchange(c, login + b"X-Baocao-Guard: a\r\nContent-Length: 60000\r\n\r\n")
    assert status == 413, raw


def test_guard_refuses_ambiguous_heads(c):
    login = b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    cases = [
        # The length after 1,100 blanks, or with leading zeros, is still the length.
        (login + b"Content-Length:" + b" " * 1100 + b"60000\r\n\r\n", 413),
        (login + b"Content-Length: " + b"0" * 1100 + b"60000\r\n\r\n", 413),
        # Folded header lines, and a line of one blank: ambiguous, refused.
        (login + b"Content-Length:\r\n 60000\r\n\r\n", 400),
        (login + b"Host2: x\r\n \nContent-Length: 60000\r\n\r\n", 400),
        # Two lengths that differ.
        (login + b"Content-Length: 0\r\nContent-Length: 200\r\n\r\n", 400),
        # A HEAD request with a body another reader would take for the next request.
        (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", 400),
        # Bodies come with their length.
        (login + b"Transfer-Encoding: chunked\r\n\r\n", 411),
        (login + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 411),
    ]
    for head, want in cases:
        status, headers, raw = raw_exchange(c, head)
        assert status == want, (head[:120], status, raw)
        assert "Connection: close" in headers, headers
    # A head that arrives a few bytes at a time is judged whole.
    head = login + b"Content-Length: 60000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", c.d.port), timeout=10) as s:
        for i in range(0, len(head), 7):
            s.sendall(head[i:i + 7])
            time.sleep(0.01)
        data = s.recv(65536)
    assert data.startswith(b"HTTP/1.1 413"), data[:200]
    # More than 100 header lines: refused.
    status, _, raw = raw_exchange(c, login + b"a:b\r\n" * 14000 + b"Content-Length: 60000\r\n\r\n")
    assert status == 400, raw
    # A head over 160 KiB is evhttp's to refuse (it takes 64 KiB at most).
    long_head = login + (b"a: " + b"b" * 60000 + b"\r\n") * 3 + b"\r\n"
    with socket.create_connection(("127.0.0.1", c.d.port), timeout=30) as s:
        try:
            s.sendall(long_head)
            data = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
    assert not data.startswith(b"HTTP/1.1 2"), data[:200]
    assert c.d.get("/healthz")[0] == 200


def test_connection_cap(c):
    good = c.d.conf.read_text()
    before = c.d.log_text().count("reloaded")
    c.d.write_config(good.replace("[server]\n", "[server]\nmax_connections = 3\n", 1))
    c.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: c.d.log_text().count("reloaded") == before + 1, what="reload")
    held = []
    try:
        # From three addresses: one address may hold only half of max_connections.
        for i in range(3):
            held.append(socket.create_connection(("127.0.0.1", c.d.port), timeout=10,
                                                  source_address=(f"127.0.0.{2 + i}", 0)))
        time.sleep(0.3)
        status, headers, raw = raw_exchange(c, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 503 and json.loads(raw)["error"]["code"] == "too_many_connections", raw
    finally:
        for s in held:
            s.close()
        c.d.write_config(good)
        c.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: c.d.log_text().count("reloaded") == before + 2, what="second reload")
    wait_for(lambda: c.d.get("/healthz")[0] == 200, what="healthz after the cap is lifted")


def test_drops_privileges(c):
    if not IS_ROOT:
        return
    assert uid_of(c.d.proc.pid) == nobody_uid()


def test_import_units(c):
    r = c.d.ctl("import", "units", UNITS_CSV)
    assert r.returncode == 0, r.stderr
    assert "88 units: 88 added, 0 updated, 0 unchanged" in r.stdout, r.stdout
    assert c.pg.scalar("SELECT count(*) FROM unit") == "88"
    assert c.pg.scalar("SELECT name FROM unit WHERE code = 'SVHTTDL'") == \
        "Sở Văn hóa, Thể thao và Du lịch"
    r = c.d.ctl("import", "units", UNITS_CSV)
    assert r.returncode == 0
    assert "88 added" not in r.stdout and "0 added, 0 updated, 88 unchanged" in r.stdout
    changed = UNITS_CSV.read_text(encoding="utf-8").replace(
        "code,name,group", "code,name,group,emails").splitlines()
    changed = [changed[0]] + [line + "," for line in changed[1:]]
    changed[1] = "SKHCN,Sở Khoa học và Công nghệ tỉnh Hà Tĩnh,so-nganh,vanthu@skhcn.hatinh.gov.vn; a@b.vn"
    p = write(c, "units2.csv", "\n".join(changed) + "\n")
    r = c.d.ctl("import", "units", p)
    assert r.returncode == 0, r.stderr
    assert "0 added, 1 updated, 87 unchanged" in r.stdout, r.stdout
    assert c.pg.scalar("SELECT emails FROM unit WHERE code = 'SKHCN'") == \
        "{vanthu@skhcn.hatinh.gov.vn,a@b.vn}"
    assert int(c.pg.scalar("SELECT count(*) FROM audit_log WHERE object_type = 'unit'")) == 3


def test_import_units_bad_files_import_nothing(c):
    good = "code,name,group\nNEW1,Đơn vị mới 1,so-nganh\nNEW2,Đơn vị mới 2,so-nganh\n"
    cases = [
        (good + "bad code!,Tên,so-nganh\n", "line 4: invalid unit code 'bad code!'"),
        (good + "NEW1,Trùng mã,so-nganh\n", "line 4: unit code NEW1 already appears on line 2"),
        (good + "NEW3,Tên,Sở Ngành\n", "line 4: unit NEW3: invalid group"),
        (good + "NEW3,,so-nganh\n", "line 4: unit NEW3: the name must be"),
        (good + "NEW3,Tên\n", "line 4: 2 fields, but the header has 3"),
        ("code,name,kind\nNEW1,Tên,so-nganh\n", "line 1: unknown column 'kind'"),
        ("code,name,group,emails\nNEW1,Tên,so-nganh,not-an-address\n",
         "line 2: unit NEW1: invalid e-mail address 'not-an-address'"),
        (good + 'NEW3,"Tên chưa đóng,so-nganh\n', "line 4: malformed CSV"),
        ("code,name,group\n", "no units"),
    ]
    before = c.pg.scalar("SELECT count(*) FROM unit")
    for i, (text, expect) in enumerate(cases):
        p = write(c, f"bad{i}.csv", text)
        r = c.d.ctl("import", "units", p)
        assert r.returncode == 1, (i, r.returncode, r.stderr)
        assert expect in r.stderr, (i, r.stderr)
        assert "nothing was imported" in r.stderr
    latin1 = write(c, "latin1.csv", "code,name,group\nNEW1,Hà Tây,so-nganh\n", "latin-1")
    r = c.d.ctl("import", "units", latin1)
    assert r.returncode == 1 and "không phải văn bản UTF-8" in r.stderr, r.stderr
    r = c.d.ctl("import", "units", c.work.path / "missing.csv")
    assert r.returncode == 1 and "cannot read" in r.stderr
    assert c.pg.scalar("SELECT count(*) FROM unit") == before
    assert c.pg.scalar("SELECT count(*) FROM unit WHERE code LIKE 'NEW%'") == "0"


def test_accounts_and_tokens(c):
    r = c.d.ctl("account", "add", "--login", "nguyen.van.a", "--unit", "SKHCN", "--role",
                "coordinator", "--email", "a@skhcn.hatinh.gov.vn", "--name", "Nguyễn Văn A")
    assert r.returncode == 0, r.stderr
    password = [line.split(": ", 1)[1] for line in r.stdout.splitlines()
                if line.startswith("password: ")][0]
    assert len(password) == 16
    stored = c.pg.scalar("SELECT password_hash FROM account WHERE login = 'nguyen.van.a'")
    assert stored.startswith("$argon2id$") and password not in stored
    assert c.pg.scalar("SELECT display_name FROM account WHERE login = 'nguyen.van.a'") == \
        "Nguyễn Văn A"

    pwfile = write(c, "pw.txt", "mat-khau-rat-dai-2026\n")
    r = c.d.ctl("account", "add", "--login", "vptu.nhan", "--unit", "VPTU", "--role",
                "recipient", "--email", "nhan@vptu.hatinh.gov.vn", "--password-file", pwfile)
    assert r.returncode == 0, r.stderr
    assert "password:" not in r.stdout

    r = c.d.ctl("account", "add", "--login", "nguyen.van.a", "--unit", "SKHCN", "--role",
                "reporter", "--email", "x@y.vn")
    assert r.returncode == 1 and "already exists" in r.stderr, r.stderr
    r = c.d.ctl("account", "add", "--login", "someone", "--unit", "NOPE", "--role",
                "reporter", "--email", "x@y.vn")
    assert r.returncode == 1 and "no unit with code 'NOPE'" in r.stderr, r.stderr
    r = c.d.ctl("account", "add", "--login", "someone", "--unit", "SKHCN", "--role",
                "boss", "--email", "x@y.vn")
    assert r.returncode == 1 and "invalid role 'boss'" in r.stderr
    short = write(c, "short.txt", "ngan\n")
    r = c.d.ctl("account", "add", "--login", "someone", "--unit", "SKHCN", "--role",
                "reporter", "--email", "x@y.vn", "--password-file", short)
    assert r.returncode == 1 and "shorter than" in r.stderr
    assert c.pg.scalar("SELECT count(*) FROM account WHERE login = 'someone'") == "0"

    r = c.d.ctl("token", "create", "--login", "nguyen.van.a")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.startswith("bct_") and len(token) == 47, token
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert c.pg.scalar("SELECT encode(token_hash, 'hex') FROM api_token") == digest
    assert c.pg.scalar(f"SELECT count(*) FROM api_token WHERE encode(token_hash, 'hex') "
                       f"LIKE '%{token[4:12]}%'") == "0"
    r = c.d.ctl("token", "create", "--login", "nobody.here")
    assert r.returncode == 1 and "no enabled account" in r.stderr
    actions = c.pg.psql("SELECT action, object_type, object_id FROM audit_log "
                        "WHERE object_type IN ('account', 'api_token') ORDER BY id")
    assert actions == [["create", "account", "nguyen.van.a"], ["create", "account", "vptu.nhan"],
                       ["create", "api_token", "nguyen.van.a"]], actions


def test_ctl_usage_errors(c):
    r = c.d.ctl("frobnicate")
    assert r.returncode == 1 and "unknown command 'frobnicate'" in r.stderr
    r = c.d.ctl("import", "widgets", "x.csv")
    assert r.returncode == 1 and "usage:" in r.stderr
    bad = write(c, "ctl-bad.conf", "[database]\nconninfo = host=/nonexistent dbname=x\n")
    r = subprocess.run([BAOCAOCTL, "-c", str(bad), "migrate"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "cannot connect to the database" in r.stderr and str(bad) in r.stderr, r.stderr


def test_sighup_reload(c):
    before = c.d.log_text().count("reloaded")
    good = c.d.conf.read_text()
    c.d.write_config(good + "[server]\nbogus_key = 1\n")
    c.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed, keeping the old settings" in c.d.log_text(),
             what="reload failure in the log")
    assert "bogus_key" in c.d.log_text()
    assert c.d.get("/healthz")[0] == 200
    c.d.write_config(good.replace("log_level = info", "log_level = debug")
                     .replace(f"port = {c.d.port}", f"port = {c.d.port + 1}"))
    c.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: c.d.log_text().count("reloaded") == before + 1, what="reload in the log")
    assert "server.port changed" in c.d.log_text()
    assert c.d.get("/healthz")[0] == 200  # still on the old port
    c.d.write_config(good)
    c.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: c.d.log_text().count("reloaded") == before + 2, what="second reload")


def test_readyz_follows_database(c):
    c.pg.stop()
    try:
        for _ in range(5):
            status, body = c.d.get_json("/readyz")
            assert status == 503, body
            assert body["error"]["code"] == "database_unavailable"
            assert "PostgreSQL" in body["error"]["message"]
        assert c.d.get("/healthz")[0] == 200
    finally:
        c.pg.start()
    wait_for(lambda: c.d.get("/readyz")[0] == 200, timeout=30, what="readyz 200 after restart")
    log = c.d.log_text()
    failures = log.count("database connection lost") + log.count("database unavailable")
    assert failures == 1, f"expected one failure line, got {failures}:\n{log}"
    assert "database connection restored" in log


def test_database_restart_costs_no_request(c):
    # Every worker holds a connection that the restart breaks while nobody is asking.
    for _ in range(8):
        assert c.d.get("/readyz")[0] == 200
    c.pg.stop()
    c.pg.start()
    statuses = [c.d.get("/readyz")[0] for _ in range(8)]
    assert statuses == [200] * 8, statuses
    assert "trying once more on a new one" in c.d.log_text()
    # A steady stream of requests across a restart: once one succeeds again, none fails.
    seen, stop = [], threading.Event()

    def stream():
        while not stop.is_set():
            seen.append(c.d.get("/readyz")[0])
            time.sleep(0.02)
    t = threading.Thread(target=stream)
    t.start()
    try:
        time.sleep(0.3)
        c.pg.stop()
        time.sleep(0.5)
        c.pg.start()
        wait_for(lambda: seen and seen[-1] == 200, what="a success after the restart")
        mark = len(seen)
        time.sleep(1.0)
    finally:
        stop.set()
        t.join()
    after = seen[mark:]
    assert len(after) >= 10 and after == [200] * len(after), after


def test_housekeeping_on_a_broken_connection(c):
    # A daemon with one worker on a database of its own: after a restart of PostgreSQL, the
    # listener's reconnection asks for housekeeping, which the worker starts on the connection
    # the restart broke. Here the worker's backend is ended, and the change announced at once.
    subprocess.run(["createdb", "-h", str(c.pg.dir / "run"), "-U", "baocao", "baocao_broken"],
                   check=True)
    conninfo = c.pg.conninfo.replace("dbname=baocao", "dbname=baocao_broken")
    work = Workdir("foundation-broken")
    try:
        d2 = Daemon(work, conninfo, **{"database.migrate_on_start": "true", "server.workers": "1"})
        d2.start()
        try:
            count = ("SELECT count(*) FROM pg_stat_activity WHERE datname = 'baocao_broken' AND "
                     "application_name = 'baocaod' AND query {} 'LISTEN%'")
            assert d2.get("/readyz")[0] == 200
            wait_for(lambda: c.pg.scalar(count.format("LIKE")) == "1", what="the listener")
            wait_for(lambda: c.pg.scalar(count.format("NOT LIKE")) == "1", what="the worker")
            mark = len(d2.log_text())
            # The backend is gone (waited for) before the announcement is sent at commit.
            subprocess.run(["psql", conninfo, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE "
                            "datname = current_database() AND application_name = 'baocaod' AND "
                            "query NOT LIKE 'LISTEN%'; SELECT pg_notify('baocao_plan', '')"],
                           check=True, capture_output=True)
            # The run meets the broken connection ("housekeeping: the database connection was
            # broken"), runs again on a new one and reads the series (forced by the
            # announcement), asking nothing more of the broken connection. (Should the outbox's
            # tick, every 2 s, meet the broken connection first, housekeeping finds a new one.)
            wait_for(lambda: "series read from the database" in d2.log_text()[mark:],
                     timeout=10, what="housekeeping done on a new connection")
            log = d2.log_text()[mark:]
            assert "no connection to the server" not in log, log
            assert d2.proc.poll() is None, log
            assert d2.get("/readyz")[0] == 200
        finally:
            d2.stop_clean()
    finally:
        work.cleanup()


def test_statement_cache_keys_by_text(c):
    # Two texts one after the other in one buffer are two statements; one text in two
    # buffers is one statement, prepared once.
    r = subprocess.run([DB_CACHE_TOOL, c.pg.conninfo], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "one-address first", "one-address second", "two-addresses third", "two-addresses third",
        "prepared SELECT 'first'::text", "prepared SELECT 'second'::text",
        "prepared SELECT 'third'::text"], r.stdout


def test_sigterm_finishes_request_in_flight(c):
    # Hold a lock that /readyz must wait for, so that its request is in flight at SIGTERM.
    locker = subprocess.Popen(["psql", c.pg.conninfo, "-X", "-q", "-c",
                               "BEGIN; LOCK TABLE schema_migration IN ACCESS EXCLUSIVE MODE; "
                               "SELECT pg_sleep(2); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: c.pg.scalar("SELECT count(*) FROM pg_locks WHERE "
                                     "relation = 'schema_migration'::regclass AND granted") != "0",
                 what="lock taken")
        result = {}

        def call():
            result["r"] = c.d.get_json("/readyz")
        t = threading.Thread(target=call)
        t.start()
        wait_for(lambda: c.pg.scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                                     "application_name = 'baocaod' AND wait_event_type = 'Lock'")
                 == "1", what="readyz waiting on the lock")
        c.d.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # New connections are refused while the old request is finishing.
        assert c.d.proc.poll() is None, "exited before the request in flight finished"
        t.join(30)
        assert result["r"][0] == 200, result
        rc = c.d.stop()
        assert rc == 0, rc
        log = c.d.log_text()
        assert "received SIGTERM" in log and "info main: stopped" in log, log
        assert "abandoned" not in log
    finally:
        locker.wait(30)
    c.d.start()


def test_shutdown_timeout_bounds_wait(c):
    c.d.stop()
    c.d.settings["server"]["shutdown_timeout"] = "1s"
    c.d.write_config()
    c.d.start()
    locker = subprocess.Popen(["psql", c.pg.conninfo, "-X", "-q", "-c",
                               "BEGIN; LOCK TABLE schema_migration IN ACCESS EXCLUSIVE MODE; "
                               "SELECT pg_sleep(6); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: c.pg.scalar("SELECT count(*) FROM pg_locks WHERE "
                                     "relation = 'schema_migration'::regclass AND granted") != "0",
                 what="lock taken")
        def call():
            try:
                c.d.get("/readyz", timeout=15)
            except OSError:
                pass  # the abandoned request's connection is closed at exit
        t = threading.Thread(target=call, daemon=True)
        t.start()
        wait_for(lambda: c.pg.scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                                     "application_name = 'baocaod' AND wait_event_type = 'Lock'")
                 == "1", what="readyz waiting on the lock")
        started = time.monotonic()
        rc = c.d.stop()
        assert rc == 0
        assert time.monotonic() - started < 5, "shutdown did not stop waiting at its timeout"
        assert "1 requests abandoned" in c.d.log_text()
    finally:
        c.pg.psql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                  "WHERE query LIKE '%pg_sleep(6)%' AND pid <> pg_backend_pid()")
        locker.wait(30)
    c.d.settings["server"]["shutdown_timeout"] = "10s"
    c.d.write_config()
    c.d.start()


def test_client_address_behind_a_trusted_proxy(c):
    good = c.d.conf.read_text()
    before = c.d.log_text().count("reloaded")
    c.d.write_config(good.replace("[server]\n", "[server]\ntrusted_proxies = 127.0.0.1 ::1\n", 1))
    c.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: c.d.log_text().count("reloaded") == before + 1, what="reload")
    try:
        c.d.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9, 127.0.0.1"})
        wait_for(lambda: "203.0.113.9 GET /healthz 200" in c.d.log_text(), what="proxied address")
    finally:
        c.d.write_config(good)
        c.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: c.d.log_text().count("reloaded") == before + 2, what="reload back")
    # Without trusted proxies the header is ignored.
    before = c.d.log_text().count("127.0.0.1 GET /healthz 200")
    c.d.get("/healthz", headers={"X-Forwarded-For": "198.51.100.7"})
    wait_for(lambda: c.d.log_text().count("127.0.0.1 GET /healthz 200") > before,
             what="the request logged with the peer's address")
    assert "198.51.100.7" not in c.d.log_text()


def test_migrate_on_start(c):
    # A second daemon on a database of its own applies the schema when it starts.
    subprocess.run(["createdb", "-h", str(c.pg.dir / "run"), "-U", "baocao", "baocao_auto"],
                   check=True)
    work = Workdir("foundation-auto")
    try:
        d2 = Daemon(work, c.pg.conninfo.replace("dbname=baocao", "dbname=baocao_auto"),
                    **{"database.migrate_on_start": "true"})
        d2.start()
        try:
            status, body = d2.get_json("/readyz")
            assert status == 200, body
            files = sorted((ROOT / "schema").glob("[0-9][0-9][0-9]_*.sql"))
            assert body["schema_version"] == int(files[-1].name[:3])
            assert "applied" in d2.log_text() and "migrations" in d2.log_text()
        finally:
            d2.stop_clean()
        # Started again, it finds nothing to do.
        d2.start()
        d2.stop_clean()
        assert "schema is up to date" in d2.log_text()
    finally:
        work.cleanup()


def test_no_password_in_the_log(c):
    """A connection string's password reaches no log line, whichever way the connection
    fails: migrate-on-start that cannot connect (key=value and URI forms), a string libpq
    cannot parse (it quotes pieces of it), and workers that keep retrying."""
    port = free_port()     # nothing listens there
    cases = [
        (f"host=127.0.0.1 port={port} dbname=baocao user=baocao password=SECRETWORD "
         "connect_timeout=3", ["SECRETWORD"], f"port={port}"),
        (f"postgresql://baocao:SECRETWORD@127.0.0.1:{port}/baocao?connect_timeout=3",
         ["SECRETWORD"], f"port={port}"),
        (f"host=127.0.0.1 port={port} password=SECRETWORD SECRETTAIL",
         ["SECRETWORD", "SECRETTAIL"], "not a valid libpq connection string"),
    ]
    for conninfo, secrets, shown in cases:
        work = Workdir("foundation-secret")
        try:
            d2 = Daemon(work, conninfo, **{"database.migrate_on_start": "true"})
            d2.start(wait=False)
            rc = d2.proc.wait(60)
            d2.stop()
            log = d2.log_text()
            assert rc != 0, log
            assert "cannot connect to the database" in log, log
            # It still says what to do, and where it tried.
            assert "check database.conninfo in" in log and "PostgreSQL is running" in log, log
            assert shown in log, log
            for secret in secrets:
                assert secret not in log, log
        finally:
            work.cleanup()
    # Without migrate_on_start the daemon starts and its workers keep trying: not in their
    # failure lines either, nor in baocaoctl's.
    work = Workdir("foundation-secret")
    try:
        d3 = Daemon(work, cases[0][0])
        d3.start()
        try:
            status, body = d3.get_json("/readyz")
            assert status == 503 and body["error"]["code"] == "database_unavailable", body
            wait_for(lambda: "database unavailable" in d3.log_text(), what="the failure logged")
            r = d3.ctl("outbox")
            assert r.returncode != 0 and "cannot connect" in r.stderr, r.stderr
            assert "SECRETWORD" not in r.stderr + r.stdout, r.stderr
        finally:
            d3.stop_clean()
        assert "SECRETWORD" not in d3.log_text(), d3.log_text()
    finally:
        work.cleanup()


TESTS = [
    test_config_check_and_errors,
    test_refuses_root_without_user,
    test_healthz,
    test_readyz_before_migration,
    test_migrate_idempotent,
    test_not_found_and_method_json,
    test_body_size_limit,
    test_body_limits_are_read_from_the_head,
    test_guard_refuses_ambiguous_heads,
    test_connection_cap,
    test_drops_privileges,
    test_import_units,
    test_import_units_bad_files_import_nothing,
    test_accounts_and_tokens,
    test_ctl_usage_errors,
    test_sighup_reload,
    test_readyz_follows_database,
    test_database_restart_costs_no_request,
    test_housekeeping_on_a_broken_connection,
    test_statement_cache_keys_by_text,
    test_sigterm_finishes_request_in_flight,
    test_shutdown_timeout_bounds_wait,
    test_client_address_behind_a_trusted_proxy,
    test_migrate_on_start,
    test_no_password_in_the_log,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
