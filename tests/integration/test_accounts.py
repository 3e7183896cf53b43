"""Accounts turned off and on, API tokens revoked, expiring and listed, through baocaoctl."""
import datetime
import hashlib
import http.client
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"
# A route that needs a principal: 404 no_submission when authenticated (nothing was sent), 401
# when not.
PROBE = "/api/v1/series/nq57-weekly/periods/2026-W48/submission"
PASSWORD = "mat-khau-thu-nghiem-2026"


def setup():
    ex = Example("accounts", NOW)
    ex.pwfile = ex.work.path / "pw.txt"
    ex.pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
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


def with_token(ex, token):
    """The probe's status with a bearer token."""
    status, _, raw = call(ex, "GET", PROBE, headers={"Authorization": f"Bearer {token}"})
    if status == 404:
        assert json.loads(raw)["error"]["code"] == "no_submission", raw
    if status == 401:
        assert json.loads(raw)["error"]["code"] == "invalid_token", raw
    return status


def with_cookie(ex, cookie):
    """The statuses of GET /api/v1/session and of the probe with a session cookie."""
    return (call(ex, "GET", "/api/v1/session", headers={"Cookie": cookie})[0],
            call(ex, "GET", PROBE, headers={"Cookie": cookie})[0])


def add_account(ex, login, unit="STC"):
    r = ex.d.ctl("account", "add", "--login", login, "--unit", unit, "--role", "reporter",
                 "--email", f"{login}@example.vn", "--password-file", ex.pwfile)
    assert r.returncode == 0, r.stderr


def create_token(ex, login, *extra):
    """Makes a token; returns (token, id)."""
    r = ex.d.ctl("token", "create", "--login", login, *extra)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert re.fullmatch(r"bct_[A-Za-z0-9_-]{43}", token), r.stdout
    m = re.search(r"token (\d+) of " + re.escape(login) + " created", r.stderr)
    assert m, r.stderr
    return token, m.group(1)


def log_in(ex, login):
    status, resp, raw = call(ex, "POST", "/api/v1/session",
                             json.dumps({"login": login, "password": PASSWORD}),
                             {"Content-Type": "application/json"})
    assert status == 201, raw
    return resp.getheader("Set-Cookie").split(";")[0]


def listing(ex, *args):
    """token list as {id: row dict}, checking that the columns line up."""
    r = ex.d.ctl("token", "list", *args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = lines[0]
    names = ["ID", "LOGIN", "LABEL", "CREATED", "LAST USED", "EXPIRES", "STATE"]
    starts = [header.index(n) for n in names]
    assert starts == sorted(starts) and starts[0] == 0, header
    rows = {}
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [len(line)])]
        for a in starts[1:]:
            assert line[a - 2:a] == "  " and line[a] != " ", (line, a)
        rows[cells[0]] = dict(zip(names, cells))
    return rows


def audit(ex, object_type, action):
    return ex.pg.psql("SELECT object_id, detail FROM audit_log WHERE object_type = "
                      f"'{object_type}' AND action = '{action}' ORDER BY id")


def test_revoked_token_refused_at_once(ex):
    add_account(ex, "stc.may")
    token, tid = create_token(ex, "stc.may", "--label", "Phần mềm tổng hợp")
    assert with_token(ex, token) == 404
    assert listing(ex)[tid]["STATE"] == "active"
    r = ex.d.ctl("token", "revoke", tid)
    assert r.returncode == 0 and "revoked" in r.stdout, (r.stdout, r.stderr)
    assert with_token(ex, token) == 401
    r = ex.d.ctl("token", "revoke", tid)
    assert r.returncode == 0 and "already revoked" in r.stdout, (r.stdout, r.stderr)
    rows = audit(ex, "api_token", "revoke")
    assert len(rows) == 1 and rows[0][0] == "stc.may", rows
    detail = json.loads(rows[0][1])
    assert detail == {"token_id": int(tid), "label": "Phần mềm tổng hợp"}, detail
    row = listing(ex, "--login", "stc.may")[tid]
    assert row["STATE"] == "revoked" and row["LABEL"] == "Phần mềm tổng hợp", row
    assert row["LAST USED"] != "never", row


def test_disable_and_enable(ex):
    add_account(ex, "stc.nghi")
    token, tid = create_token(ex, "stc.nghi")
    cookie = log_in(ex, "stc.nghi")
    assert with_token(ex, token) == 404
    assert with_cookie(ex, cookie) == (200, 404)

    r = ex.d.ctl("account", "disable", "--login", "stc.nghi")
    assert r.returncode == 0, r.stderr
    assert "disabled" in r.stdout and "web sessions ended: 1" in r.stdout, r.stdout
    assert "live API tokens: 1" in r.stdout and "token revoke" in r.stdout, r.stdout
    assert with_token(ex, token) == 401
    assert with_cookie(ex, cookie) == (401, 401)
    assert ex.pg.scalar("SELECT count(*) FROM web_session s JOIN account a "
                        "ON a.id = s.account_id WHERE a.login = 'stc.nghi'") == "0"
    status, _, raw = call(ex, "POST", "/api/v1/session",
                          json.dumps({"login": "stc.nghi", "password": PASSWORD}),
                          {"Content-Type": "application/json"})
    assert status == 401, raw
    assert "(disabled)" in [ln for ln in ex.d.ctl("account", "list").stdout.splitlines()
                            if ln.startswith("stc.nghi ")][0]
    assert listing(ex, "--login", "stc.nghi")[tid]["STATE"] == "active (account disabled)"

    r = ex.d.ctl("account", "disable", "--login", "stc.nghi")
    assert r.returncode == 0 and "already disabled" in r.stdout, (r.stdout, r.stderr)
    r = ex.d.ctl("token", "create", "--login", "stc.nghi")
    assert r.returncode == 1 and r.stdout == "", r.stdout
    assert "disabled" in r.stderr and "account enable --login stc.nghi" in r.stderr, r.stderr

    # A session opened by a login that raced the disable does not come back with enable.
    raced = "bct_" + "r" * 43
    ex.pg.psql("INSERT INTO web_session (account_id, token_hash, csrf_token, expires_at) "
               f"SELECT id, '\\x{hashlib.sha256(raced.encode()).hexdigest()}', "
               "'bct_csrf_of_the_raced_session_0123456789', now() + interval '1 hour' "
               "FROM account WHERE login = 'stc.nghi'")
    r = ex.d.ctl("account", "enable", "--login", "stc.nghi")
    assert r.returncode == 0 and "enabled" in r.stdout, (r.stdout, r.stderr)
    assert "web sessions ended: 1" in r.stdout, r.stdout
    assert with_cookie(ex, f"baocao_session={raced}") == (401, 401)
    assert with_token(ex, token) == 404
    assert with_cookie(ex, cookie) == (401, 401)  # the session was deleted, not suspended
    r = ex.d.ctl("account", "enable", "--login", "stc.nghi")
    assert r.returncode == 0 and "already enabled" in r.stdout, (r.stdout, r.stderr)
    assert [row[0] for row in audit(ex, "account", "disable")] == ["stc.nghi"]
    assert json.loads(audit(ex, "account", "disable")[0][1])["web_sessions_ended"] == 1
    assert [row[0] for row in audit(ex, "account", "enable")] == ["stc.nghi"]
    assert log_in(ex, "stc.nghi")


def test_expiry_in_the_past_refused(ex):
    add_account(ex, "stc.qua")
    before = ex.pg.scalar("SELECT count(*) FROM api_token")
    audited = len(audit(ex, "api_token", "create"))
    # The test clock says 2026-11-25 09:00 (+07:00).
    for when in ("2020-01-01", "2020-01-01T00:00:00Z", "2026-11-25T08:00:00+07:00"):
        r = ex.d.ctl("token", "create", "--login", "stc.qua", "--expires", when)
        assert r.returncode == 1 and r.stdout == "", (when, r.stdout)
        assert "not in the future" in r.stderr and "90d" in r.stderr, r.stderr
    for bad in ("tomorrow", "2026-02-30", "0d", "3651d", "12m", "2027-13-01"):
        r = ex.d.ctl("token", "create", "--login", "stc.qua", "--expires", bad)
        assert r.returncode == 1 and r.stdout == "", (bad, r.stdout)
        assert "--expires" in r.stderr, r.stderr
    assert ex.pg.scalar("SELECT count(*) FROM api_token") == before
    assert len(audit(ex, "api_token", "create")) == audited


def test_expiry_forms(ex):
    add_account(ex, "stc.han")
    _, days = create_token(ex, "stc.han", "--expires", "90d")
    _, hours = create_token(ex, "stc.han", "--expires", "12h")
    _, date = create_token(ex, "stc.han", "--expires", "2027-06-30")
    _, when = create_token(ex, "stc.han", "--expires", "2027-06-30T17:00:00+07:00")

    def seconds_left(tid):
        return float(ex.pg.scalar("SELECT extract(epoch FROM expires_at - created_at) "
                                  f"FROM api_token WHERE id = {tid}"))
    assert abs(seconds_left(days) - 90 * 86400) < 1, seconds_left(days)
    assert abs(seconds_left(hours) - 12 * 3600) < 1, seconds_left(hours)
    # A date is the end of that day in the configured time zone (Asia/Ho_Chi_Minh).
    assert ex.pg.scalar(f"SELECT expires_at = '2027-07-01T00:00:00+07:00' FROM api_token "
                        f"WHERE id = {date}") == "t"
    assert ex.pg.scalar(f"SELECT expires_at = '2027-06-30T10:00:00Z' FROM api_token "
                        f"WHERE id = {when}") == "t"
    rows = listing(ex, "--login", "stc.han")
    assert rows[date]["EXPIRES"] == "2027-07-01 00:00" and rows[when]["EXPIRES"] == "2027-06-30 17:00"
    assert all(r["STATE"] == "active" and r["LABEL"] == "-" for r in rows.values()), rows
    detail = json.loads(ex.pg.psql("SELECT detail FROM audit_log WHERE object_type = 'api_token' "
                                   f"AND detail->>'token_id' = '{date}'")[0][0])
    assert detail["expires_at"].startswith("2027-07-01 00:00:00+07"), detail


def test_short_expiry(ex):
    add_account(ex, "stc.ngan")
    # baocaoctl and the daemon read one clock (the test clock, BAOCAO_FAKE_NOW, here).
    token, tid = create_token(ex, "stc.ngan", "--expires", "1h")
    assert with_token(ex, token) == 404
    assert listing(ex, "--login", "stc.ngan")[tid]["STATE"] == "active"
    # Two hours later by the daemon's clock: refused, and listed as expired.
    later = (datetime.datetime.fromisoformat(NOW) + datetime.timedelta(hours=2)).isoformat()
    ex.d.stop_clean()
    ex.d.start(env={"BAOCAO_FAKE_NOW": later})
    try:
        assert with_token(ex, token) == 401
        assert listing(ex, "--login", "stc.ngan")[tid]["STATE"] == "expired"
    finally:
        ex.d.stop_clean()
        ex.d.start(env={"BAOCAO_FAKE_NOW": NOW})


def test_token_list(ex):
    # One token past its expiry by the clock both programs read.
    ex.pg.psql(f"UPDATE api_token SET expires_at = '{NOW}'::timestamptz - interval '1 minute' "
               "WHERE account_id = (SELECT id FROM account WHERE login = 'stc.ngan')")
    rows = listing(ex)
    states = {r["STATE"] for r in rows.values()}
    assert {"active", "revoked", "expired"} <= states, states
    assert list(rows) == sorted(rows, key=int)
    assert {r["LOGIN"] for r in listing(ex, "--login", "stc.han").values()} == {"stc.han"}
    add_account(ex, "stc.moi")
    r = ex.d.ctl("token", "list", "--login", "stc.moi")
    assert r.returncode == 0 and "no API tokens" in r.stdout, r.stdout
    r = ex.d.ctl("token", "list", "--login", "khong.co")
    assert r.returncode == 1 and "no account with login 'khong.co'" in r.stderr, r.stderr


def change_password(ex, cookie, csrf, current, new, **extra):
    status, _, raw = call(ex, "PUT", "/api/v1/account/password",
                          json.dumps(dict(current=current, new=new, **extra)),
                          {"Cookie": cookie, "X-CSRF-Token": csrf,
                           "Content-Type": "application/json"})
    return status, json.loads(raw)


def session_of(ex, login, password=PASSWORD):
    """(cookie, CSRF token) of a new session."""
    status, resp, raw = call(ex, "POST", "/api/v1/session",
                             json.dumps({"login": login, "password": password}),
                             {"Content-Type": "application/json"})
    assert status == 201, raw
    return resp.getheader("Set-Cookie").split(";")[0], json.loads(raw)["csrf_token"]


def test_own_password_change_offers_to_revoke_tokens(ex):
    add_account(ex, "stc.tudoi")
    token, tid = create_token(ex, "stc.tudoi", "--label", "Máy gửi tự động")
    _, old_id = create_token(ex, "stc.tudoi", "--label", "Cũ")
    assert ex.d.ctl("token", "revoke", old_id).returncode == 0
    other, _ = session_of(ex, "stc.tudoi")
    cookie, csrf = session_of(ex, "stc.tudoi")
    second = "mat-khau-thu-hai-2026"
    status, doc = change_password(ex, cookie, csrf, PASSWORD, second)
    assert status == 200 and doc["sessions_ended"] == 1 and doc["tokens_revoked"] == 0, doc
    # The answer lists the tokens still working (not the revoked one), and they still work.
    assert [(t["id"], t["label"]) for t in doc["tokens"]] == [(int(tid), "Máy gửi tự động")], doc
    assert doc["tokens"][0]["created_at"] and doc["tokens"][0]["expires_at"] is None, doc
    assert with_token(ex, token) == 404
    assert with_cookie(ex, other) == (401, 401) and with_cookie(ex, cookie)[0] == 200
    # The same list on its own; then the route that revokes them, with the page's CSRF token.
    status, _, raw = call(ex, "GET", "/api/v1/account/tokens", headers={"Cookie": cookie})
    assert status == 200 and [t["id"] for t in json.loads(raw)["tokens"]] == [int(tid)], raw
    revoke = "/api/v1/account/tokens/revoke"
    status, _, raw = call(ex, "POST", revoke, b'{"all":true}',
                          {"Cookie": cookie, "Content-Type": "application/json"})
    assert status == 403 and json.loads(raw)["error"]["code"] == "csrf", raw
    status, _, raw = call(ex, "POST", revoke, b"{}", {"Cookie": cookie, "X-CSRF-Token": csrf,
                                                      "Content-Type": "application/json"})
    assert status == 400, raw
    assert with_token(ex, token) == 404
    status, _, raw = call(ex, "POST", revoke, b'{"all":true}',
                          {"Cookie": cookie, "X-CSRF-Token": csrf,
                           "Content-Type": "application/json"})
    assert status == 200 and json.loads(raw)["tokens_revoked"] == 1, raw
    assert with_token(ex, token) == 401
    rows = audit(ex, "account", "revoke_tokens")
    assert rows and rows[-1][0] == "stc.tudoi" and json.loads(rows[-1][1]) == \
        {"tokens_revoked": 1}, rows
    # Or in the change itself: "revoke_tokens": true.
    token2, _ = create_token(ex, "stc.tudoi")
    status, doc = change_password(ex, cookie, csrf, second, "mat-khau-thu-ba-2026",
                                  revoke_tokens=True)
    assert status == 200 and doc["tokens_revoked"] == 1 and doc["tokens"] == [], doc
    assert with_token(ex, token2) == 401
    rows = audit(ex, "account", "password_change")
    assert json.loads(rows[-1][1]) == {"sessions_ended": 0, "tokens_revoked": 1}, rows


def test_usage_errors(ex):
    for args, text in ((["token", "list", "--label", "x"], "does not take --label"),
                       (["token", "revoke"], "usage:"),
                       (["token", "revoke", "abc"], "not a token ID"),
                       (["token", "revoke", "999999"], "no API token with ID 999999"),
                       (["token", "frob"], "usage:"),
                       (["account", "disable"], "--login"),
                       (["account", "disable", "--login", "khong.co"], "account list"),
                       (["account", "enable", "--login", "stc.may", "--unit", "STC"], "--login"),
                       (["token", "create", "--login", "khong.co"], "account list")):
        r = ex.d.ctl(*args)
        assert r.returncode == 1 and text in r.stderr, (args, r.returncode, r.stderr)


TESTS = [
    test_revoked_token_refused_at_once,
    test_disable_and_enable,
    test_expiry_in_the_past_refused,
    test_expiry_forms,
    test_short_expiry,
    test_token_list,
    test_own_password_change_offers_to_revoke_tokens,
    test_usage_errors,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
