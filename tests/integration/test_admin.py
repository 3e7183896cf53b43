#!/usr/bin/env python3
"""The administrators' API: units, accounts, task import with its preview, the calendar,
period overrides and the outbox; each change audited with the admin's login, every refusal
explained, non-admins refused."""
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, run_tests, wait_for  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"   # Wednesday of 2026-W48; the deadline is Friday 27/11 11:00
TASKS = ROOT / "config" / "tasks-nq57-weekly.csv"
ADMIN = "quantri"


def setup():
    ex = Example("admin", NOW)
    ex.account(ADMIN, "SKHCN", "admin")
    ex.account("stc.baocao", "STC", "reporter")
    ex.account("skhcn.dieuphoi", "SKHCN", "coordinator")
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def call(ex, method, path, body=None, login=ADMIN, content_type=None, headers=None):
    """(status, parsed JSON or None) of a request with login's token."""
    h = dict(headers or {})
    if login:
        h["Authorization"] = f"Bearer {ex.tokens[login]}"
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    elif content_type:
        h["Content-Type"] = content_type
    status, _, raw = ex.d.request(method, path, body=body, headers=h)
    return status, (json.loads(raw) if raw.startswith(b"{") else None)


def audit(ex, action, object_type, object_id=None):
    """The latest audit entry of that kind: (account login, actor, detail) or None."""
    cond = f" AND object_id = '{object_id}'" if object_id is not None else ""
    rows = ex.pg.psql("SELECT coalesce(a.login, ''), l.actor, l.detail::text FROM audit_log l "
                      "LEFT JOIN account a ON a.id = l.account_id "
                      f"WHERE l.action = '{action}' AND l.object_type = '{object_type}'{cond} "
                      "ORDER BY l.id DESC LIMIT 1")
    if not rows:
        return None
    return rows[0][0], rows[0][1], json.loads(rows[0][2])


def error_code(doc):
    return doc["error"]["code"]


def session(ex, login, password):
    """The cookie of a new session, or None when the login is refused."""
    status, headers, raw = ex.d.request("POST", "/api/v1/session",
                                        body={"login": login, "password": password})
    if status != 201:
        return None
    return headers["set-cookie"].split(";")[0]


def test_non_admins_refused(ex):
    for login in ("stc.baocao", "skhcn.dieuphoi"):
        status, doc = call(ex, "GET", "/api/v1/admin/accounts", login=login)
        assert status == 403 and error_code(doc) == "forbidden_role", doc
        assert "quản trị viên" in doc["error"]["message"]
        status, doc = call(ex, "PUT", "/api/v1/admin/units/STC", login=login,
                           body={"name": "x", "group": "so-nganh", "emails": []})
        assert status == 403, doc
    status, doc = call(ex, "GET", "/api/v1/admin/units", login=None)
    assert status == 401, doc
    assert ex.pg.scalar("SELECT name FROM unit WHERE code = 'STC'") == "Sở Tài chính"


def test_units_list_and_edit(ex):
    status, doc = call(ex, "GET", "/api/v1/admin/units")
    assert status == 200, doc
    stc = next(u for u in doc["units"] if u["code"] == "STC")
    assert stc["name"] == "Sở Tài chính" and stc["active"] and stc["group"] == "so-nganh", stc
    body = {"name": "Sở Tài chính tỉnh Hà Tĩnh", "group": "so-nganh",
            "emails": ["head:giamdoc@stc.hatinh.gov.vn", "vanthu@stc.hatinh.gov.vn"]}
    status, doc = call(ex, "PUT", "/api/v1/admin/units/STC", body=body)
    assert status == 200, doc
    row = ex.pg.psql("SELECT name, array_to_string(emails, ' ') FROM unit WHERE code = 'STC'")[0]
    assert row == ["Sở Tài chính tỉnh Hà Tĩnh",
                   "head:giamdoc@stc.hatinh.gov.vn vanthu@stc.hatinh.gov.vn"], row
    who, actor, detail = audit(ex, "update", "unit", "STC")
    assert (who, actor) == (ADMIN, ADMIN), (who, actor)
    assert detail["before"]["name"] == "Sở Tài chính", detail
    assert detail["after"]["emails"][0] == "head:giamdoc@stc.hatinh.gov.vn", detail
    # Mistakes, each saying what to do; nothing changes.
    for bad, code, words in [
            (dict(body, emails=["khong-phai-thu"]), "invalid_email", "khong-phai-thu"),
            (dict(body, group="Sở Ngành"), "invalid_unit", "so-nganh"),
            (dict(body, name=""), None, None)]:
        status, doc = call(ex, "PUT", "/api/v1/admin/units/STC", body=bad)
        assert status in (400, 422), (bad, doc)
        if code:
            assert error_code(doc) == code and words in doc["error"]["message"], doc
    status, doc = call(ex, "PUT", "/api/v1/admin/units/KHONG-CO", body=body)
    assert status == 404 and error_code(doc) == "unknown_unit", doc
    status, doc = call(ex, "PUT", "/api/v1/admin/units/STC", body=b"name=x",
                       content_type="application/x-www-form-urlencoded")
    assert status == 415, doc
    assert ex.pg.scalar("SELECT name FROM unit WHERE code = 'STC'") == "Sở Tài chính tỉnh Hà Tĩnh"
    # Back to its name: the task tables name it so.
    status, doc = call(ex, "PUT", "/api/v1/admin/units/STC", body=dict(body, name="Sở Tài chính"))
    assert status == 200, doc


def test_units_import(ex):
    csv = ("code,name,group,emails\n"
           "P-THU-NGHIEM,Phường Thử Nghiệm,xa-phuong,head:ct@thunghiem.gov.vn\n").encode()
    status, doc = call(ex, "POST", "/api/v1/admin/units/import", body=csv,
                       content_type="text/csv")
    assert status == 200, doc
    assert (doc["rows"], doc["added"]) == (1, 1), doc
    who, actor, detail = audit(ex, "import", "unit")
    assert (who, actor, detail["added"]) == (ADMIN, ADMIN, 1), (who, actor, detail)
    # The series of the group take the new unit in (as baocaoctl import units does).
    members = ex.pg.scalar("SELECT count(*) FROM series_member m JOIN unit u ON "
                           "u.id = m.unit_id WHERE u.code = 'P-THU-NGHIEM'")
    assert int(members) >= 1, members
    bad = "code,name,group\nP-SAI,Phường Sai,Nhóm Sai\n".encode()
    status, doc = call(ex, "POST", "/api/v1/admin/units/import", body=bad,
                       content_type="text/csv")
    assert status == 422 and error_code(doc) == "invalid_units_file", doc
    assert "line 2" in doc["error"]["message"] and "chưa nhập" in doc["error"]["message"], doc
    assert ex.pg.scalar("SELECT count(*) FROM unit WHERE code = 'P-SAI'") == "0"


def test_texts_outside_the_rule_refused(ex):
    """U+FFFF, U+FFFE and control characters in any admin input are refused, naming the field
    (JSON) or the line and the character (files); nothing changes."""
    body = {"name": "Sở Tài chính\uffff", "group": "so-nganh", "emails": []}
    status, doc = call(ex, "PUT", "/api/v1/admin/units/STC", body=body)
    assert status == 422 and error_code(doc) == "invalid_text", doc
    msg = doc["error"]["message"]
    assert "“name”" in msg and "U+FFFF" in msg and "hãy xoá ký tự đó" in msg, msg
    assert ex.pg.scalar("SELECT name FROM unit WHERE code = 'STC'") == "Sở Tài chính"
    status, doc = call(ex, "PUT", "/api/v1/admin/calendar/2026-11-27",
                       body={"kind": "holiday", "note": "Nghỉ\u0001"})
    assert status == 422 and error_code(doc) == "invalid_text", doc
    assert "“note”" in doc["error"]["message"] and "U+0001" in doc["error"]["message"], doc
    status, doc = call(ex, "POST", "/api/v1/admin/accounts", body={
        "login": "stc.ky.tu", "name": "Trần\ufffe", "email": "kt@stc.hatinh.gov.vn",
        "unit": "STC", "role": "reporter", "generate": True})
    assert status == 422 and "U+FFFE" in doc["error"]["message"], doc
    assert ex.pg.scalar("SELECT count(*) FROM account WHERE login = 'stc.ky.tu'") == "0"
    bad = "code,name,group\nP-KY-TU,Phường Ký\uffff Tự,xa-phuong\n".encode()
    status, doc = call(ex, "POST", "/api/v1/admin/units/import", body=bad,
                       content_type="text/csv")
    assert status == 422 and error_code(doc) == "invalid_units_file", doc
    assert "dòng 2" in doc["error"]["message"] and "U+FFFF" in doc["error"]["message"], doc
    assert ex.pg.scalar("SELECT count(*) FROM unit WHERE code = 'P-KY-TU'") == "0"
    table = TASKS.read_text(encoding="utf-8").splitlines()
    table[1] = table[1].replace(",", ",\x0b", 2)   # a vertical tab in the second field
    status, doc = call(ex, "POST", "/api/v1/admin/series/nq57-weekly/tasks/preview?file=t.csv",
                       body=("\n".join(table) + "\n").encode(), content_type="text/csv")
    assert status == 422, doc
    assert "dòng 2" in json.dumps(doc, ensure_ascii=False) and "U+000B" in json.dumps(doc), doc


def test_accounts(ex):
    status, doc = call(ex, "POST", "/api/v1/admin/accounts", body={
        "login": "stc.moi", "name": "Trần Văn Mới", "email": "moi@stc.hatinh.gov.vn",
        "unit": "STC", "role": "reporter", "generate": True})
    assert status == 201, doc
    first = doc["password"]
    assert len(first) >= 10, doc
    who, actor, detail = audit(ex, "create", "account", "stc.moi")
    assert (who, detail["unit"], detail["role"]) == (ADMIN, "STC", "reporter"), detail
    cookie = session(ex, "stc.moi", first)
    assert cookie, "the generated password does not log in"
    status, doc = call(ex, "GET", "/api/v1/admin/accounts")
    row = next(a for a in doc["accounts"] if a["login"] == "stc.moi")
    assert row["unit"] == "STC" and not row["disabled"] and row["has_password"], row
    assert row["sessions"] == 1, row

    # Mistakes.
    base = {"login": "stc.moi", "email": "a@b.vn", "unit": "STC", "role": "reporter"}
    for body, status_want, code in [
            (base, 409, "login_taken"),
            (dict(base, login="Sai Ten"), 422, "invalid_account"),
            (dict(base, login="stc.khac", unit="KHONG-CO"), 422, "unknown_unit"),
            (dict(base, login="stc.khac", role="sep"), 422, "invalid_account"),
            (dict(base, login="stc.khac", email="khong-co-a-cong"), 422, "invalid_account"),
            (dict(base, login="stc.khac", password="ngan"), 422, "invalid_account")]:
        status, doc = call(ex, "POST", "/api/v1/admin/accounts", body=body)
        assert (status, error_code(doc)) == (status_want, code), (body, doc)
        assert doc["error"]["message"].rstrip().endswith("."), doc
    assert ex.pg.scalar("SELECT count(*) FROM account WHERE login = 'stc.khac'") == "0"

    # Without a password: it cannot log in until one is set.
    status, doc = call(ex, "POST", "/api/v1/admin/accounts", body=dict(base, login="stc.khac"))
    assert status == 201 and "password" not in doc, doc

    # A typed password: the old one and the account's sessions end.
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.moi/password",
                       body={"password": "mat-khau-moi-dat-2026"})
    assert status == 200 and doc["sessions_ended"] == 1 and "password" not in doc, doc
    assert ex.d.request("GET", "/api/v1/session", headers={"Cookie": cookie})[0] == 401
    assert session(ex, "stc.moi", first) is None
    assert session(ex, "stc.moi", "mat-khau-moi-dat-2026")
    who, _, detail = audit(ex, "set_password", "account", "stc.moi")
    assert who == ADMIN and detail["sessions_ended"] == 1, detail
    # A generated one, shown once.
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.khac/password",
                       body={"generate": True})
    assert status == 200 and session(ex, "stc.khac", doc["password"]), doc
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.khac/password",
                       body={"password": "stc.khac"})
    assert status == 422 and error_code(doc) == "weak_password", doc
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/khong.co/password",
                       body={"generate": True})
    assert status == 404 and error_code(doc) == "unknown_account", doc


def test_disable_and_enable(ex):
    cookie = session(ex, "stc.moi", "mat-khau-moi-dat-2026")
    assert cookie
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.moi/disabled",
                       body={"disabled": True})
    # test_accounts left one session of stc.moi open besides this one.
    assert status == 200 and doc["changed"] and doc["sessions_ended"] == 2, doc
    assert ex.d.request("GET", "/api/v1/session", headers={"Cookie": cookie})[0] == 401
    assert session(ex, "stc.moi", "mat-khau-moi-dat-2026") is None
    who, _, detail = audit(ex, "disable", "account", "stc.moi")
    assert who == ADMIN and detail["web_sessions_ended"] == 2, detail
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.moi/disabled",
                       body={"disabled": True})
    assert status == 200 and not doc["changed"], doc
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.moi/disabled",
                       body={"disabled": False})
    assert status == 200 and doc["changed"], doc
    assert session(ex, "stc.moi", "mat-khau-moi-dat-2026")
    assert audit(ex, "enable", "account", "stc.moi")[0] == ADMIN
    status, doc = call(ex, "PUT", f"/api/v1/admin/accounts/{ADMIN}/disabled",
                       body={"disabled": True})
    assert status == 409 and error_code(doc) == "self_disable", doc
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.moi/disabled",
                       body={"disabled": "yes"})
    assert status == 400, doc


def token_works(ex, login):
    return call(ex, "GET", "/api/v1/me", login=login)[0] == 200


def new_token(ex, login):
    r = ex.d.ctl("token", "create", "--login", login, "--label", "may gui tu dong")
    assert r.returncode == 0, r.stderr
    ex.tokens[login] = r.stdout.strip()


def test_reset_revokes_tokens(ex):
    """An admin's reset of a password ends every session and revokes every API token."""
    ex.account("stc.tudong", "STC", "reporter")
    new_token(ex, "stc.tudong")   # a second one
    old = ex.tokens["stc.tudong"]
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/stc.tudong/password",
                       body={"password": "mat-khau-dat-lai-2026"})
    assert status == 200 and doc["tokens_revoked"] == 2, doc
    assert "thu hồi" in doc["message"], doc
    assert not token_works(ex, "stc.tudong")
    who, _, detail = audit(ex, "set_password", "account", "stc.tudong")
    assert who == ADMIN and detail["tokens_revoked"] == 2, detail
    # baocaoctl on the server does the same.
    new_token(ex, "stc.tudong")
    cookie = session(ex, "stc.tudong", "mat-khau-dat-lai-2026")
    r = ex.d.ctl("account", "passwd", "--login", "stc.tudong", "--password-file",
                 write(ex, "pw-tudong", "mat-khau-thu-ba-2026"))
    assert r.returncode == 0 and "API tokens revoked: 1" in r.stdout, (r.stdout, r.stderr)
    assert not token_works(ex, "stc.tudong") and ex.tokens["stc.tudong"] != old
    assert ex.d.request("GET", "/api/v1/session", headers={"Cookie": cookie})[0] == 401
    assert audit(ex, "set_password", "account", "stc.tudong")[2]["tokens_revoked"] == 1


def test_admins_guarded(ex):
    """Over the API no admin takes over another admin nor disables the last one; baocaoctl on
    the server can."""
    ex.account("quantri2", "SKHCN", "admin")
    status, doc = call(ex, "PUT", "/api/v1/admin/accounts/quantri2/password",
                       body={"generate": True})
    assert status == 403 and error_code(doc) == "admin_password", doc
    assert "baocaoctl account passwd" in doc["error"]["message"], doc
    assert token_works(ex, "quantri2")
    assert audit(ex, "set_password", "account", "quantri2") is None

    # Two admins disabling each other at once: one is refused, one admin stays. A psql
    # session holds the admins' rows so that both requests wait in their transactions.
    holder = subprocess.Popen(["psql", ex.pg.conninfo, "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                              env=dict(os.environ, PGAPPNAME="admin_lock"))
    results = {}
    threads = []
    try:
        holder.stdin.write("BEGIN; SELECT id FROM account WHERE role = 'admin' FOR UPDATE;\n")
        holder.stdin.flush()
        wait_for(lambda: ex.pg.scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                                      "application_name = 'admin_lock' AND "
                                      "state = 'idle in transaction'") == "1",
                 what="the lock holder")

        def disable(actor, target):
            results[actor] = call(ex, "PUT", f"/api/v1/admin/accounts/{target}/disabled",
                                  body={"disabled": True}, login=actor)

        threads = [threading.Thread(target=disable, args=(ADMIN, "quantri2")),
                   threading.Thread(target=disable, args=("quantri2", ADMIN))]
        for t in threads:
            t.start()
        wait_for(lambda: ex.pg.scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                                      "wait_event_type = 'Lock'") == "2",
                 what="both requests waiting")
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        for t in threads:
            t.join(30)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 409], results
    refused = next(doc for status, doc in results.values() if status == 409)
    assert error_code(refused) == "last_admin" and "baocaoctl" in refused["error"]["message"]
    assert ex.pg.scalar("SELECT count(*) FROM account WHERE role = 'admin' "
                        "AND NOT disabled") == "1"
    left = ex.pg.scalar("SELECT login FROM account WHERE role = 'admin' AND NOT disabled")
    gone = "quantri2" if left == ADMIN else ADMIN
    # The last one cannot disable itself over the API either.
    status, doc = call(ex, "PUT", f"/api/v1/admin/accounts/{left}/disabled",
                       body={"disabled": True}, login=left)
    assert status == 409, doc

    # On the server: another admin's password, and the other admin enabled again.
    r = ex.d.ctl("account", "passwd", "--login", "quantri2", "--password-file",
                 write(ex, "pw-quantri2", "mat-khau-quan-tri-hai"))
    assert r.returncode == 0, r.stderr
    assert audit(ex, "set_password", "account", "quantri2") is not None
    r = ex.d.ctl("account", "enable", "--login", gone)
    assert r.returncode == 0, r.stderr
    # baocaoctl may also disable the last enabled admin (the server's own operator decides).
    for login in ("quantri2", ADMIN):
        r = ex.d.ctl("account", "disable", "--login", login)
        assert r.returncode == 0, r.stderr
    assert "no enabled administrator is left" in r.stderr, r.stderr
    assert ex.pg.scalar("SELECT count(*) FROM account WHERE role = 'admin' "
                        "AND NOT disabled") == "0"
    r = ex.d.ctl("account", "enable", "--login", ADMIN)
    assert r.returncode == 0, r.stderr


def task_state(ex):
    return ex.pg.psql("SELECT code, title, active FROM task ORDER BY code")


def test_tasks_preview_and_import(ex):
    original = TASKS.read_text(encoding="utf-8")
    # The units changed (test_units_import): the catalogue as it is now, first.
    status, doc = call(ex, "POST", "/api/v1/admin/series/nq57-weekly/tasks/import",
                       body=original.encode(), content_type="text/csv")
    assert status == 200, doc
    lines = original.splitlines()
    # Drop the last task, retitle NQ57-02, add NQ57-99 (the other tasks keep their places).
    last = lines[-1].split(",")[0]
    changed = [ln for ln in lines if not ln.startswith(last + ",")]
    changed = [ln.replace("Xây dựng trung tâm phục vụ", "Xây dựng mới trung tâm phục vụ")
               for ln in changed]
    changed.append("NQ57-99,99,Nhiệm vụ thử nghiệm mới,Sở Tài chính,,Báo cáo,Năm 2026")
    body = ("\n".join(changed) + "\n").encode()
    before = task_state(ex)
    audits = ex.pg.scalar("SELECT count(*) FROM audit_log")
    path = "/api/v1/admin/series/nq57-weekly/tasks/preview?file=thu.csv"
    status, doc = call(ex, "POST", path, body=body, content_type="text/csv")
    assert status == 200 and doc["dry_run"], doc
    assert doc["added"] == ["NQ57-99"] and doc["updated"] == ["NQ57-02"], doc
    assert doc["deactivated"] == [last], doc
    assert "Áp dụng" in doc["message"], doc
    assert task_state(ex) == before, "the preview changed the tasks"
    assert ex.pg.scalar("SELECT count(*) FROM audit_log") == audits, "the preview was audited"

    status, doc = call(ex, "POST", "/api/v1/admin/series/nq57-weekly/tasks/import?file=thu.csv",
                       body=body, content_type="text/csv")
    assert status == 200 and not doc["dry_run"] and doc["added"] == ["NQ57-99"], doc
    assert ex.pg.scalar(f"SELECT active FROM task WHERE code = '{last}'") == "f"
    who, actor, detail = audit(ex, "import", "task", "nq57-weekly")
    assert (who, detail["file"], detail["deactivated_codes"]) == (ADMIN, "thu.csv", [last])
    # The open period's roster follows: STC now has NQ57-99 this week.
    status, _, raw = ex.get("stc.baocao", "/api/v1/series/nq57-weekly/periods/2026-W48/tasks")
    assert status == 200 and "NQ57-99" in raw.decode(), raw[:300]

    # An unknown lead unit: every problem by line, nothing stored.
    bad = body + "NQ57-98,98,Nhiệm vụ sai,Sở Không Tồn Tại,,Báo cáo,Năm 2026\n".encode()
    status, doc = call(ex, "POST", "/api/v1/admin/series/nq57-weekly/tasks/preview",
                       body=bad, content_type="text/csv")
    assert status == 422 and error_code(doc) == "invalid_task_table", doc
    assert any("Sở Không Tồn Tại" in e and "line" in e for e in doc["errors"]), doc
    status, doc = call(ex, "POST", "/api/v1/admin/series/nq57-weekly/tasks/import",
                       body=bad, content_type="text/csv")
    assert status == 422, doc
    assert ex.pg.scalar("SELECT count(*) FROM task WHERE code = 'NQ57-98'") == "0"
    status, doc = call(ex, "POST", "/api/v1/admin/series/khong-co/tasks/preview", body=body,
                       content_type="text/csv")
    assert status == 404 and error_code(doc) == "unknown_series", doc
    status, doc = call(ex, "POST", "/api/v1/admin/series/nq57-weekly/tasks/preview", body=b"",
                       content_type="text/csv")
    assert status == 400 and error_code(doc) == "empty_file", doc
    # Back to the file of the example.
    status, doc = call(ex, "POST", "/api/v1/admin/series/nq57-weekly/tasks/import",
                       body=original.encode(), content_type="text/csv")
    assert status == 200 and doc["added"] == [] and doc["deactivated"] == ["NQ57-99"], doc


def w48_deadline(ex):
    status, doc = ex.d.get_json("/api/v1/series/nq57-weekly/periods/2026-W48")
    assert status == 200, doc
    return doc["unit_deadline"]


def test_calendar(ex):
    status, doc = call(ex, "GET", "/api/v1/admin/calendar?year=2026")
    assert status == 200 and any(d["day"] == "2026-09-02" and d["kind"] == "holiday"
                                 for d in doc["days"]), doc
    assert w48_deadline(ex) == "2026-11-27T11:00:00+07:00"
    status, doc = call(ex, "PUT", "/api/v1/admin/calendar/2026-11-27",
                       body={"kind": "holiday", "note": "Nghỉ thử nghiệm"})
    assert status == 200, doc
    # The open period follows at once: Thursday, the working day before.
    assert w48_deadline(ex) == "2026-11-26T11:00:00+07:00"
    who, _, detail = audit(ex, "set", "calendar", "2026-11-27")
    assert who == ADMIN and detail == {"kind": "holiday", "note": "Nghỉ thử nghiệm"}, detail
    status, doc = call(ex, "PUT", "/api/v1/admin/calendar/2026-11-26",
                       body={"kind": "workday", "note": "sai"})
    assert status == 422 and error_code(doc) == "not_a_weekend", doc
    status, doc = call(ex, "PUT", "/api/v1/admin/calendar/2026-13-01", body={"kind": "holiday"})
    assert status == 404 and error_code(doc) == "invalid_day", doc
    status, doc = call(ex, "PUT", "/api/v1/admin/calendar/2026-11-28", body={"kind": "nghi"})
    assert status == 400, doc
    status, doc = call(ex, "DELETE", "/api/v1/admin/calendar/2026-11-27")
    assert status == 200, doc
    assert w48_deadline(ex) == "2026-11-27T11:00:00+07:00"
    assert audit(ex, "remove", "calendar", "2026-11-27")[0] == ADMIN
    status, doc = call(ex, "DELETE", "/api/v1/admin/calendar/2026-11-27")
    assert status == 404 and error_code(doc) == "no_such_day", doc
    status, doc = call(ex, "GET", "/api/v1/admin/calendar?year=abc")
    assert status == 400, doc


def test_period_override(ex):
    path = "/api/v1/admin/series/nq57-weekly/periods/2026-W48/override"
    body = {"unit_deadline": "2026-11-30 09:00", "consolidation_deadline": "2026-11-30 16:00",
            "note": "Lùi hạn do mất điện"}
    status, doc = call(ex, "PUT", path, body=body)
    assert status == 200 and doc["period"]["overridden"], doc
    assert w48_deadline(ex) == "2026-11-30T09:00:00+07:00"
    who, _, detail = audit(ex, "override", "period", "nq57-weekly/2026-W48")
    assert who == ADMIN and detail["note"] == "Lùi hạn do mất điện", detail
    status, doc = call(ex, "GET", "/api/v1/admin/series")
    w48 = next(p for s in doc["series"] if s["name"] == "nq57-weekly" for p in s["periods"]
               if p["period"] == "2026-W48")
    assert w48["overridden"] and w48["unit_deadline"] == "2026-11-30T09:00:00+07:00", w48
    for bad, want in [(dict(body, consolidation_deadline="2026-11-29 16:00"), 422),
                      (dict(body, unit_deadline="thứ Hai"), 400)]:
        status, doc = call(ex, "PUT", path, body=bad)
        assert status == want, (bad, doc)
    status, doc = call(ex, "DELETE", path)
    assert status == 200 and not doc["period"]["overridden"], doc
    assert w48_deadline(ex) == "2026-11-27T11:00:00+07:00"
    assert audit(ex, "clear_override", "period", "nq57-weekly/2026-W48")[0] == ADMIN


def test_outbox(ex):
    ex.pg.psql("INSERT INTO outbox (dedup_key, recipient, subject, body, state, attempts, "
               "last_error, failed_at) VALUES ('thu:1', 'a@stc.hatinh.gov.vn', 'Thư thử', "
               "'x', 'failed', 3, '550 mailbox unavailable', now()), "
               "('thu:2', 'b@stc.hatinh.gov.vn', 'Thư đã gửi', 'x', 'sent', 1, NULL, NULL)")
    status, doc = call(ex, "GET", "/api/v1/admin/outbox?failed=1")
    assert status == 200, doc
    keys = [m["key"] for m in doc["messages"]]
    assert "thu:1" in keys and "thu:2" not in keys, keys
    failed = next(m for m in doc["messages"] if m["key"] == "thu:1")
    assert failed["last_error"] == "550 mailbox unavailable" and failed["attempts"] == 3, failed
    sent = ex.pg.scalar("SELECT id FROM outbox WHERE dedup_key = 'thu:2'")
    status, doc = call(ex, "POST", f"/api/v1/admin/outbox/{sent}/retry", body={})
    assert status == 409 and error_code(doc) == "not_retryable", doc
    status, doc = call(ex, "POST", f"/api/v1/admin/outbox/{failed['id']}/retry", body={})
    assert status == 200, doc
    assert ex.pg.scalar(f"SELECT state FROM outbox WHERE id = {failed['id']}") in (
        "queued", "sending", "sent", "deferred", "failed")
    assert ex.pg.scalar(f"SELECT failed_at IS NULL OR state = 'failed' FROM outbox "
                        f"WHERE id = {failed['id']}") == "t"
    assert audit(ex, "retry", "outbox", str(failed["id"]))[0] == ADMIN
    status, doc = call(ex, "POST", "/api/v1/admin/outbox/abc/retry", body={})
    assert status == 404, doc


def test_csrf_needed_with_a_session(ex):
    """The pages' cookie alone cannot change anything."""
    ex.d.ctl("account", "passwd", "--login", ADMIN, "--password-file",
             write(ex, "pw", "mat-khau-quan-tri-2026"), check=True)
    # The new password revoked the admin's API token: the later tests get a new one.
    assert not token_works(ex, ADMIN)
    new_token(ex, ADMIN)
    cookie = session(ex, ADMIN, "mat-khau-quan-tri-2026")
    status, _, raw = ex.d.request("PUT", "/api/v1/admin/accounts/stc.moi/disabled",
                                  body={"disabled": True}, headers={"Cookie": cookie})
    assert status == 403 and json.loads(raw)["error"]["code"] == "csrf", raw
    assert ex.pg.scalar("SELECT disabled FROM account WHERE login = 'stc.moi'") == "f"


def write(ex, name, text):
    p = ex.work.path / name
    p.write_text(text + "\n", encoding="utf-8")
    return p


if __name__ == "__main__":
    sys.exit(run_tests([test_non_admins_refused, test_units_list_and_edit, test_units_import,
                        test_texts_outside_the_rule_refused, test_accounts, test_disable_and_enable, test_tasks_preview_and_import,
                        test_calendar, test_period_override, test_outbox,
                        test_csrf_needed_with_a_session, test_reset_revokes_tokens,
                        test_admins_guarded],
                       setup=setup, teardown=teardown))
