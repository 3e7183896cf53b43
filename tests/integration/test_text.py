#!/usr/bin/env python3
"""Text that can be delivered: a coordinator's comment or assessment with U+FFFF or a control
character is refused naming the field; texts stored before the rule (written into the database
directly) give well-formed workbooks (the unit's, the board, live, cut-off, final: every XML
part parsed by expat) and mails with U+FFFD in their place; a kept workbook that is not
well-formed is not given out (500 workbook_invalid)."""
import io
import json
import os
import sys
import zipfile
import xml.parsers.expat

sys.path.insert(0, os.path.dirname(__file__))
from harness import free_port, run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import Mailbox  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao"}
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
BASE = "/api/v1/series/nq57-weekly/periods"
FFFD = "\ufffd"


def setup():
    handler = Mailbox()
    port = free_port()
    ex = Example("text", NOW, **{"mail.smtp_url": f"smtp://127.0.0.1:{port}",
                                 "testing.clock_control": "true",
                                 "report.parent_body": "UBND tỉnh Hà Tĩnh",
                                 "report.place": "Hà Tĩnh"})
    ex.handler = handler
    ex.smtp = Controller(handler, hostname="127.0.0.1", port=port)
    try:
        ex.smtp.start()
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account(COORDINATOR, "SKHCN", "coordinator")
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
    finally:
        ex.close()


def call(ex, login, method, path, body=None, headers=None):
    h = dict(headers or {}, Authorization=f"Bearer {ex.tokens[login]}")
    return ex.d.request(method, path, body=body, headers=h)


def set_clock(ex, when):
    status, _, raw = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, raw


def upload(ex, unit):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": f"Kết quả của {unit}"}
            for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
    status, _, raw = ex.put(REPORTERS[unit], PERIOD, body, content_type=XLSX)
    assert status == 201, raw
    return json.loads(raw)


def unsent(ex):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE channel = 'mail' AND state IN "
                            "('queued', 'sending', 'deferred', 'unknown')"))


def parts_text(data, what):
    """Checks that every XML part of a workbook is well-formed (Python's expat); returns the
    text of all of them, joined."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert "[Content_Types].xml" in names and "xl/workbook.xml" in names, (what, names)
        for name in names:
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            raw = z.read(name)
            p = xml.parsers.expat.ParserCreate()
            try:
                p.Parse(raw, True)
            except xml.parsers.expat.ExpatError as e:
                raise AssertionError(f"{what}: {name} is not well-formed: {e}") from None
            out.append(raw.decode("utf-8"))
    return "\n".join(out)


def the_attachment(msg):
    atts = list(msg.iter_attachments())
    assert len(atts) == 1, [a.get_filename() for a in atts]
    return atts[0].get_content()


def test_comment_and_assessment_refused(ex):
    upload(ex, "STC")
    path = f"{BASE}/{PERIOD}/review?unit=STC"
    for body in ({"decision": "returned", "comment": "Bổ sung số liệu\uffff", "version": 1},
                 json.dumps({"decision": "returned", "comment": "Bổ sung\u0001", "version": 1},
                            ensure_ascii=False).encode()):
        status, _, raw = call(ex, COORDINATOR, "PUT", path, body,
                              headers={"Content-Type": "application/json"})
        assert status == 422, raw
        err = json.loads(raw)["error"]
        assert err["code"] == "invalid_text", err
        assert err["message"].startswith("Nhận xét (trường “comment”): có ký tự không hợp lệ")
        assert "hãy xoá ký tự đó rồi gửi lại" in err["message"], err
        assert "U+FFFF" in err["message"] or "U+0001" in err["message"], err
    assert ex.pg.scalar("SELECT count(*) FROM submission WHERE review IS NOT NULL") == "0"
    for text, cp in (("Đánh giá chung\ufffe", "U+FFFE"), ("Đánh giá\u001b[31m", "U+001B")):
        status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment",
                              {"text": text})
        assert status == 422, raw
        err = json.loads(raw)["error"]
        assert err["code"] == "invalid_text", err
        assert err["message"].startswith("Nội dung đánh giá (trường “text”)"), err
        assert cp in err["message"], err
    assert ex.pg.scalar("SELECT count(*) FROM assessment") == "0"
    # Tab and line breaks are text.
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment",
                          {"text": "Đánh giá:\r\n\t- tốt"})
    assert status == 200, raw


def test_old_texts_give_well_formed_files_and_mail(ex):
    # Texts stored before the rule, written into the database past the API.
    stc_task = ex.tasks_of("STC")[0][0]
    ex.pg.psql("UPDATE unit SET name = 'Sở Nội vụ' || chr(65535) || chr(1) WHERE code = 'SNV'")
    ex.pg.psql(f"UPDATE task SET title = title || chr(65534) || chr(11) WHERE code = '{stc_task}'")
    ex.pg.psql("UPDATE report_item SET result = 'Kết quả' || chr(65535) || chr(2) || ' hết', "
               "proposals = 'Đề xuất' || chr(65534) WHERE submission_id = (SELECT s.id FROM "
               "submission s JOIN unit u ON u.id = s.unit_id WHERE u.code = 'STC' "
               "AND NOT s.superseded)")
    ex.pg.psql("UPDATE submission SET general_proposals = 'Chung' || chr(8), "
               "review = 'returned', review_comment = 'Bổ sung' || chr(65535), "
               "reviewed_at = now() FROM unit u WHERE u.id = submission.unit_id "
               "AND u.code = 'STC' AND NOT submission.superseded")
    ex.pg.psql("INSERT INTO assessment (period_id, body, written_at) SELECT p.id, "
               "'Đánh giá' || chr(65535) || chr(12), now() FROM period p JOIN series s "
               f"ON s.id = p.series_id WHERE s.name = 'nq57-weekly' AND p.period_key = '{PERIOD}'")

    # The unit's workbook.
    status, _, raw = call(ex, "stc.baocao", "GET", f"{BASE}/{PERIOD}/template")
    assert status == 200, raw[:300]
    assert FFFD in parts_text(raw, "the unit's workbook")
    # The board as a workbook.
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/status?format=xlsx")
    assert status == 200, raw[:300]
    assert FFFD in parts_text(raw, "the board")
    # The live workbook.
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated?version=live")
    assert status == 200, raw[:300]
    live = parts_text(raw, "the live workbook")
    assert f"Kết quả{FFFD}{FFFD} hết" in live and f"Sở Nội vụ{FFFD}{FFFD}" in live

    # A mail made of the stored name: the receipt of the unit's upload.
    upload(ex, "SNV")
    wait_for(lambda: ex.handler.to("snv.baocao@example.vn", "Biên nhận"), what="the receipt")
    receipt = ex.handler.to("snv.baocao@example.vn", "Biên nhận")[0]
    assert f"Sở Nội vụ{FFFD}{FFFD}" in receipt["Subject"], receipt["Subject"]
    body = receipt.get_body(preferencelist=("plain",)).get_content()
    assert f"Sở Nội vụ{FFFD}{FFFD}" in body, body

    # The cut-off's draft, kept and mailed.
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    wait_for(lambda: ex.pg.scalar("SELECT count(*) FROM consolidation WHERE kind = 'cutoff'")
             == "1", timeout=60, what="the cut-off")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    drafts = ex.handler.to(f"{COORDINATOR}@example.vn", "Dự thảo báo cáo tổng hợp")
    assert len(drafts) == 1, len(drafts)
    assert FFFD in parts_text(the_attachment(drafts[0]), "the mailed draft")
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated?version=cutoff")
    assert status == 200 and raw == the_attachment(drafts[0]), status

    # The final version, approved and delivered.
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201, raw
    wait_for(lambda: unsent(ex) == 0, what="the delivery sent")
    finals = ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")
    assert len(finals) == 1, len(finals)
    final = parts_text(the_attachment(finals[0]), "the delivered final")
    assert f"Đánh giá{FFFD}{FFFD}" in final and f"Bổ sung{FFFD}" in final
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated?version=final")
    assert status == 200 and raw == the_attachment(finals[0]), status


def test_a_kept_workbook_not_well_formed_is_not_given_out(ex):
    # A final kept before the check, with U+FFFF in a sheet (as the writer once wrote it).
    status, _, good = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated?version=final")
    assert status == 200
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = data.replace("Kết quả".encode(), "Kết quả\uffff".encode(), 1)
                assert "\uffff".encode() in data
            dst.writestr(item, data)
    ex.pg.psql(f"UPDATE mail_attachment SET data = '\\x{out.getvalue().hex()}'::bytea "
               "WHERE id = (SELECT attachment_id FROM consolidation WHERE kind = 'final')")
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated?version=final")
    assert status == 500, (status, raw[:200])
    err = json.loads(raw)["error"]
    assert err["code"] == "workbook_invalid" and "không hợp lệ" in err["message"], err
    assert "xl/worksheets/sheet2.xml" in ex.d.log_text()
    # Delivered again (an admin's retry of the recipient's mail): not sent, failed with why.
    row = ex.pg.scalar("SELECT o.id FROM outbox o JOIN consolidation c "
                       "ON c.attachment_id = o.attachment_id WHERE c.kind = 'final' "
                       f"AND o.channel = 'mail' AND o.recipient = '{RECIPIENT}@example.vn'")
    ex.pg.psql(f"UPDATE outbox SET state = 'failed' WHERE id = {row}")
    status, _, raw = call(ex, "quantri", "POST", f"/api/v1/admin/outbox/{row}/retry", {})
    assert status == 200, raw
    wait_for(lambda: ex.pg.scalar(f"SELECT state || ' ' || coalesce(last_error, '') FROM outbox "
                                  f"WHERE id = {row}").startswith("failed the workbook"),
             timeout=30, what="the retried delivery refused")
    error = ex.pg.scalar(f"SELECT last_error FROM outbox WHERE id = {row}")
    assert "not well-formed" in error and "sheet2.xml" in error, error
    assert len(ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")) == 1


TESTS = [
    test_comment_and_assessment_refused,
    test_old_texts_give_well_formed_files_and_mail,
    test_a_kept_workbook_not_well_formed_is_not_given_out,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
