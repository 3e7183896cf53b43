#!/usr/bin/env python3
"""The web interface's side of the daemon: the pages served from memory (types, gzip, ETags,
304, security headers, no way out of the folder, reload on SIGHUP), GET /api/v1/me, the
tasks of a period, and the password change."""
import gzip
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import wait_for, run_tests  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"   # Wednesday of 2026-W48
CSP = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
       "form-action 'self'", "base-uri 'none'", "object-src 'none'")
PASSWORD = "mat-khau-ban-dau-1"


def setup():
    ex = Example("web", NOW)
    ex.account("stc.baocao", "STC", "reporter")
    ex.account("vptu.nhan", "VPTU", "recipient")
    pw = ex.work.path / "pw"
    pw.write_text(PASSWORD + "\n")
    r = ex.d.ctl("account", "add", "--login", "stc.lan", "--unit", "STC", "--role", "reporter",
                 "--email", "lan@example.vn", "--password-file", pw)
    assert r.returncode == 0, r.stderr
    ex.web = ex.work.path / "web"
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def security_headers(headers):
    csp = headers.get("content-security-policy", "")
    for part in CSP:
        assert part in csp, (part, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert headers.get("x-content-type-options") == "nosniff", headers
    assert headers.get("referrer-policy") == "same-origin", headers


def test_pages_and_their_headers(ex):
    status, h, body = ex.d.get("/")
    assert status == 200, (status, body[:200])
    assert h["content-type"] == "text/html; charset=utf-8", h
    assert body == (ex.web / "index.html").read_bytes()
    security_headers(h)
    assert h["cache-control"] == "no-cache" and h["etag"].startswith('"'), h
    assert "content-encoding" not in h
    for name, ctype in (("login.html", "text/html; charset=utf-8"),
                        ("app.css", "text/css; charset=utf-8"),
                        ("reporter.js", "text/javascript; charset=utf-8")):
        status, h, body = ex.d.get("/" + name)
        assert status == 200 and h["content-type"] == ctype, (name, status, h)
        assert body == (ex.web / name).read_bytes(), name
    # HEAD: the headers without the body
    status, h, body = ex.d.request("HEAD", "/app.css")
    assert status == 200 and body == b"" and h["etag"], (status, h)


def test_api_answers_carry_the_headers_too(ex):
    status, h, _ = ex.d.get("/api/v1/me")
    assert status == 401
    security_headers(h)
    assert h["cache-control"] == "no-store", h
    status, h, _ = ex.d.get("/healthz")
    security_headers(h)


def test_gzip_when_accepted(ex):
    plain = (ex.web / "reporter.js").read_bytes()
    status, h, body = ex.d.get("/reporter.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and h.get("content-encoding") == "gzip", h
    assert h["vary"] == "Accept-Encoding", h
    assert gzip.decompress(body) == plain and len(body) < len(plain)
    for ae, gz in (("gzip;q=0, identity", False), ("br", False), ("*", True),
                   ("x-gzip", True), ("GZIP ; q=0.5", True), ("*;q=0", False),
                   ("gzip;q=0, *", False), ("identity", False), ("gzip;q=abc", False)):
        status, h, body = ex.d.get("/reporter.js", headers={"Accept-Encoding": ae})
        assert status == 200, (ae, status)
        assert (h.get("content-encoding") == "gzip") == gz, (ae, h)
        assert (gzip.decompress(body) if gz else body) == plain, ae
    # Each representation has its own tag.
    e_plain = ex.d.get("/reporter.js")[1]["etag"]
    e_gz = ex.d.get("/reporter.js", headers={"Accept-Encoding": "gzip"})[1]["etag"]
    assert e_plain != e_gz, (e_plain, e_gz)


def test_etag_revalidation(ex):
    _, h, _ = ex.d.get("/app.css")
    tag = h["etag"]
    for inm in (tag, "W/" + tag, '"other", ' + tag, "*"):
        status, h2, body = ex.d.get("/app.css", headers={"If-None-Match": inm})
        assert status == 304 and body == b"", (inm, status)
        assert h2["etag"] == tag and h2["cache-control"] == "no-cache", h2
    for inm in ('"other"', tag[:-2] + '"', "not-a-tag"):
        status, _, body = ex.d.get("/app.css", headers={"If-None-Match": inm})
        assert status == 200 and body, inm
    # The gzipped representation is not revalidated by the plain one's tag, nor the other way.
    status, _, _ = ex.d.get("/app.css", headers={"If-None-Match": tag, "Accept-Encoding": "gzip"})
    assert status == 200


def test_nothing_outside_the_set(ex):
    (ex.web / "notes.conf").write_text("secret=1\n")
    (ex.web / ".hidden.js").write_text("x\n")
    (ex.web / "sub").mkdir(exist_ok=True)
    (ex.web / "sub" / "inner.html").write_text("<p>inner</p>\n")
    reload(ex)
    for path in ("/..", "/%2e%2e", "/%2E%2E/", "/../etc/passwd", "/%2e%2e%2fetc%2fpasswd",
                 "/..%2f..%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/index.html%00",
                 "/index.html%00.js", "/%00", "/app.css/", "/sub/inner.html", "/sub",
                 "/sub%2finner.html", "/notes.conf", "/.hidden.js", "/..%5c..%5cetc%5cpasswd",
                 "/./index.html", "/%2e/index.html", "//etc/passwd", "/index.html/..",
                 "/nonexistent.html", "/INDEX.HTML"):
        status, h, body = ex.d.get(path)
        assert status in (400, 404), (path, status, body[:100])
        assert b"root:" not in body and b"secret" not in body and b"inner" not in body, path


def reload(ex):
    """SIGHUP, then waits for the log line of the new load."""
    before = ex.d.log_text().count("config: reloaded")
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ex.d.log_text().count("config: reloaded") > before, timeout=10,
             what="reload")


def test_sighup_reloads_and_a_bad_folder_keeps_the_pages(ex):
    css = ex.web / "app.css"
    _, h, _ = ex.d.get("/app.css")
    css.write_text(css.read_text() + "\n/* changed */\n")
    reload(ex)
    status, h2, body = ex.d.get("/app.css", headers={"If-None-Match": h["etag"]})
    assert status == 200 and body.endswith(b"/* changed */\n") and h2["etag"] != h["etag"]
    ex.d.settings["server"]["web_dir"] = str(ex.work.path / "missing")
    ex.d.write_config()
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "the pages loaded before are still served" in ex.d.log_text(), timeout=10,
             what="the failed reload")
    assert ex.d.get("/")[0] == 200
    ex.d.settings["server"]["web_dir"] = str(ex.web)
    ex.d.write_config()
    reload(ex)


def login(ex, login="stc.lan", password=PASSWORD):
    status, h, raw = ex.d.request("POST", "/api/v1/session",
                                  body={"login": login, "password": password})
    assert status == 201, raw
    cookie = h["set-cookie"].split(";")[0]
    return {"Cookie": cookie}, json.loads(raw)["csrf_token"]


def test_me(ex):
    status, _, raw = ex.get("stc.baocao", "/api/v1/me")
    assert status == 200, raw
    me = json.loads(raw)
    assert me["unit"] == {"code": "STC", "name": me["unit"]["name"]} and me["unit"]["name"]
    assert me["role"] == "reporter" and me["csrf_token"] is None   # a token, not a session
    assert me["now"].startswith("2026-11-25T09:0"), me["now"]
    weekly = [s for s in me["series"] if s["name"] == "nq57-weekly"]
    assert weekly and weekly[0]["current"]["period"] == "2026-W48", me["series"]
    assert weekly[0]["current"]["unit_deadline_text"] == "11 giờ 00, thứ Sáu, ngày 27/11/2026"
    assert weekly[0]["kind"] == "weekly"
    recent = weekly[0]["recent"]
    assert recent and recent[0]["period"] == "2026-W48" and recent[0]["version"] is None, recent
    headers, csrf = login(ex)
    status, _, raw = ex.d.get("/api/v1/me", headers=headers)
    assert status == 200 and json.loads(raw)["csrf_token"] == csrf
    status, _, raw = ex.get("vptu.nhan", "/api/v1/me")
    assert status == 200 and json.loads(raw)["series"] == [], raw


def test_tasks_and_what_is_carried(ex):
    base = "/api/v1/series/nq57-weekly/periods/2026-W48"
    status, _, raw = ex.get("stc.baocao", base + "/tasks")
    assert status == 200, raw
    doc = json.loads(raw)
    codes = [t["task"] for t in doc["tasks"]]
    assert codes == [c for c, _ in ex.tasks_of("STC")], codes
    assert doc["carried_from"] is None and all(t["carried"] is None for t in doc["tasks"])
    assert all(t["title"] and "lead" in t and "deadline" in t for t in doc["tasks"])
    # A report sent with the session cookie is the pages' form: channel "web".
    headers, csrf = login(ex)
    items = [{"task": c, "status": "in_progress", "progress": 30} for c in codes]
    items[0] = {"task": codes[0], "status": "done", "completed_on": "2026-11-24"}
    status, _, raw = ex.d.request("PUT", base + "/submission", body={"items": items},
                                  headers=dict(headers, **{"X-CSRF-Token": csrf}))
    assert status == 201, raw
    status, _, raw = ex.get("stc.baocao", base + "/submission")
    assert json.loads(raw)["channel"] == "web"
    status, _, raw = ex.get("stc.baocao", "/api/v1/series/nq57-weekly/periods/2026-W49/tasks")
    assert status == 200, raw
    doc = json.loads(raw)
    assert doc["carried_from"] == "2026-W48", doc
    carried = {t["task"]: t["carried"] for t in doc["tasks"]}
    assert carried[codes[0]] == {"status": "done", "progress": 100, "completed_on": "2026-11-24"}, \
        carried[codes[0]]
    assert carried[codes[1]] == {"status": "in_progress", "progress": 30, "completed_on": None}
    status, _, raw = ex.get("stc.baocao", base + "/tasks?unit=P-THANH-SEN")
    assert status == 403, raw


def change(ex, headers, csrf, current, new):
    h = dict(headers)
    if csrf:
        h["X-CSRF-Token"] = csrf
    status, _, raw = ex.d.request("PUT", "/api/v1/account/password",
                                  body={"current": current, "new": new}, headers=h)
    return status, json.loads(raw) if raw else None


def test_password_change(ex):
    a, csrf_a = login(ex)
    b, _ = login(ex)
    status, doc = change(ex, a, None, PASSWORD, "mot mat khau moi dai")
    assert status == 403 and doc["error"]["code"] == "csrf", doc
    status, doc = change(ex, a, csrf_a, "sai-mat-khau-roi", "mot mat khau moi dai")
    assert status == 403 and doc["error"]["code"] == "wrong_password", doc
    assert "liên hệ quản trị viên" in doc["error"]["message"]
    for weak in ("ngắn quá", PASSWORD, "STC.LAN", "x" * 300):
        status, doc = change(ex, a, csrf_a, PASSWORD, weak)
        assert status == 422 and doc["error"]["code"] == "weak_password", (weak, doc)
    status, doc = change(ex, a, csrf_a, PASSWORD, None)
    assert status == 400, doc
    assert ex.d.get("/api/v1/me", headers=b)[0] == 200   # nothing changed yet
    new = "Hà Tĩnh – mật khẩu mới"
    sessions = "SELECT count(*) FROM web_session s JOIN account a ON a.id = s.account_id " \
               "WHERE a.login = 'stc.lan'"
    before = int(ex.pg.scalar(sessions))
    assert before >= 2, before
    status, doc = change(ex, a, csrf_a, PASSWORD, new)
    assert status == 200 and doc["sessions_ended"] == before - 1, (before, doc)
    assert ex.pg.scalar(sessions) == "1"
    assert ex.d.get("/api/v1/me", headers=b)[0] == 401       # the other session is over
    assert ex.d.get("/api/v1/me", headers=a)[0] == 200       # this one goes on
    status, _, _ = ex.d.request("POST", "/api/v1/session",
                                body={"login": "stc.lan", "password": PASSWORD})
    assert status == 401
    login(ex, password=new)
    rows = ex.pg.psql("SELECT actor, detail->>'sessions_ended' FROM audit_log "
                      "WHERE action = 'password_change'")
    assert rows == [["stc.lan", str(before - 1)]], rows
    hashed = ex.pg.scalar("SELECT password_hash FROM account WHERE login = 'stc.lan'")
    assert hashed.startswith("$argon2id$"), hashed


TESTS = [test_pages_and_their_headers, test_api_answers_carry_the_headers_too,
         test_gzip_when_accepted, test_etag_revalidation, test_nothing_outside_the_set,
         test_sighup_reloads_and_a_bad_folder_keeps_the_pages, test_me,
         test_tasks_and_what_is_carried, test_password_change]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup=setup, teardown=teardown))
