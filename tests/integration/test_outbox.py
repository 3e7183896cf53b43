#!/usr/bin/env python3
"""The outbox's sender against a real SMTP server (Debian's aiosmtpd): receipts mailed, retries
while the server is down, permanent failures, leases that ran out, expiry, the .eml spool."""
import datetime
import email
import email.policy
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import free_port, run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"   # Wednesday of week 48
PERIOD = "2026-W48"


class Handler:
    """Keeps every message; refuses recipients whose local part starts with reject550."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject550"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(bytes(envelope.original_content),
                                                          policy=email.policy.default))
        return "250 2.0.0 accepted"

    def with_id(self, message_id):
        with self.lock:
            return [m for m in self.messages if m["Message-ID"] == message_id]


def start_smtp(ex):
    ex.smtp = Controller(ex.handler, hostname="127.0.0.1", port=ex.smtp_port)
    ex.smtp.start()


def setup():
    handler = Handler()
    port = free_port()
    ex = Example("outbox", NOW, **{"mail.smtp_url": f"smtp://127.0.0.1:{port}",
                                   "mail.reply_to": "vanphong@skhcn.example.vn",
                                   "testing.clock_control": "true"})
    ex.handler, ex.smtp_port, ex.smtp = handler, port, None
    try:
        start_smtp(ex)
        ex.account("stc.baocao", "STC", "reporter")
        ex.account("quantri", "SKHCN", "admin")
    except Exception:
        teardown(ex)
        raise
    return ex


def teardown(ex):
    if ex is None:
        return
    try:
        if ex.smtp:
            ex.smtp.stop()
    finally:
        ex.close()


def upload(ex, note):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 50,
             "Ghi chú": note} for code, _ in ex.tasks_of("STC")]
    body = build_workbook(rows, meta=meta_for_unit(ex, "STC", PERIOD))
    status, _, raw = ex.put("stc.baocao", PERIOD, body, content_type=XLSX)
    assert status == 201, raw
    return json.loads(raw)


def row(ex, where):
    cols = "id, state, attempts, message_id, coalesce(last_error, '')"
    rows = ex.pg.psql(f"SELECT {cols} FROM outbox WHERE {where} ORDER BY id DESC LIMIT 1")
    return dict(zip(["id", "state", "attempts", "message_id", "last_error"], rows[0]))


def move_clock(ex, minutes):
    now = json.loads(ex.d.get("/readyz")[2])["now"]
    t = datetime.datetime.fromisoformat(now) + datetime.timedelta(minutes=minutes)
    status, _, raw = ex.d.request("PUT", "/api/v1/testing/clock",
                                  body=json.dumps({"now": t.isoformat()}).encode(),
                                  headers={"Authorization": f"Bearer {ex.tokens['quantri']}",
                                           "Content-Type": "application/json"})
    assert status == 200, raw


def queue(ex, key, to, **columns):
    """Queues a message by hand, due now by the daemon's clock; columns are SQL expressions."""
    cols = {"dedup_key": f"'{key}'", "recipient": f"'{to}'", "subject": f"'Thử nghiệm {key}'",
            "body": "'Nội dung thử'", "created_at": f"'{NOW}'::timestamptz",
            "next_attempt_at": f"'{NOW}'::timestamptz", **columns}
    ex.pg.psql(f"INSERT INTO outbox ({', '.join(cols)}) VALUES ({', '.join(cols.values())})")
    return row(ex, f"dedup_key = '{key}'")


def test_receipt_mail_arrives(ex):
    receipt = upload(ex, "lần một")
    msg = row(ex, f"dedup_key = 'receipt:{receipt['submission']}'")
    wait_for(lambda: ex.handler.with_id(msg["message_id"]), what="the receipt mail")
    got = ex.handler.with_id(msg["message_id"])
    assert len(got) == 1
    m = got[0]
    assert m["To"] == "stc.baocao@example.vn", m["To"]
    assert m["Reply-To"] == "vanphong@skhcn.example.vn", m["Reply-To"]
    # The Vietnamese subject and body arrive as they were queued, to the character.
    subject, body = ex.pg.psql("SELECT subject, encode(convert_to(body, 'UTF8'), 'hex') "
                               f"FROM outbox WHERE id = {msg['id']}")[0]
    body = bytes.fromhex(body).decode("utf-8")
    assert m["Subject"] == subject == "Biên nhận báo cáo nq57-weekly kỳ 2026-W48 - Sở Tài chính"
    text = m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text == body and receipt["signature"] in text, (text, body)
    wait_for(lambda: row(ex, f"id = {msg['id']}")["state"] == "sent", what="state sent")


def test_server_down_then_back(ex):
    ex.smtp.stop()
    ex.smtp = None
    receipt = upload(ex, "lần hai")
    key = f"receipt:{receipt['submission']}"
    wait_for(lambda: row(ex, f"dedup_key = '{key}'")["state"] == "deferred", what="deferred")
    msg = row(ex, f"dedup_key = '{key}'")
    assert msg["attempts"] == "1" and msg["last_error"], msg
    # Nothing more is tried before the backoff (5 minutes at least) is over.
    start_smtp(ex)
    assert row(ex, f"dedup_key = '{key}'")["attempts"] == "1"
    move_clock(ex, 10)
    wait_for(lambda: row(ex, f"dedup_key = '{key}'")["state"] == "sent", what="sent when back")
    assert len(ex.handler.with_id(msg["message_id"])) == 1
    assert row(ex, f"dedup_key = '{key}'")["attempts"] == "2"


def test_5xx_fails_without_retry(ex):
    msg = queue(ex, "test:550", "reject550@example.vn")
    wait_for(lambda: row(ex, f"id = {msg['id']}")["state"] == "failed", what="failed")
    failed = row(ex, f"id = {msg['id']}")
    assert failed["attempts"] == "1" and "550" in failed["last_error"], failed
    move_clock(ex, 120)
    assert row(ex, f"id = {msg['id']}")["attempts"] == "1"
    r = ex.d.ctl("outbox", "--failed")
    assert r.returncode == 0 and "reject550@example.vn" in r.stdout and "550" in r.stdout, r.stdout
    status, body = ex.d.get_json("/readyz")
    assert status == 200 and body["outbox_failed"] >= 1, body
    # Queued again by hand: tried once more, and refused again.
    r = ex.d.ctl("outbox", "retry", msg["id"])
    assert r.returncode == 0, r.stderr
    wait_for(lambda: row(ex, f"id = {msg['id']}")["attempts"] == "2", what="the retry")
    wait_for(lambda: row(ex, f"id = {msg['id']}")["state"] == "failed", what="failed again")
    assert ex.d.ctl("outbox", "retry", "x1").returncode == 1


def test_metrics_count_the_outbox(ex):
    status, _, raw = ex.d.get("/metrics")
    assert status == 200, raw
    seen = {}
    for fam in text_string_to_metric_families(raw.decode()):
        for smp in fam.samples:
            seen[(smp.name, tuple(sorted(smp.labels.items())))] = smp.value
    attempts = {o: seen[("baocao_outbox_attempts_total", (("outcome", o),))]
                for o in ("sent", "deferred", "failed")}
    # Sent: the first receipt and the second once the server was back; deferred while it was
    # down; failed: the 550 and its retry.
    assert attempts["sent"] >= 2 and attempts["deferred"] >= 1 and attempts["failed"] >= 2, \
        attempts
    for state in ("sent", "failed"):
        rows = int(ex.pg.scalar(f"SELECT count(*) FROM outbox WHERE state = '{state}'"))
        assert seen[("baocao_outbox_messages", (("state", state),))] == rows, (state, rows)


def test_lease_ran_out_mid_send(ex):
    msg = queue(ex, "test:lease", "dieuphoi@example.vn", state="'sending'",
                locked_by="'ghost:1'", lease_until=f"'{NOW}'::timestamptz - interval '1 hour'",
                attempts="1")
    wait_for(lambda: row(ex, f"id = {msg['id']}")["state"] == "sent", what="sent again")
    got = ex.handler.with_id(msg["message_id"])
    assert len(got) == 1, got   # the same Message-ID it was made with
    assert row(ex, f"id = {msg['id']}")["attempts"] == "2"
    assert "left sending by a stopped sender" in ex.d.log_text()


def test_expired_is_not_sent(ex):
    msg = queue(ex, "test:expired", "dieuphoi@example.vn",
                expires_at=f"'{NOW}'::timestamptz - interval '1 day'")
    wait_for(lambda: row(ex, f"id = {msg['id']}")["state"] == "expired", what="expired")
    assert not ex.handler.with_id(msg["message_id"])


def test_spool_without_smtp(ex):
    good = ex.d.conf.read_text()
    before = ex.d.log_text().count("reloaded")
    ex.d.write_config(good.replace(f"smtp_url = smtp://127.0.0.1:{ex.smtp_port}", "smtp_url = "))
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ex.d.log_text().count("reloaded") == before + 1, what="reload")
    try:
        msg = queue(ex, "test:spool", "dieuphoi@example.vn")
        wait_for(lambda: row(ex, f"id = {msg['id']}")["state"] == "sent", what="spooled")
        spool = ex.work.path / "spool" / "mail"
        files = [f for f in spool.iterdir() if f.suffix == ".eml"]
        parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                  for f in files]
        mine = [m for m in parsed if m["Message-ID"] == msg["message_id"]]
        assert len(mine) == 1 and mine[0]["Subject"] == "Thử nghiệm test:spool", files
    finally:
        ex.d.write_config(good)
        ex.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: ex.d.log_text().count("reloaded") == before + 2, what="reload back")


if __name__ == "__main__":
    sys.exit(run_tests([test_receipt_mail_arrives, test_server_down_then_back,
                        test_5xx_fails_without_retry, test_metrics_count_the_outbox,
                        test_lease_ran_out_mid_send,
                        test_expired_is_not_sent, test_spool_without_smtp],
                       setup=setup, teardown=teardown))
