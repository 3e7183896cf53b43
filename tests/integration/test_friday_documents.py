#!/usr/bin/env python3
"""A Friday with documents, from the units' uploads to Văn phòng Tỉnh ủy's acknowledgement,
with the test clock, a real SMTP server (aiosmtpd) and the signed PDFs of
tests/pdf/make_fixtures.py: signed, unsigned, changed after signing and untrusted documents
shown as such on the board, to the recipient and in the consolidated workbook; the
recipient's board and a unit's document open for Văn phòng Tỉnh ủy and are refused to other
units; the .docx draft opens with python3-docx; approval waits for Sở KH&CN's signed
document, and the final mail carries the workbook and the document; with no acknowledgement
by 16:30 the coordinators get one mail; the acknowledgement is recorded."""
import hashlib
import io
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, run_tests, wait_for  # noqa: E402
from intake_util import SERIES, XLSX, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import close_mail_example, mail_example  # noqa: E402

import docx  # noqa: E402
import openpyxl  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
BASE = f"/api/v1/series/nq57-weekly/periods/{PERIOD}"
FIXTURES = Path(os.environ.get("PDF_FIXTURES", BUILD / "tests" / "pdf"))
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
# Each unit's document and the state the board shows for it.
UNITS = {"STC": ("stc.baocao", "valid.pdf", "valid"),
         "SNV": ("snv.baocao", "unsigned.pdf", "unsigned"),
         "SXD": ("sxd.baocao", "modified.pdf", "modified"),
         "SYT": ("syt.baocao", "untrusted.pdf", "untrusted"),
         "STP": ("stp.baocao", None, "missing")}


def setup():
    # The example's own series file: documents required of the units and of Sở KH&CN.
    return mail_example("friday-documents", NOW,
                        [(login, unit, "reporter") for unit, (login, _, _) in UNITS.items()] +
                        [(COORDINATOR, "SKHCN", "coordinator"), (RECIPIENT, "VPTU", "recipient"),
                         ("quantri", "SKHCN", "admin")],
                        series_file=SERIES, **{
                            "testing.clock_control": "true",
                            "report.parent_body": "UBND tỉnh Hà Tĩnh",
                            "report.place": "Hà Tĩnh",
                            "signatures.trusted_roots": str(FIXTURES / "roots.pem")})


def teardown(ex):
    close_mail_example(ex)


def call(ex, login, method, path, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    if content_type:
        headers["Content-Type"] = content_type
    return ex.d.request(method, path, body=body, headers=headers)


def get_json(ex, login, path):
    status, _, raw = call(ex, login, "GET", path)
    assert status == 200, (login, path, status, raw)
    return json.loads(raw)


def set_clock(ex, when):
    status, _, raw = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, raw


def unsent(ex):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE channel = 'mail' AND state IN "
                            "('queued', 'sending', 'deferred', 'unknown')"))


def job_state(ex, kind):
    return ex.pg.scalar("SELECT j.state FROM job_run j JOIN period p ON p.id = j.period_id "
                        f"WHERE j.job = '{kind}' AND p.period_key = '{PERIOD}'")


def states(ex, login):
    doc = get_json(ex, login, BASE + "/status")
    return {u["unit"]: u for u in doc["units"]}


def test_units_send_reports_and_documents(ex):
    for unit, (login, name, _) in UNITS.items():
        rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 50,
                 "Kết quả thực hiện trong kỳ": f"Kết quả của {unit}"}
                for code, _ in ex.tasks_of(unit)]
        body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
        status, _, raw = ex.put(login, PERIOD, body, content_type=XLSX)
        assert status == 201, raw
        if name is None:
            continue
        status, _, raw = call(ex, login, "PUT", BASE + "/submission/document",
                              (FIXTURES / name).read_bytes(), "application/pdf")
        assert status == 201, (unit, raw)
    board = states(ex, COORDINATOR)
    for unit, (_, _, state) in UNITS.items():
        assert board[unit]["document"] == state, (unit, board[unit])
    assert board["STP"]["state"] == "no_document", board["STP"]
    assert board["STC"]["state"] == "on_time", board["STC"]


def test_the_recipient_sees_what_units_sent(ex):
    # Văn phòng Tỉnh ủy's board: the same states as the coordinator's.
    board = states(ex, RECIPIENT)
    for unit, (_, _, state) in UNITS.items():
        assert board[unit]["document"] == state, (unit, board[unit])
    sub = get_json(ex, RECIPIENT, BASE + "/submission?unit=STC")
    sig = sub["document"]["signatures"][0]
    assert sig["state"] == "valid" and sig["signer"] == "Nguyễn Văn A", sig
    assert sig["message"].startswith("Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính"), sig
    tampered = get_json(ex, RECIPIENT, BASE + "/submission?unit=SXD")["document"]
    assert "tệp đã bị sửa sau khi ký" in tampered["signatures"][0]["message"], tampered
    status, _, raw = call(ex, RECIPIENT, "GET", BASE + "/submission/document?unit=STC")
    assert status == 200 and raw == (FIXTURES / "valid.pdf").read_bytes(), status
    # Read only: no review for the recipient.
    status, _, raw = call(ex, RECIPIENT, "PUT", BASE + "/review?unit=STC",
                          {"version": 1, "decision": "accepted"})
    assert status == 403, raw
    # Another unit's reporter sees neither the board nor STC's report or document.
    for path in ("/status", "/submission?unit=STC", "/submission/document?unit=STC"):
        status, _, raw = call(ex, "snv.baocao", "GET", BASE + path)
        assert status == 403, (path, status, raw)


def signature_column(wb):
    """Every cell of the consolidated workbook that speaks of a document's signature."""
    words = ("Ký số", "chữ ký số", "văn bản", "Chữ ký số")
    return [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and any(w in c.value for w in words)]


def test_the_cutoff_draft_shows_the_signatures(ex):
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    wait_for(lambda: job_state(ex, "cutoff") == "done", timeout=60, what="the cut-off")
    wait_for(lambda: unsent(ex) == 0, what="the draft mailed")
    drafts = ex.handler.to(f"{COORDINATOR}@example.vn")
    assert drafts, ex.handler.subjects(f"{COORDINATOR}@example.vn")
    status, _, raw = call(ex, COORDINATOR, "GET", BASE + "/consolidated?version=cutoff")
    assert status == 200, raw
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    cells = " | ".join(signature_column(wb))
    for words in ("Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính", "Không có chữ ký số",
                  "tệp đã bị sửa sau khi ký", "chưa được tin cậy"):
        assert words in cells, (words, cells)
    # The .docx draft of Sở KH&CN's report opens with python3-docx (test_docx_draft.py also
    # converts it with LibreOffice).
    status, hdrs, raw = call(ex, COORDINATOR, "GET", BASE + "/consolidated/draft?version=cutoff")
    assert status == 200, raw
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(raw)).paragraphs)
    assert "BÁO CÁO" in text and "tuần 50" in text, text[:400]


def test_approval_waits_for_the_signed_document(ex):
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, _, raw = call(ex, COORDINATOR, "POST", BASE + "/approve")
    assert status == 409, raw
    assert "văn bản" in json.loads(raw)["error"]["message"], raw
    signed = (FIXTURES / "valid.pdf").read_bytes()
    listed = get_json(ex, COORDINATOR, BASE + "/consolidated/documents")
    assert listed["required"] is True and listed["documents"] == [], listed
    n = listed["next_version"]
    assert n == 1, listed
    status, _, raw = call(ex, COORDINATOR, "PUT", BASE + f"/consolidated/document?n={n}",
                          signed, "application/pdf")
    assert status == 201, raw
    got = json.loads(raw)
    assert got["sha256"] == hashlib.sha256(signed).hexdigest(), got
    assert got["signatures"][0]["state"] == "valid", got
    status, _, raw = call(ex, COORDINATOR, "POST", BASE + "/approve")
    assert status == 201, raw
    approved = json.loads(raw)
    wait_for(lambda: unsent(ex) == 0, what="the delivery sent")
    finals = ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")
    assert len(finals) == 1, len(finals)
    atts = {a.get_filename(): a.get_content() for a in finals[0].iter_attachments()}
    assert len(atts) == 2, list(atts)
    workbook = next(v for k, v in atts.items() if k.endswith(".xlsx"))
    document = next(v for k, v in atts.items() if k.endswith(".pdf"))
    assert document == signed
    assert hashlib.sha256(workbook).hexdigest() == approved["sha256"], approved
    assert "Tổng hợp" in openpyxl.load_workbook(io.BytesIO(workbook)).sheetnames
    # The recipient's list names the signed document of the version.
    mine = get_json(ex, RECIPIENT, BASE + "/consolidated/documents")["documents"]
    assert [(d["version"], d["sha256"]) for d in mine] == [(n, got["sha256"])], mine
    status, _, raw = call(ex, RECIPIENT, "GET", BASE + f"/consolidated/document?n={n}")
    assert status == 200 and raw == signed, status
    # Both files are kept uncompressed (schema/014), so that reading them 256 KiB at a time
    # does not inflate the whole value for every piece.
    compressed = ex.pg.psql("SELECT filename, pg_column_compression(data) FROM mail_attachment "
                            "WHERE pg_column_compression(data) IS NOT NULL")
    assert compressed == [], compressed


def test_no_acknowledgement_by_1630_mails_the_coordinators_once(ex):
    subject = "Chưa có xác nhận tiếp nhận báo cáo tổng hợp"
    set_clock(ex, "2026-12-11T16:29:00+07:00")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    before = len(ex.handler.to(f"{COORDINATOR}@example.vn"))
    set_clock(ex, "2026-12-11T16:31:00+07:00")
    wait_for(lambda: len(ex.handler.to(f"{COORDINATOR}@example.vn")) == before + 1,
             what="the mail at ack_by")
    late = ex.handler.to(f"{COORDINATOR}@example.vn")[-1]
    assert late["Subject"].startswith(subject), late["Subject"]
    set_clock(ex, "2026-12-11T17:30:00+07:00")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    assert len(ex.handler.to(f"{COORDINATOR}@example.vn")) == before + 1


def test_the_acknowledgement_is_recorded(ex):
    n = get_json(ex, RECIPIENT, BASE + "/consolidated/versions")["versions"][0]["version"]
    status, _, raw = call(ex, RECIPIENT, "POST", BASE + f"/consolidated/ack?n={n}")
    assert status == 200 and json.loads(raw)["already"] is False, raw
    doc = get_json(ex, COORDINATOR, BASE + "/consolidated/versions")
    acked = next(v for v in doc["versions"] if v["version"] == n)
    assert acked["acknowledged_at"].startswith("2026-12-11T17:30"), acked
    assert acked["acknowledged_unit"] and acked["acknowledged_by"], acked
    # Sở KH&CN delivered at 14:00, before 15:30: on time.
    delivery = doc["delivery"]
    assert delivery["unit"] == "SKHCN" and delivery["on_time"] is True, delivery
    assert delivery["delivered_at"].startswith("2026-12-11T14:00"), delivery
    # A reporter cannot acknowledge.
    status, _, raw = call(ex, "stc.baocao", "POST", BASE + f"/consolidated/ack?n={n}")
    assert status == 403, raw


if __name__ == "__main__":
    sys.exit(run_tests([test_units_send_reports_and_documents,
                        test_the_recipient_sees_what_units_sent,
                        test_the_cutoff_draft_shows_the_signatures,
                        test_approval_waits_for_the_signed_document,
                        test_no_acknowledgement_by_1630_mails_the_coordinators_once,
                        test_the_acknowledgement_is_recorded], setup=setup, teardown=teardown))
