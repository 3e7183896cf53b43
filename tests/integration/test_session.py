"""Web sessions: log in with a password, the cookie, the CSRF token, log out, expiry."""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests  # noqa: E402
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


def call(ex, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", ex.d.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r, r.read()
    finally:
        conn.close()


def login(ex, name, password):
    return call(ex, "POST", "/api/v1/session", json.dumps({"login": name, "password": password}),
                {"Content-Type": "application/json"})


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
    ex.pg.psql("UPDATE web_session SET expires_at = now() - interval '1 second'")
    status, _, _ = call(ex, "GET", "/api/v1/session", headers={"Cookie": cookie})
    assert status == 401


def test_successful_logins_are_not_limited(ex):
    statuses = [login(ex, "stc.baocao", PASSWORD)[0] for _ in range(7)]
    assert statuses == [201] * 7, statuses


def test_login_rate_limit(ex):
    # Five failures a minute per name (one was made by the first test).
    statuses = [login(ex, "stc.baocao", "sai")[0] for _ in range(7)]
    first = statuses.index(429)
    assert 1 <= first <= 5 and statuses[:first] == [401] * first, statuses
    assert statuses[first:] == [429] * (7 - first), statuses
    # The limit is per login name: another name from the same address still gets an answer.
    assert login(ex, "khong.co", "sai")[0] == 401
    # Even the right password waits out the minute once the name is blocked.
    assert login(ex, "stc.baocao", PASSWORD)[0] == 429


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
    test_successful_logins_are_not_limited,
    test_login_rate_limit,
    test_login_only_as_json_from_our_pages,
    test_new_password_ends_sessions,
    test_logout_without_a_live_session,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
