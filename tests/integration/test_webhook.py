#!/usr/bin/env python3
"""Webhooks, with the test clock and a receiver that checks every signature and timestamp and
fails on an id it has already taken: the units file and the admin's form carry a unit's
webhook and never its secret; a reminder and a return reach the units' webhooks signed; a
receiver that answers 500 first gets the same id again once it takes it, and nothing twice; a
unit without a webhook gets none, one with a webhook and no address gets its reminder; a unit with a webhook and no secret
yet has its notice failed at once, saying what to run, and taken once the secret is set and the
admin sends it again; a changed secret changes the signature (the receiver that
still knows the old one refuses it, and takes it once it knows the new one); the recipient
unit's webhook is told of the final version delivered."""
import hashlib
import hmac
import json
import os
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
BASE = "/api/v1/series/nq57-weekly/periods"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao"}
COORDINATOR = "skhcn.dieuphoi"
ADMIN = "quantri"
STC_SECRET = "bi-mat-cua-so-tai-chinh-2026"


class Receiver(BaseHTTPRequestHandler):
    """A unit's endpoint (/hook/CODE): checks the signature with the secret it knows and the
    timestamp against the test clock; takes each id once; answers 500 to the first POST of a
    unit listed in fail_first."""
    secrets = {}            # unit -> the secret the receiver knows
    fail_first = set()
    posts = []              # (unit, headers, body, status answered)
    taken = {}              # id -> (unit, payload)
    problems = []           # what must never happen: an id twice, a bad timestamp
    clock = (0, 0)          # the test clock's last two settings (unix seconds)
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        unit = self.path.split("?")[0].rsplit("/", 1)[-1]
        headers = dict(self.headers)
        with Receiver.lock:
            status = Receiver.judge(unit, headers, body)
            Receiver.posts.append((unit, headers, body, status))
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    @classmethod
    def judge(cls, unit, headers, body):
        ts = headers.get("X-Baocao-Timestamp", "")
        if not ts.isdigit() or not cls.clock[0] <= int(ts) < cls.clock[1] + 300:
            cls.problems.append(f"{unit}: timestamp {ts!r}, clock {cls.clock}")
            return 400
        if not verify(cls.secrets.get(unit, ""), ts, body,
                      headers.get("X-Baocao-Signature", "")):
            return 401
        if unit in cls.fail_first:
            cls.fail_first.discard(unit)
            return 500
        payload = json.loads(body)
        if payload["id"] in cls.taken:
            cls.problems.append(f"{unit}: id {payload['id']} arrived twice")
            return 200
        if payload["id"] != headers.get("Idempotency-Key"):
            cls.problems.append(f"{unit}: Idempotency-Key is not the id")
        cls.taken[payload["id"]] = (unit, payload)
        return 200

    def log_message(self, *args):
        pass


def sign(secret, ts, body):
    """What the receiver computes: HMAC-SHA256 of "TIMESTAMP.BODY", hex."""
    return hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret, ts, body, header):
    return bool(secret) and hmac.compare_digest(header, "sha256=" + sign(secret, ts, body))


def taken(unit, event=None):
    with Receiver.lock:
        return [p for u, p in Receiver.taken.values()
                if u == unit and (event is None or p["event"] == event)]


def posts(unit):
    with Receiver.lock:
        return [p for p in Receiver.posts if p[0] == unit]


def setup():
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        ex = Example("webhook", NOW, **{"testing.clock_control": "true"})
    except Exception:
        receiver.shutdown()
        raise
    ex.receiver = receiver
    Receiver.clock = (unix(NOW), unix(NOW))
    try:
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account(COORDINATOR, "SKHCN", "coordinator")
        ex.account("vptu.nhan", "VPTU", "recipient")
        ex.account(ADMIN, "SKHCN", "admin")
        # The webhooks come with the units file; a token in the query is never shown.
        hook = f"http://127.0.0.1:{receiver.server_port}/hook"
        units = ex.work.path / "hooks.csv"
        units.write_text(
            "code,name,group,webhook\n"
            f"STC,Sở Tài chính,so-nganh,{hook}/STC?token=khoa-bi-mat\n"
            f"SNV,Sở Nội vụ,so-nganh,{hook}/SNV\n"
            "SXD,Sở Xây dựng,so-nganh,\n"
            f"SGDDT,Sở Giáo dục và Đào tạo,so-nganh,{hook}/SGDDT\n"
            f"SCT,Sở Công Thương,so-nganh,{hook}/SCT\n"
            f"VPTU,Văn phòng Tỉnh ủy,dang-doan-the,{hook}/VPTU\n", encoding="utf-8")
        r = ex.d.ctl("import", "units", units)
        assert r.returncode == 0, r.stderr
        # One secret given on standard input, the others made and printed once.
        r = ex.d.ctl("unit", "webhook-secret", "STC", input=STC_SECRET + "\n")
        assert r.returncode == 0 and STC_SECRET not in r.stdout, (r.stdout, r.stderr)
        Receiver.secrets["STC"] = STC_SECRET
        for unit in ("SNV", "SGDDT", "VPTU"):
            r = ex.d.ctl("unit", "webhook-secret", unit, "--generate")
            assert r.returncode == 0, r.stderr
            Receiver.secrets[unit] = r.stdout.strip()
            assert len(Receiver.secrets[unit]) == 64, r.stdout
    except Exception:
        teardown(ex)
        raise
    return ex


def teardown(ex):
    if ex is None:
        return
    try:
        ex.receiver.shutdown()
    finally:
        ex.close()


def call(ex, login, method, path, body=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    if body is not None:
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    status, _, raw = ex.d.request(method, path, body=body, headers=headers)
    return status, json.loads(raw) if raw.startswith(b"{") else raw


def unix(when):
    return int(datetime.fromisoformat(when).timestamp())


def set_clock(ex, when):
    """Moves the test clock forward; a POST signed just before still counts as on time."""
    with Receiver.lock:
        Receiver.clock = (Receiver.clock[1], unix(when))
    status, doc = call(ex, ADMIN, "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, doc


def hook_rows(ex, unit):
    """(state, kind, attempts) of the unit's webhook items, oldest first."""
    return ex.pg.psql("SELECT state, kind, attempts FROM outbox WHERE channel = 'webhook' "
                      f"AND unit = '{unit}' ORDER BY id")


def remind(ex):
    status, doc = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/remind")
    assert status == 200 and doc["queued_now"] is True, doc


def test_the_units_carry_the_webhook_and_never_the_secret(ex):
    status, doc = call(ex, ADMIN, "GET", "/api/v1/admin/units")
    assert status == 200, doc
    units = {u["code"]: u for u in doc["units"]}
    assert units["STC"]["webhook"].endswith("/hook/STC?token=khoa-bi-mat"), units["STC"]
    assert units["STC"]["webhook_secret_set"] is True
    assert units["SXD"]["webhook"] is None and units["SXD"]["webhook_secret_set"] is False
    assert units["SYT"]["webhook"] is None       # not in the file: as it was
    raw = json.dumps(doc)
    assert all(s not in raw for s in Receiver.secrets.values())
    # Kept sealed: not the secret itself in the database.
    stored = ex.pg.scalar("SELECT webhook_secret FROM unit WHERE code = 'STC'")
    assert stored and STC_SECRET not in stored
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'webhook_secret'") == "4"
    # The form: an address that is not https:// is refused, saying what to write.
    body = {"name": "Sở Xây dựng", "group": "so-nganh", "emails": [],
            "webhook": "http://thongbao.sxd.example.vn/baocao"}
    status, doc = call(ex, ADMIN, "PUT", "/api/v1/admin/units/SXD", body)
    assert status == 422 and doc["error"]["code"] == "invalid_webhook", doc
    assert "https://" in doc["error"]["message"], doc
    for wrong in (42, ["https://a.vn"], "https://a.vn/" + "x" * 2000):
        status, doc = call(ex, ADMIN, "PUT", "/api/v1/admin/units/SXD", dict(body, webhook=wrong))
        assert status == 422 and doc["error"]["code"] == "invalid_webhook", (wrong, doc)
    status, doc = call(ex, ADMIN, "PUT", "/api/v1/admin/units/SXD",
                       dict(body, webhook="https://thongbao.sxd.example.vn/baocao"))
    assert status == 200, doc
    assert ex.pg.scalar("SELECT webhook FROM unit WHERE code = 'SXD'") == \
        "https://thongbao.sxd.example.vn/baocao"
    status, doc = call(ex, ADMIN, "PUT", "/api/v1/admin/units/SXD", dict(body, webhook=None))
    assert status == 200, doc
    assert ex.pg.scalar("SELECT webhook IS NULL FROM unit WHERE code = 'SXD'") == "t"
    # The units file too; and a secret too short for the command.
    bad = ex.work.path / "bad.csv"
    bad.write_text("code,name,group,webhook\nSXD,Sở Xây dựng,so-nganh,ftp://sxd.vn/x\n",
                   encoding="utf-8")
    r = ex.d.ctl("import", "units", bad)
    assert r.returncode == 1 and "webhook must be an https:// URL" in r.stderr, r.stderr
    r = ex.d.ctl("unit", "webhook-secret", "SXD", input="ngan\n")
    assert r.returncode == 1 and "16 to 256" in r.stderr, r.stderr
    r = ex.d.ctl("unit", "webhook-secret", "KHONG-CO", "--generate")
    assert r.returncode == 1 and "no unit KHONG-CO" in r.stderr, r.stderr


def test_a_reminder_reaches_the_webhooks_signed(ex):
    Receiver.fail_first.add("SNV")
    remind(ex)
    wait_for(lambda: taken("STC", "reminder"), what="the reminder at STC's webhook")
    wait_for(lambda: [r for r in hook_rows(ex, "SNV") if r[0] == "deferred"],
             what="SNV's webhook deferred after its 500")
    (got,) = taken("STC", "reminder")
    assert list(got) == ["id", "event", "series", "period", "unit", "at", "text", "url"], got
    assert (got["series"], got["period"], got["unit"]) == ("nq57-weekly", PERIOD, "STC"), got
    assert got["at"].startswith("2026-12-09T09:0") and got["at"].endswith("+07:00"), got
    assert got["text"].startswith("Nhắc gửi báo cáo"), got
    assert got["url"].endswith(f"/?series=nq57-weekly&period={PERIOD}"), got
    # Every address of STC got the mail; its webhook the one notice.
    assert ex.pg.scalar("SELECT count(*) FROM outbox WHERE channel = 'mail' AND kind = "
                        "'reminder' AND dedup_key LIKE '%:STC:%'") >= "1"
    assert [r[1] for r in hook_rows(ex, "STC")] == ["reminder"]
    # A unit without a webhook gets none; one without an address but a webhook is told there.
    assert hook_rows(ex, "SXD") == [] and posts("SXD") == []
    assert ex.pg.scalar("SELECT count(*) FROM outbox WHERE channel = 'mail' "
                        "AND dedup_key LIKE '%:SGDDT:%'") == "0"
    wait_for(lambda: taken("SGDDT", "reminder"), what="the reminder at SGDDT's webhook")
    # The admin's outbox lists them with the mails: the URL without its query.
    status, doc = call(ex, ADMIN, "GET", "/api/v1/admin/outbox")
    hooks = [m for m in doc["messages"] if m["channel"] == "webhook"]
    assert {m["recipient"].rsplit("/", 1)[-1] for m in hooks} == \
        {"STC", "SNV", "SGDDT", "SCT"}, hooks
    assert "khoa-bi-mat" not in json.dumps(doc)
    snv = next(m for m in hooks if m["recipient"].endswith("/SNV"))
    assert snv["state"] == "deferred" and "HTTP 500" in snv["last_error"], snv
    # SCT's webhook has no secret yet: its notice failed at once, nothing was POSTed, and the
    # error says what to run; once the secret is set, the admin sends it again.
    wait_for(lambda: [r[0] for r in hook_rows(ex, "SCT")] == ["failed"],
             what="SCT's notice failed for want of a secret")
    status, doc = call(ex, ADMIN, "GET", "/api/v1/admin/outbox?failed=1")
    (sct,) = [m for m in doc["messages"] if m["recipient"].endswith("/SCT")]
    assert "baocaoctl unit webhook-secret SCT" in sct["last_error"], sct
    assert posts("SCT") == []
    r = ex.d.ctl("unit", "webhook-secret", "SCT", "--generate")
    assert r.returncode == 0, r.stderr
    with Receiver.lock:
        Receiver.secrets["SCT"] = r.stdout.strip()
    status, doc = call(ex, ADMIN, "POST", f"/api/v1/admin/outbox/{sct['id']}/retry")
    assert status == 200, doc
    wait_for(lambda: taken("SCT", "reminder"), what="SCT's notice taken once it has a secret")
    # The unit's timeline shows its webhook as "webhook", never its URL (often its secret).
    status, doc = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/timeline?unit=STC")
    assert status == 200, doc
    shown = [a for e in doc["events"] if e["kind"] == "reminder" for a in e["addresses"]]
    assert "webhook" in [a["address"] for a in shown], shown
    assert "/hook/" not in json.dumps(doc) and "khoa-bi-mat" not in json.dumps(doc), doc


def test_a_failed_post_is_retried_with_the_same_id(ex):
    set_clock(ex, "2026-12-09T09:06:00+07:00")
    wait_for(lambda: taken("SNV", "reminder"), what="SNV's reminder retried")
    first, second = posts("SNV")
    assert (first[3], second[3]) == (500, 200)
    assert first[2] == second[2], "the retry sends the same body"
    assert first[1]["Idempotency-Key"] == second[1]["Idempotency-Key"]
    assert first[1]["X-Baocao-Timestamp"] != second[1]["X-Baocao-Timestamp"]
    assert hook_rows(ex, "SNV") == [["sent", "reminder", "2"]]
    assert Receiver.problems == []


def test_a_return_reaches_the_webhook(ex):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40}
            for code, _ in ex.tasks_of("STC")]
    body = build_workbook(rows, meta=meta_for_unit(ex, "STC", PERIOD))
    status, _, raw = ex.put("stc.baocao", PERIOD, body, content_type=XLSX)
    assert status == 201, raw
    comment = "Đề nghị bổ sung số liệu giải ngân."
    status, doc = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=STC",
                       {"version": 1, "decision": "returned", "comment": comment})
    assert status == 200, doc
    wait_for(lambda: taken("STC", "returned"), what="the return at STC's webhook")
    (got,) = taken("STC", "returned")
    assert got["text"].startswith("Báo cáo cần bổ sung"), got
    assert got["url"].endswith(f"?series=nq57-weekly&period={PERIOD}"), got
    assert [r[1] for r in hook_rows(ex, "STC")] == ["reminder", "review_return"]
    # A unit with a webhook and no address is told of its extension there (and the answer
    # says no mail could tell it).
    status, doc = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/extension?unit=SGDDT",
                       {"until": "2026-12-14T17:00:00+07:00", "reason": "Mất điện kéo dài"})
    assert status == 200 and doc["messages"] == 0, doc
    assert "chưa có địa chỉ thư điện tử" in doc["message"], doc
    wait_for(lambda: taken("SGDDT", "extension"), what="the extension at SGDDT's webhook")


def test_a_changed_secret_changes_the_signature(ex):
    new = "bi-mat-moi-cua-so-noi-vu-2026"
    r = ex.d.ctl("unit", "webhook-secret", "SNV", input=new + "\n")
    assert r.returncode == 0, r.stderr
    # The receiver still knows the old one: it refuses the next notice (401, not retried).
    set_clock(ex, "2026-12-09T09:20:00+07:00")
    remind(ex)
    wait_for(lambda: len(hook_rows(ex, "SNV")) == 2 and hook_rows(ex, "SNV")[1][0] == "failed",
             what="SNV's second reminder refused")
    unit, headers, body, status = posts("SNV")[-1]
    assert status == 401
    ts, signature = headers["X-Baocao-Timestamp"], headers["X-Baocao-Signature"]
    assert verify(new, ts, body, signature)
    assert not verify(Receiver.secrets["SNV"], ts, body, signature)
    # Told the new one, it takes the notice the admin sends again: the same id.
    with Receiver.lock:
        Receiver.secrets["SNV"] = new
    status, doc = call(ex, ADMIN, "GET", "/api/v1/admin/outbox?failed=1")
    (failed,) = [m for m in doc["messages"] if m["channel"] == "webhook"]
    assert "HTTP 401" in failed["last_error"], failed
    status, doc = call(ex, ADMIN, "POST", f"/api/v1/admin/outbox/{failed['id']}/retry")
    assert status == 200, doc
    wait_for(lambda: len(taken("SNV", "reminder")) == 2, what="the notice taken")
    assert posts("SNV")[-1][1]["Idempotency-Key"] == headers["Idempotency-Key"]
    assert Receiver.problems == []


def test_a_delivery_reaches_the_recipient_webhook(ex):
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    wait_for(lambda: ex.pg.scalar(
        "SELECT state FROM period WHERE period_key = '2026-W50' AND series_id = "
        "(SELECT id FROM series WHERE name = 'nq57-weekly')") == "cut_off", timeout=60,
        what="the cut-off")
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, doc = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201, doc
    wait_for(lambda: taken("VPTU", "delivered"), what="the delivery at VPTU's webhook")
    (got,) = taken("VPTU", "delivered")
    assert got["version"] == 1 and got["unit"] == "VPTU", got
    assert got["text"].startswith("Báo cáo tổng hợp"), got
    assert got["url"].endswith(f"/received.html?series=nq57-weekly&period={PERIOD}"), got
    # A notice, not the delivery: the version is delivered by mail whatever the webhook does.
    assert ex.pg.scalar("SELECT count(*) FROM outbox WHERE kind = 'final_delivery' "
                        "AND channel = 'webhook'") == "1"
    # Whatever arrived over the whole file (reminders of the clock's moves too), each once.
    assert Receiver.problems == []
    assert not [p for p in Receiver.posts if p[3] not in (200, 401, 500)], Receiver.posts
    # The token in STC's webhook URL reaches no log line.
    assert "khoa-bi-mat" not in ex.d.log_text()


if __name__ == "__main__":
    sys.exit(run_tests([test_the_units_carry_the_webhook_and_never_the_secret,
                        test_a_reminder_reaches_the_webhooks_signed,
                        test_a_failed_post_is_retried_with_the_same_id,
                        test_a_return_reaches_the_webhook,
                        test_a_changed_secret_changes_the_signature,
                        test_a_delivery_reaches_the_recipient_webhook],
                       setup=setup, teardown=teardown))
