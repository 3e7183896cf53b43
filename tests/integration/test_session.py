"""Web sessions: log in with a password, the cookie, the CSRF token, log out, expiry."""
import http.client
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"
PERIOD = "2026-W48"
PASSWORD = "mat-khau-thu-nghiem-2026"


def setup():
    ex = Example("session", NOW)
    pw = ex.work.path / "pw.txt"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    for login, unit, role in (("stc.baocao", "STC", "reporter"), ("tat.baocao", "TTT", "reporter")):
        r = ex.d.ctl("account", "add", "--login", login, "--unit", unit, "--role", role,
                     "--email", f"{login}@example.vn", "--password-file", pw)
        assert r.returncode == 0, r.stderr
    ex.pg.psql("UPDATE account SET disabled = true WHERE login = 'tat.baocao'")
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def call(ex, method, path, body=None, headers=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", ex.d.port, timeout=30,
                                      source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r, r.read()
    finally:
        conn.close()


def login(ex, name, password, source="127.0.0.1"):
    return call(ex, "POST", "/api/v1/session", json.dumps({"login": name, "password": password}),
                {"Content-Type": "application/json"}, source=source)


def test_wrong_password_and_disabled_account(ex):
    for name, password in (("stc.baocao", "sai-mat-khau"), ("khong.co", PASSWORD),
                           ("tat.baocao", PASSWORD)):
        status, _, raw = login(ex, name, password)
        assert status == 401, (name, raw)
        assert json.loads(raw)["error"]["code"] == "bad_credentials"
    status, _, _ = call(ex, "POST", "/api/v1/session", b"{", {"Content-Type": "application/json"})
    assert status == 400


def test_login_cookie_and_csrf(ex):
    status, resp, raw = login(ex, "stc.baocao", PASSWORD)
    assert status == 201, raw
    body = json.loads(raw)
    assert body["login"] == "stc.baocao" and body["unit"] == "STC" and body["role"] == "reporter"
    cookie = resp.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie, cookie
    token = cookie.split(";")[0]
    ex.cookie, ex.csrf = token, body["csrf_token"]
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'login'") == "1"
    # The session answers GET requests.
    status, _, raw = call(ex, "GET", "/api/v1/session", headers={"Cookie": token})
    assert status == 200 and json.loads(raw)["csrf_token"] == ex.csrf
    status, _, raw = call(ex, "GET", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/template",
                          headers={"Cookie": token})
    assert status == 200, raw[:200]
    ex.template = raw


def test_upload_needs_csrf_with_a_cookie(ex):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 10,
             "Kết quả thực hiện trong kỳ": "Qua trang web"} for code, _ in ex.tasks_of("STC")]
    body = build_workbook(rows, meta=meta_for_unit(ex, "STC", PERIOD))
    path = f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission"
    before = ex.count_submissions()
    for headers in ({"Cookie": ex.cookie},
                    {"Cookie": ex.cookie, "X-CSRF-Token": "bct_" + "x" * 43}):
        status, _, raw = call(ex, "PUT", path, body, dict(headers, **{"Content-Type": XLSX}))
        assert status == 403 and json.loads(raw)["error"]["code"] == "csrf", raw
    assert ex.count_submissions() == before
    status, _, raw = call(ex, "PUT", path, body, {"Cookie": ex.cookie, "X-CSRF-Token": ex.csrf,
                                                  "Content-Type": XLSX})
    assert status == 201, raw
    assert json.loads(raw)["unit"] == "STC"


def test_logout_ends_the_session(ex):
    status, resp, _ = call(ex, "DELETE", "/api/v1/session",
                           headers={"Cookie": ex.cookie, "X-CSRF-Token": ex.csrf})
    assert status == 204
    assert "Max-Age=0" in resp.getheader("Set-Cookie")
    status, _, raw = call(ex, "GET", "/api/v1/session", headers={"Cookie": ex.cookie})
    assert status == 401
    status, _, raw = call(ex, "GET", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission",
                          headers={"Cookie": ex.cookie})
    assert status == 401 and json.loads(raw)["error"]["code"] == "invalid_token"


def test_expired_session(ex):
    status, resp, _ = login(ex, "stc.baocao", PASSWORD)
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    # The daemon's clock, not PostgreSQL's, says when a session is over.
    ex.pg.psql(f"UPDATE web_session SET expires_at = '{NOW}'::timestamptz")
    status, _, _ = call(ex, "GET", "/api/v1/session", headers={"Cookie": cookie})
    assert status == 401


def test_idle_session(ex):
    status, resp, _ = login(ex, "stc.baocao", PASSWORD)
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    assert call(ex, "GET", "/api/v1/session", headers={"Cookie": cookie})[0] == 200
    # Unused for three hours (session_idle_timeout is 2h by default), by the daemon's clock.
    ex.pg.psql(f"UPDATE web_session SET last_seen_at = '{NOW}'::timestamptz - interval '3 hours'")
    assert call(ex, "GET", "/api/v1/session", headers={"Cookie": cookie})[0] == 401


def test_https_accepts_only_the_host_cookie(ex):
    status, resp, _ = login(ex, "stc.baocao", PASSWORD)
    token = resp.getheader("Set-Cookie").split(";")[0].split("=", 1)[1]
    ex.d.settings["server"]["cookie_secure"] = "true"
    ex.d.write_config()
    try:
        ex.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: call(ex, "GET", "/api/v1/session",
                              headers={"Cookie": f"baocao_session={token}"})[0] == 401,
                 what="the reload to take effect")
        status, _, raw = call(ex, "GET", "/api/v1/session",
                              headers={"Cookie": f"__Host-baocao_session={token}"})
        assert status == 200, raw
        status, resp, _ = login(ex, "stc.baocao", PASSWORD)
        set_cookie = resp.getheader("Set-Cookie")
        assert set_cookie.startswith("__Host-baocao_session=") and "Secure" in set_cookie
    finally:
        ex.d.settings["server"]["cookie_secure"] = "false"
        ex.d.write_config()
        ex.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: call(ex, "GET", "/api/v1/session",
                              headers={"Cookie": f"baocao_session={token}"})[0] == 200,
                 what="the reload back")


def test_successful_logins_are_not_limited(ex):
    statuses = [login(ex, "stc.baocao", PASSWORD)[0] for _ in range(7)]
    assert statuses == [201] * 7, statuses


def test_failed_logins_slow_down_the_failing_address_only(ex):
    # Thirty wrong passwords for one login from 127.0.0.2: five answered, then waits.
    statuses = [login(ex, "stc.baocao", "sai", source="127.0.0.2") for _ in range(30)]
    codes = [st for st, _, _ in statuses]
    assert codes[:5] == [401] * 5, codes
    assert codes.count(429) >= 20 and codes.count(401) < 10, codes
    refused = next(r for st, r, _ in statuses if st == 429)
    assert int(refused.getheader("Retry-After")) >= 1
    # From the failing address even the right password waits.
    assert login(ex, "stc.baocao", PASSWORD, source="127.0.0.2")[0] == 429
    # The right password from an address that has not been failing: logged in.
    assert login(ex, "stc.baocao", PASSWORD, source="127.0.0.1")[0] == 201
    # Another login name from that address is still answered.
    assert login(ex, "khong.co", "sai", source="127.0.0.2")[0] == 401
    # The counters are in PostgreSQL, where every daemon on the database sees them.
    assert int(ex.pg.scalar("SELECT failures FROM login_failure WHERE scope = 'login' "
                            "AND key = 'stc.baocao 127.0.0.2'")) >= 5


def time_passes(ex, seconds):
    """As if the daemon's clock moved on: every login wait and window ends that much sooner."""
    ex.pg.psql(f"UPDATE login_failure SET window_start = window_start - interval '{seconds} s', "
               f"blocked_until = blocked_until - interval '{seconds} s'")


def retry_after(resp):
    return int(resp.getheader("Retry-After"))


def test_an_address_failing_under_many_names_waits(ex):
    codes = [login(ex, f"ten{i}.thu", "sai", source="127.0.0.3")[0] for i in range(32)]
    assert codes[:30] == [401] * 30 and codes[30:] == [429, 429], codes
    status, resp, raw = login(ex, "stc.baocao", PASSWORD, source="127.0.0.3")
    assert status == 429 and json.loads(raw)["error"]["code"] == "too_many_logins", raw
    wait = retry_after(resp)
    assert 1 <= wait <= 60, wait
    assert login(ex, "stc.baocao", PASSWORD, source="127.0.0.4")[0] == 201
    # The one failing goes on at once when the wait is over, under a name told to wait
    # (its turn) and under a new one, which must wait its own turn first.
    time_passes(ex, wait)
    assert login(ex, "ten30.thu", "sai", source="127.0.0.3")[0] == 401
    assert login(ex, "ten99.thu", "sai", source="127.0.0.3")[0] == 429
    # The address waits again, but the right password that has waited is let in: one person
    # failing behind an office's NAT never locks the office out.
    status, _, raw = login(ex, "stc.baocao", PASSWORD, source="127.0.0.3")
    assert status == 201, raw
    # Its turn is used: the same name waits again for the address.
    assert login(ex, "stc.baocao", "sai", source="127.0.0.3")[0] == 429


def test_waits_never_pass_a_minute(ex):
    # An address failing for a long time: each wait doubles up to a minute, never longer
    # (before, up to 15 minutes), and each failure is checked after its wait.
    src = "127.0.0.5"
    codes = [login(ex, f"ten{i}.sai", "sai", source=src)[0] for i in range(30)]
    assert codes == [401] * 30, codes
    waits = []
    for i in range(10):
        status, resp, _ = login(ex, "ten.doan", "sai", source=src)
        assert status == 429, status
        waits.append(retry_after(resp))
        time_passes(ex, waits[-1])
        assert login(ex, "ten.doan", "sai", source=src)[0] == 401
    assert max(waits) in (59, 60) and all(1 <= w <= 60 for w in waits), waits
    # (the last 59 when a second of real time passed between the failure and its answer,
    # as on a loaded machine: the test clock runs on)
    assert waits[:4] == sorted(waits[:4]) and waits[-1] in (59, 60), waits
    # And after a wait the right password of any account logs in from there.
    status, resp, _ = login(ex, "stc.baocao", PASSWORD, source=src)
    assert status == 429 and retry_after(resp) <= 60
    time_passes(ex, retry_after(resp))
    assert login(ex, "stc.baocao", PASSWORD, source=src)[0] == 201


def test_made_up_names_are_bounded_per_address(ex):
    # Rows for login names from one address are kept to 200: made-up names cannot grow the
    # table without bound (the oldest go).
    ex.pg.psql("INSERT INTO login_failure (scope, key, failures, window_start) "
               "SELECT 'login', 'ten' || i || '.bia 127.0.0.6', 1, "
               f"'{NOW}'::timestamptz - interval '1 minute' "
               "FROM generate_series(1, 250) i")
    assert login(ex, "ten.moi", "sai", source="127.0.0.6")[0] == 401
    kept = int(ex.pg.scalar("SELECT count(*) FROM login_failure WHERE scope = 'login' "
                            "AND key LIKE '% 127.0.0.6'"))
    assert kept == 200, kept
    assert ex.pg.scalar("SELECT count(*) FROM login_failure WHERE scope = 'login' "
                        "AND key = 'ten.moi 127.0.0.6'") == "1"
    # Other addresses' rows are not touched.
    assert int(ex.pg.scalar("SELECT count(*) FROM login_failure WHERE scope = 'login' "
                            "AND key LIKE '% 127.0.0.3'")) > 0
    # The daemon finds an address's rows through the index on the key's address part (its
    # expression and the query's must be the same for that).
    plan = ex.pg.psql("SET enable_seqscan = off; EXPLAIN SELECT key FROM login_failure "
                      "WHERE scope = 'login' AND substring(key FROM ' ([^ ]*)$') = '127.0.0.6'")
    assert any("login_failure_pair_address" in row[0] for row in plan), plan


def test_login_body_limit(ex):
    status, _, raw = call(ex, "POST", "/api/v1/session", b'{"login":"' + b"a" * 8000 + b'"}',
                          {"Content-Type": "application/json"})
    assert status == 413 and json.loads(raw)["error"]["code"] == "body_too_large", raw


def test_login_only_as_json_from_our_pages(ex):
    body = json.dumps({"login": "tat.baocao", "password": "x"})
    status, _, _ = call(ex, "POST", "/api/v1/session", body, {"Content-Type": "text/plain"})
    assert status == 415
    status, _, raw = call(ex, "POST", "/api/v1/session", body,
                          {"Content-Type": "application/json", "Origin": "https://evil.example"})
    assert status == 403 and json.loads(raw)["error"]["code"] == "cross_site"
    status, _, raw = call(ex, "POST", "/api/v1/session", body,
                          {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, _, raw = call(ex, "POST", "/api/v1/session", body,
                          {"Content-Type": "application/json",
                           "Origin": f"http://127.0.0.1:{ex.d.port}"})
    assert status == 401, raw  # same origin: an ordinary (wrong) login


def test_new_password_ends_sessions(ex):
    ex.pg.psql("DELETE FROM web_session")
    other = ex.work.path / "pw2.txt"
    other.write_text("mat-khau-moi-2026-11\n", encoding="utf-8")
    r = ex.d.ctl("account", "add", "--login", "snv.baocao", "--unit", "SNV", "--role", "reporter",
                 "--email", "snv@example.vn", "--password-file", ex.work.path / "pw.txt")
    assert r.returncode == 0, r.stderr
    status, resp, raw = login(ex, "snv.baocao", PASSWORD)
    assert status == 201, raw
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    assert call(ex, "GET", "/api/v1/session", headers={"Cookie": cookie})[0] == 200
    r = ex.d.ctl("account", "passwd", "--login", "snv.baocao", "--password-file", other)
    assert r.returncode == 0, r.stderr
    assert call(ex, "GET", "/api/v1/session", headers={"Cookie": cookie})[0] == 401


def test_logout_without_a_live_session(ex):
    status, resp, _ = call(ex, "DELETE", "/api/v1/session",
                           headers={"Cookie": "baocao_session=bct_stale"})
    assert status == 204 and "Max-Age=0" in resp.getheader("Set-Cookie")


TESTS = [
    test_wrong_password_and_disabled_account,
    test_login_cookie_and_csrf,
    test_upload_needs_csrf_with_a_cookie,
    test_logout_ends_the_session,
    test_expired_session,
    test_idle_session,
    test_https_accepts_only_the_host_cookie,
    test_successful_logins_are_not_limited,
    test_failed_logins_slow_down_the_failing_address_only,
    test_an_address_failing_under_many_names_waits,
    test_waits_never_pass_a_minute,
    test_made_up_names_are_bounded_per_address,
    test_login_body_limit,
    test_login_only_as_json_from_our_pages,
    test_new_password_ends_sessions,
    test_logout_without_a_live_session,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
