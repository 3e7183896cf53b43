#!/usr/bin/env python3
"""Sở KH&CN's signed document on the consolidated report, with require_consolidated_document
as shipped for the weekly report: the approval is refused without it; signed, unsigned and
modified PDFs uploaded to the version about to be approved are checked and shown; the
delivery carries the workbook and the document (two mail attachments read back and compared,
both files in the folder, one POST each with its own Idempotency-Key); after delivery the
document goes with a correction only, and a correction bringing only the document is one. The
next week the automatic delivery at the deadline goes without it (marked for the coordinators)
and, while none of its deliveries has gone out, the document uploaded then goes with them; not
while they are being sent."""
import asyncio
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, free_port, run_tests, wait_for  # noqa: E402
from intake_util import SERIES, XLSX, Example, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import Mailbox  # noqa: E402

import openpyxl  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
NEXT = "2026-W51"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao"}
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
OTHER = "sngv.dieuphoi"             # coordinator of another series
BASE = "/api/v1/series/nq57-weekly/periods"
FIXTURES = Path(os.environ.get("PDF_FIXTURES", BUILD / "tests" / "pdf"))


def fixture(name):
    return (FIXTURES / name).read_bytes()


def padded_pdf(size):
    """An unsigned PDF of about size bytes."""
    pad = size - 200
    return (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
            b"3 0 obj << /Length %d >> stream\n" % pad + b"\x00" * pad + b"\nendstream endobj\n" +
            b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root 1 0 R >>\n"
            b"startxref\n9\n%%EOF\n")


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Receiver(BaseHTTPRequestHandler):
    """The recipients' HTTP endpoint: keeps every POST; 503 while `refuse` is set."""
    posts = []
    refuse = False
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with Receiver.lock:
            Receiver.posts.append((dict(self.headers), body))
        self.send_response(503 if Receiver.refuse else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class Refusing(Mailbox):
    """The mailbox, answering 451 (try later) while `refuse` is set, and keeping the sender
    waiting for its answer while `hold` is."""
    refuse = False
    hold = False

    async def handle_DATA(self, server, session, envelope):
        while Refusing.hold:
            await asyncio.sleep(0.05)
        if self.refuse:
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


def setup():
    handler = Refusing()
    port = free_port()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    work_dir = tempfile.mkdtemp(prefix="baocao-consol-doc-")
    os.chmod(work_dir, 0o755)
    try:
        ex = Example("consol-document", NOW, series_file=SERIES, **{
            "mail.smtp_url": f"smtp://127.0.0.1:{port}",
            "testing.clock_control": "true",
            "server.max_document_size": "128K",
            "server.max_bytes_per_period": "150K",
            "signatures.trusted_roots": str(FIXTURES / "roots.pem"),
            "report.delivery_dir": os.path.join(work_dir, "reports"),
            "report.delivery_url": f"http://127.0.0.1:{receiver.server_port}/bao-cao"})
    except Exception:
        receiver.shutdown()
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    ex.receiver = receiver
    ex.delivered = work_dir
    ex.handler = handler
    ex.smtp = Controller(handler, hostname="127.0.0.1", port=port)
    try:
        ex.smtp.start()
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account(COORDINATOR, "SKHCN", "coordinator")
        ex.account(OTHER, "SNGV", "coordinator")
        ex.account(RECIPIENT, "VPTU", "recipient")
        ex.account("quantri", "SKHCN", "admin")
    except Exception:
        teardown(ex)
        raise
    return ex


def teardown(ex):
    if ex is None:
        return
    try:
        ex.smtp.stop()
        ex.receiver.shutdown()
    finally:
        ex.close()
        shutil.rmtree(ex.delivered, ignore_errors=True)


def call(ex, login, method, path, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"} if login else {}
    if content_type:
        headers["Content-Type"] = content_type
    return ex.d.request(method, path, body=body, headers=headers)


def put_doc(ex, login, n, body, period=PERIOD, content_type="application/pdf"):
    q = "" if n is None else f"?n={n}"
    return call(ex, login, "PUT", f"{BASE}/{period}/consolidated/document{q}", body,
                content_type)


def set_clock(ex, when):
    status, _, raw = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, raw


def upload(ex, unit, period=PERIOD):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40}
            for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, period))
    status, _, raw = ex.put(REPORTERS[unit], period, body, content_type=XLSX)
    assert status == 201, raw


def job(ex, kind, period):
    rows = ex.pg.psql("SELECT j.state, coalesce(j.outcome, ''), coalesce(j.error, '') "
                      "FROM job_run j JOIN period p ON p.id = j.period_id "
                      f"WHERE j.job = '{kind}' AND p.period_key = '{period}' "
                      "AND j.series_id = (SELECT id FROM series WHERE name = 'nq57-weekly')")
    return rows[0] if rows else None


def wait_job(ex, kind, period):
    return wait_for(lambda: (r := job(ex, kind, period)) and r[0] in ("done", "failed") and r,
                    timeout=60, what=f"the {kind} run of {period}")


def undelivered(ex, period):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE kind = 'final_delivery' AND "
                            f"period = '{period}' AND state <> 'sent'"))


def documents(ex, login, period=PERIOD):
    status, _, raw = call(ex, login, "GET", f"{BASE}/{period}/consolidated/documents")
    assert status == 200, raw
    return json.loads(raw)


def files_of(msg):
    """(filename, bytes) of each attachment of a message, in order."""
    return [(a.get_filename(), a.get_content()) for a in msg.iter_attachments()]


def test_approval_refused_without_the_document(ex):
    upload(ex, "STC")
    upload(ex, "SNV")
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    assert wait_job(ex, "cutoff", PERIOD)[0] == "done"
    set_clock(ex, "2026-12-11T13:00:00+07:00")
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    err = json.loads(raw)["error"]
    assert status == 409 and err["code"] == "document_missing", (status, err)
    assert err["message"].startswith("Chưa có văn bản báo cáo đã ký số cho bản số 1"), err
    assert ex.pg.scalar("SELECT count(*) FROM consolidation WHERE kind = 'final'") == "0"
    doc = documents(ex, COORDINATOR)
    assert doc["required"] is True and doc["next_version"] == 1 and doc["documents"] == [], doc


def test_uploads_are_checked_and_shown(ex):
    # Refusals: no n, a version not next, not a PDF, not declared a PDF, the wrong people.
    for n in (None, "", "0", "+1", "%201", "%091", "1%20", "01", "1x", "-1", "99999999999",
              "1000000000"):
        status, _, raw = put_doc(ex, COORDINATOR, n, fixture("valid.pdf"))
        assert status == 400 and json.loads(raw)["error"]["code"] == "bad_version", (n, raw)
        status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated/document"
                              + ("" if n is None else f"?n={n}"))
        assert status == 400 and json.loads(raw)["error"]["code"] == "bad_version", (n, raw)
    status, _, raw = put_doc(ex, COORDINATOR, 2, fixture("valid.pdf"))
    err = json.loads(raw)["error"]
    assert status == 404 and err["code"] == "no_version" and "bản số 1" in err["message"], err
    status, _, raw = put_doc(ex, COORDINATOR, 1, b"PK\x03\x04 not a pdf")
    assert status == 422, raw
    status, _, raw = put_doc(ex, COORDINATOR, 1, fixture("valid.pdf"),
                             content_type="application/octet-stream")
    assert status == 415, raw
    status, _, raw = put_doc(ex, COORDINATOR, 1, padded_pdf(140 * 1024))
    assert status == 413 and json.loads(raw)["error"]["code"] == "body_too_large", raw
    for login in ("stc.baocao", RECIPIENT, OTHER):
        status, _, raw = put_doc(ex, login, 1, fixture("valid.pdf"))
        assert status == 403, (login, status, raw)
    status, _, _ = put_doc(ex, None, 1, fixture("valid.pdf"))
    assert status == 401
    # Two drafts, unsigned, modified after signing, then the signed one: each checked, the
    # last kept, and only the last stored.
    for size in (2000, 3000):
        status, _, raw = put_doc(ex, COORDINATOR, 1, padded_pdf(size))
        assert status == 201, raw
    for name, state in (("unsigned.pdf", None), ("modified.pdf", "modified"),
                        ("valid.pdf", "valid")):
        status, _, raw = put_doc(ex, COORDINATOR, 1, fixture(name))
        assert status == 201, (name, raw)
        got = json.loads(raw)
        assert got["version"] == 1 and got["approved"] is False, got
        assert got["sha256"] == sha(fixture(name)) and got["size"] == len(fixture(name)), got
        states = [s["state"] for s in got["signatures"]]
        assert states[:1] == ([state] if state else []), (name, got["signatures"])
    stored = ex.pg.psql("SELECT encode(sha256, 'hex') FROM mail_attachment WHERE filename = "
                        "'van-ban-tong-hop-nq57-weekly-2026-W50-v1.pdf'")
    assert stored == [[sha(fixture("valid.pdf"))]], stored
    status, _, raw = put_doc(ex, COORDINATOR, 1, fixture("valid.pdf"))
    assert status == 200, raw          # the same file again
    sig = json.loads(raw)["signatures"][0]
    assert sig["signer"] and sig["signed_at"], sig
    # The coordinator and the admin read it back; the recipient not before the approval.
    for login in (COORDINATOR, "quantri"):
        status, hdrs, raw = call(ex, login, "GET", f"{BASE}/{PERIOD}/consolidated/document?n=1")
        assert status == 200 and raw == fixture("valid.pdf"), (login, status)
        assert hdrs["content-type"].startswith("application/pdf")
        assert "van-ban-tong-hop-nq57-weekly-2026-W50-v1.pdf" in hdrs["content-disposition"]
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated/document?n=1")
    err = json.loads(raw)["error"]
    assert status == 404 and err["code"] == "no_document", raw
    assert err["message"].endswith("Hãy dùng bảng tổng hợp (.xlsx) hoặc liên hệ đơn vị tổng "
                                   "hợp."), err
    assert documents(ex, RECIPIENT)["documents"] == []
    doc = documents(ex, COORDINATOR)
    assert [d["version"] for d in doc["documents"]] == [1], doc
    assert doc["documents"][0]["signatures"][0]["state"] == "valid", doc
    assert doc["documents"][0]["approved"] is False, doc
    # Audited.
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = "
                        "'consolidated_document'") == "5"


def test_the_delivery_carries_both_files(ex):
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201, raw
    approved = json.loads(raw)
    assert approved["version"] == 1, approved
    wait_for(lambda: undelivered(ex, PERIOD) == 0, what="the delivery sent")
    mails = ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")
    assert len(mails) == 1, len(mails)
    body = mails[0].get_body(("plain",)).get_content()
    assert "(bảng tổng hợp và văn bản báo cáo đã ký số)" in body, body
    (xname, xdata), (pname, pdata) = files_of(mails[0])
    assert xname == "tong-hop-nq57-weekly-2026-W50-chinh-thuc-v1.xlsx", xname
    assert sha(xdata) == approved["sha256"]
    wb = openpyxl.load_workbook(io.BytesIO(xdata))
    assert "Tổng hợp" in wb.sheetnames, wb.sheetnames
    assert pname == "van-ban-tong-hop-nq57-weekly-2026-W50-v1.pdf", pname
    assert sha(pdata) == sha(fixture("valid.pdf"))
    # The folder has both files.
    folder = os.path.join(ex.delivered, "reports")
    assert sorted(os.listdir(folder)) == sorted([xname, pname]), os.listdir(folder)
    assert Path(folder, pname).read_bytes() == fixture("valid.pdf")
    assert Path(folder, xname).read_bytes() == xdata
    # One POST per file, each with its own key.
    assert len(Receiver.posts) == 2, len(Receiver.posts)
    (h1, b1), (h2, b2) = Receiver.posts
    assert b1 == xdata and b2 == fixture("valid.pdf")
    assert h2["Content-Type"] == "application/pdf" and pname in h2["Content-Disposition"]
    assert h2["Idempotency-Key"] == h1["Idempotency-Key"] + "/2", (h1, h2)
    assert h2["X-Baocao-Version"] == "1" and h2["X-Baocao-Period"] == PERIOD
    # The recipient now reads the document and its signature.
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated/document?n=1")
    assert status == 200 and raw == fixture("valid.pdf"), status
    doc = documents(ex, RECIPIENT)
    assert "next_version" not in doc, doc
    assert [(d["version"], d["approved"], d["delivered"]) for d in doc["documents"]] == \
        [(1, True, True)], doc
    assert doc["documents"][0]["signatures"][0]["state"] == "valid"


def test_after_delivery_the_document_goes_with_a_correction(ex):
    status, _, raw = put_doc(ex, COORDINATOR, 1, fixture("untrusted.pdf"))
    err = json.loads(raw)["error"]
    assert status == 409 and err["code"] == "already_delivered", err
    assert "bản bổ sung số 2" in err["message"], err
    # The data is unchanged: without a new document nothing is sent again ...
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 409 and json.loads(raw)["error"]["code"] == "document_missing", raw
    # ... with it, the correction is the document.
    status, _, raw = put_doc(ex, COORDINATOR, 2, fixture("untrusted.pdf"))
    assert status == 201, raw
    assert json.loads(raw)["signatures"][0]["state"] == "untrusted", raw
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201, raw
    assert json.loads(raw)["version"] == 2, raw
    wait_for(lambda: undelivered(ex, PERIOD) == 0, what="the correction sent")
    mails = ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp (bổ sung lần 1)")
    assert len(mails) == 1, len(mails)
    files = files_of(mails[0])
    assert [f[0] for f in files] == ["tong-hop-nq57-weekly-2026-W50-chinh-thuc-v2.xlsx",
                                     "van-ban-tong-hop-nq57-weekly-2026-W50-v2.pdf"], files
    assert sha(files[1][1]) == sha(fixture("untrusted.pdf"))
    # The period's signed documents have their bound (versions 1 and 2 hold 35 KiB of 150).
    status, _, raw = put_doc(ex, COORDINATOR, 3, padded_pdf(120 * 1024))
    assert status == 413 and json.loads(raw)["error"]["code"] == "period_storage_full", raw
    # The same document again corrects nothing.
    status, _, raw = put_doc(ex, COORDINATOR, 3, fixture("untrusted.pdf"))
    assert status == 201, raw
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 409 and json.loads(raw)["error"]["code"] == "nothing_changed", raw


def test_automatic_delivery_goes_without_then_carries_a_late_document(ex):
    # Every channel fails at first: nothing of the automatic delivery goes out.
    Refusing.refuse = True
    Receiver.refuse = True
    folder = os.path.join(ex.delivered, "reports")
    os.rename(folder, folder + ".kept")         # made by the daemon for its user
    Path(folder).write_bytes(b"not a folder")
    posts_before = len(Receiver.posts)
    set_clock(ex, "2026-12-16T09:00:00+07:00")
    wait_job(ex, "open", NEXT)
    upload(ex, "STC", period=NEXT)
    set_clock(ex, "2026-12-18T11:00:05+07:00")
    assert wait_job(ex, "cutoff", NEXT)[0] == "done"
    set_clock(ex, "2026-12-18T15:15:05+07:00")
    state, outcome, error = wait_job(ex, "deliver", NEXT)
    assert state == "done" and "automatic" in outcome, (state, outcome, error)
    wait_for(lambda: len(Receiver.posts) > posts_before, what="the first POST refused")
    wait_for(lambda: int(ex.pg.scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'final_delivery' AND "
        f"period = '{NEXT}' AND state IN ('queued', 'sending')")) == 0, what="the attempts")
    assert undelivered(ex, NEXT) >= 3
    # Without the document: no second file; the coordinators see it missing.
    assert ex.pg.scalar("SELECT count(*) FROM outbox_attachment a JOIN outbox o "
                        f"ON o.id = a.outbox_id WHERE o.period = '{NEXT}'") == "0"
    doc = documents(ex, COORDINATOR, NEXT)
    assert doc["required"] is True and doc["documents"] == [] and doc["next_version"] == 2, doc
    # Uploaded now, while nothing has gone out, it goes with version 1's deliveries.
    status, _, raw = put_doc(ex, COORDINATOR, 1, fixture("valid.pdf"), period=NEXT)
    assert status == 201, raw
    assert json.loads(raw)["approved"] is True, raw
    # Replacing it is refused now that its deliveries have been tried: the recipients may
    # have it by the next attempt; a new document goes with a correction.
    status, _, raw = put_doc(ex, COORDINATOR, 1, fixture("unsigned.pdf"), period=NEXT)
    err = json.loads(raw)["error"]
    assert status == 409 and err["code"] == "delivery_attempted", (status, err)
    assert "bản bổ sung số 2" in err["message"], err
    Refusing.refuse = False
    Receiver.refuse = False
    os.unlink(folder)
    os.rename(folder + ".kept", folder)
    # While its deliveries are being sent, the document waits (the sender is kept waiting).
    Refusing.hold = True
    try:
        set_clock(ex, "2026-12-18T15:25:00+07:00")     # the retries are due
        wait_for(lambda: int(ex.pg.scalar(
            "SELECT count(*) FROM outbox WHERE kind = 'final_delivery' AND "
            f"period = '{NEXT}' AND state = 'sending'")) > 0, what="the retries claimed")
        status, hdrs, raw = put_doc(ex, COORDINATOR, 1, fixture("unsigned.pdf"), period=NEXT)
        err = json.loads(raw)["error"]
        assert status == 409 and err["code"] == "delivery_in_progress", (status, err)
        assert hdrs["retry-after"] == "30"
    finally:
        Refusing.hold = False
    wait_for(lambda: undelivered(ex, NEXT) == 0, timeout=60, what="the retries")
    mails = [m for m in ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")
             if any("W51" in f[0] for f in files_of(m))]
    assert len(mails) == 1, len(mails)
    names = [f[0] for f in files_of(mails[0])]
    assert names == ["tong-hop-nq57-weekly-2026-W51-chinh-thuc-v1.xlsx",
                     "van-ban-tong-hop-nq57-weekly-2026-W51-v1.pdf"], names
    assert sorted(n for n in os.listdir(folder) if "W51" in n) == sorted(names)
    last = Receiver.posts[-2:]
    assert [h["Content-Type"] for h, _ in last] == [XLSX, "application/pdf"], last
    assert last[1][1] == fixture("valid.pdf")
    # Now delivered: a document for it is refused.
    status, _, raw = put_doc(ex, COORDINATOR, 1, fixture("unsigned.pdf"), period=NEXT)
    assert status == 409, raw


if __name__ == "__main__":
    sys.exit(run_tests(
        [test_approval_refused_without_the_document,
         test_uploads_are_checked_and_shown,
         test_the_delivery_carries_both_files,
         test_after_delivery_the_document_goes_with_a_correction,
         test_automatic_delivery_goes_without_then_carries_a_late_document],
        setup, teardown))
