#!/usr/bin/env python3
"""A unit's extension ("gia hạn"), with the test clock and a real SMTP server (aiosmtpd): Sở KH&CN
grants Sở Tài chính until Monday 17:00 of week 50 with a reason; a reporter may not, a reason is
required and limited, the new deadline must be after the period's. The unit is mailed, the
board and GET .../submission carry the extension and say why in words. The period's reminder
rounds and late notice leave the unit out; its own reminder comes on Monday 08:30 (the series'
"0d 08:30" counted from its new deadline). The cut-off and the automatic final happen on Friday
for everyone; the report sent on Monday counts on time with the extension shown, and the next
consolidated version (bổ sung lần 1) marks it "bổ sung" and "G" on Chuyên cần. Taking the
extension back is audited and mailed; the unit's timeline tells all of it. A unit on time by
Friday that sends again under an extension counts on time without it."""
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import openpyxl  # noqa: E402
from harness import run_tests, wait_for  # noqa: E402
from intake_util import XLSX, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import close_mail_example, mail_example  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; deadline Friday 11/12 11:00
PERIOD = "2026-W50"
BASE = "/api/v1/series/nq57-weekly/periods"
COORDINATOR = "skhcn.dieuphoi"
REPORTER = "stc.baocao"
OTHER = "snv.baocao"
THIRD = "sxd.baocao"                 # extended until Monday 12:00, never reports
FOURTH = "sct.baocao"                # on time on Wednesday, extended, sends again on Monday
UNTIL = "2026-12-14T17:00:00+07:00"  # Monday of week 51
REASON = "Đơn vị đang kiểm kê tài sản cuối năm, cần thêm thời gian tổng hợp số liệu"


def setup():
    return mail_example("extension", NOW,
                        [(REPORTER, "STC", "reporter"), (OTHER, "SNV", "reporter"),
                         (THIRD, "SXD", "reporter"), (FOURTH, "SCT", "reporter"),
                         (COORDINATOR, "SKHCN", "coordinator"), ("quantri", "SKHCN", "admin")],
                        **{"testing.clock_control": "true"})


def teardown(ex):
    close_mail_example(ex)


def call(ex, login, method, path, body=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    status, _, raw = ex.d.request(method, path, body=body, headers=headers)
    return status, json.loads(raw) if raw.startswith(b"{") else raw


def extension(ex, login, body, unit="STC", method="PUT"):
    return call(ex, login, method, f"{BASE}/{PERIOD}/extension?unit={unit}", body)


def set_clock(ex, when):
    status, doc = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, doc


def upload(ex, login, unit):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": "Kết quả"} for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
    status, _, raw = ex.put(login, PERIOD, body, content_type=XLSX)
    assert status == 201, raw
    return json.loads(raw)


def status_rows(ex):
    status, doc = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/status")
    assert status == 200, doc
    return {u["unit"]: u for u in doc["units"]}


def outbox_keys(ex, kind, like):
    return ex.pg.psql(f"SELECT dedup_key FROM outbox WHERE kind = '{kind}' "
                      f"AND dedup_key LIKE '{like}' ORDER BY dedup_key")


def job_done(ex, kind):
    return ex.pg.scalar("SELECT count(*) FROM job_run j JOIN period p ON p.id = j.period_id "
                        f"WHERE j.job = '{kind}' AND p.period_key = '{PERIOD}' "
                        "AND j.state = 'done'") != "0"


def test_refusals(ex):
    status, doc = extension(ex, REPORTER, {"until": UNTIL, "reason": REASON})
    assert status == 403, doc
    assert "điều phối viên" in doc["error"]["message"], doc
    status, doc = extension(ex, COORDINATOR, {"until": UNTIL})
    assert status == 422 and doc["error"]["code"] == "bad_reason", doc
    status, doc = extension(ex, COORDINATOR, {"until": UNTIL, "reason": "   "})
    assert status == 422 and doc["error"]["code"] == "bad_reason", doc
    status, doc = extension(ex, COORDINATOR, {"until": UNTIL, "reason": "x" * 501})
    assert status == 422 and doc["error"]["code"] == "bad_reason", doc
    status, doc = extension(ex, COORDINATOR, {"until": "thứ Hai", "reason": REASON})
    assert status == 400 and doc["error"]["code"] == "bad_extension", doc
    status, doc = extension(ex, COORDINATOR, {"until": "2026-12-11T10:00:00+07:00",
                                               "reason": REASON})
    assert status == 422 and doc["error"]["code"] == "until_not_after_deadline", doc
    assert "11 giờ 00" in doc["error"]["message"], doc
    status, doc = extension(ex, COORDINATOR, {"until": "2027-02-10T11:00:01+07:00",
                                               "reason": REASON})
    assert status == 422 and doc["error"]["code"] == "until_too_late", doc
    assert "60 ngày" in doc["error"]["message"], doc
    status, doc = extension(ex, COORDINATOR, None, method="DELETE")
    assert status == 404 and doc["error"]["code"] == "no_extension", doc
    status, doc = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/extension",
                       {"until": UNTIL, "reason": REASON})
    assert status == 400 and doc["error"]["code"] == "unit_required", doc
    assert ex.pg.scalar("SELECT count(*) FROM extension") == "0"


def test_grant_is_audited_mailed_and_shown(ex):
    status, doc = extension(ex, COORDINATOR, {"until": UNTIL, "reason": REASON})
    assert status == 200, doc
    ext = doc["extension"]
    assert ext["until"] == UNTIL and ext["reason"] == REASON, ext
    assert doc["messages"] >= 1, doc
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'extension_grant' "
                        f"AND actor = '{COORDINATOR}'") == "1"
    mails = wait_for(lambda: ex.handler.to(f"{REPORTER}@example.vn", "Gia hạn gửi báo cáo"),
                     timeout=30, what="the extension's mail")
    body = mails[0].get_content()
    assert "17 giờ 00, thứ Hai, ngày 14/12/2026" in body and REASON in body, body
    assert "11 giờ 00, thứ Sáu, ngày 11/12/2026" in body, body
    # The reporter's page: no report yet; the 404 says until when and why.
    status, doc = call(ex, REPORTER, "GET", f"{BASE}/{PERIOD}/submission")
    assert status == 404 and doc["error"]["code"] == "no_submission", doc
    assert doc["extension"]["until"] == UNTIL, doc
    assert doc["window"]["state"] == "extended" and REASON in doc["window"]["text"], doc
    assert doc["window"]["deadline"] == UNTIL, doc
    status, doc = call(ex, OTHER, "GET", f"{BASE}/{PERIOD}/submission")
    assert doc["extension"] is None and doc["window"]["state"] == "open", doc
    assert "Đang trong hạn" in doc["window"]["text"], doc
    status, doc = extension(ex, COORDINATOR, {"until": "2026-12-14T12:00:00+07:00",
                                               "reason": "Mất điện kéo dài"}, unit="SXD")
    assert status == 200, doc
    # Sở Công Thương reports in time, and is given an extension all the same.
    assert upload(ex, FOURTH, "SCT")["on_time"] is True
    status, doc = extension(ex, COORDINATOR, {"until": UNTIL, "reason": REASON}, unit="SCT")
    assert status == 200, doc
    rows = status_rows(ex)
    assert rows["STC"]["extension"]["reason"] == REASON, rows["STC"]
    assert rows["STC"]["extension"]["granted_by"], rows["STC"]
    assert rows["SNV"]["extension"] is None, rows["SNV"]


def test_reminders_follow_the_extended_deadline(ex):
    # Thursday 15:00 ("-1d 15:00"): Sở Nội vụ is reminded, Sở Tài chính is not.
    set_clock(ex, "2026-12-10T15:00:05+07:00")
    wait_for(lambda: outbox_keys(ex, "reminder", f"reminder:nq57-weekly:{PERIOD}:-1d 15:00:SNV:%"),
             timeout=60, what="Thursday's reminder to SNV")
    assert outbox_keys(ex, "reminder", "%:STC:%") == []
    # Friday: the cut-off and the automatic final for everyone; the late notice leaves STC out.
    set_clock(ex, "2026-12-11T15:20:00+07:00")
    wait_for(lambda: job_done(ex, "deliver"), timeout=60, what="the automatic final")
    wait_for(lambda: outbox_keys(ex, "reminder", f"reminder:nq57-weekly:{PERIOD}:late:SNV:%"),
             timeout=60, what="the late notice to SNV")
    assert outbox_keys(ex, "reminder", "%:STC:%") == []
    assert ex.pg.scalar(f"SELECT state FROM period WHERE period_key = '{PERIOD}'") != "open"
    # Monday 09:00: STC's own round "0d 08:30" before 17:00, once.
    set_clock(ex, "2026-12-14T09:00:00+07:00")
    keys = wait_for(lambda: outbox_keys(ex, "extension", "extension:%:STC:0d 08:30:%"),
                    timeout=60, what="the reminder of STC's extended deadline")
    assert any(REPORTER in k[0] for k in keys), keys
    mails = wait_for(lambda: ex.handler.to(f"{REPORTER}@example.vn", "Nhắc gửi báo cáo (hạn"),
                     timeout=30, what="the reminder mail")
    assert "17 giờ 00, thứ Hai, ngày 14/12/2026" in mails[0].get_content()
    status, doc = call(ex, REPORTER, "GET", f"{BASE}/{PERIOD}/submission")
    assert doc["window"]["state"] == "extended" and "bổ sung" in doc["window"]["text"], doc
    # SXD's extension ends at 12:00 without a report: one late notice after it.
    set_clock(ex, "2026-12-14T12:05:00+07:00")
    wait_for(lambda: outbox_keys(ex, "extension", "extension:%:SXD:late:%"), timeout=60,
             what="SXD's late notice")
    mails = wait_for(lambda: ex.handler.to(f"{THIRD}@example.vn", "Quá hạn gia hạn"),
                     timeout=30, what="SXD's late mail")
    assert "12 giờ 00, thứ Hai, ngày 14/12/2026 (đã qua)" in mails[0].get_content()
    status, doc = call(ex, THIRD, "GET", f"{BASE}/{PERIOD}/submission")
    assert doc["window"]["state"] == "late" and "quá hạn gia hạn" in doc["window"]["text"], doc


def test_on_time_under_the_extension(ex):
    set_clock(ex, "2026-12-14T15:10:00+07:00")
    receipt = upload(ex, REPORTER, "STC")
    assert receipt["on_time"] is True and receipt["extended_until"] == UNTIL, receipt
    mails = wait_for(lambda: ex.handler.to(f"{REPORTER}@example.vn", "Biên nhận báo cáo"),
                     timeout=30, what="the receipt mail")
    text = mails[-1].get_content()
    assert "Hạn gửi: 17 giờ 00, thứ Hai, ngày 14/12/2026" in text, text
    assert "Đúng hạn: có (trong hạn được gia hạn)" in text, text
    late = upload(ex, OTHER, "SNV")
    assert late["on_time"] is False and late["extended_until"] is None, late
    status, doc = call(ex, REPORTER, "GET", f"{BASE}/{PERIOD}/submission")
    assert status == 200, doc
    assert doc["timeliness"] == "Đúng hạn (gia hạn đến 17 giờ 00, thứ Hai, ngày 14/12/2026)", doc
    status, doc = call(ex, OTHER, "GET", f"{BASE}/{PERIOD}/submission")
    assert doc["timeliness"] == "Gửi muộn" and doc["window"]["state"] == "late", doc
    assert "Đã quá hạn" in doc["window"]["text"], doc
    rows = status_rows(ex)
    assert rows["STC"]["state"] == "on_time" and rows["STC"]["extended"] is True, rows["STC"]
    assert rows["SNV"]["state"] == "late" and rows["SNV"]["extended"] is False, rows["SNV"]
    status, _, raw = ex.d.request("GET", f"{BASE}/{PERIOD}/status?format=xlsx", headers={
        "Authorization": f"Bearer {ex.tokens[COORDINATOR]}"})
    assert status == 200, raw[:200]
    cells = [c.value for row in openpyxl.load_workbook(io.BytesIO(raw)).active.iter_rows()
             for c in row]
    assert "Đúng hạn (gia hạn)" in cells, cells
    status, doc = call(ex, COORDINATOR, "GET", "/api/v1/series/nq57-weekly/timeliness?periods=2")
    assert status == 200, doc
    stc = next(u for u in doc["units"] if u["unit"] == "STC")
    assert PERIOD in stc["extended"], stc
    # A unit on time by the period's deadline is on time without the extension, whatever
    # version it sent under it later.
    assert upload(ex, FOURTH, "SCT")["extended_until"] == UNTIL
    status, doc = call(ex, COORDINATOR, "GET", "/api/v1/series/nq57-weekly/timeliness?periods=2")
    sct = next(u for u in doc["units"] if u["unit"] == "SCT")
    assert PERIOD not in sct["extended"], sct


def test_the_next_version_takes_it_as_supplement(ex):
    status, doc = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve", {})
    assert status == 201 and doc["version"] == 2 and doc["correction"] is True, doc
    status, _, raw = ex.d.request("GET", f"{BASE}/{PERIOD}/consolidated?n=2", headers={
        "Authorization": f"Bearer {ex.tokens[COORDINATOR]}"})
    assert status == 200, raw[:200]
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    summary = [str(c.value) for row in wb["Tổng hợp"].iter_rows() for c in row if c.value]
    assert "Đúng hạn (gia hạn đến 17:00 14/12/2026) - bổ sung" in summary, summary
    detail = [str(c.value) for row in wb["Chi tiết"].iter_rows() for c in row if c.value]
    assert any("gia hạn đến 17:00 14/12/2026; bổ sung sau khóa sổ" in t for t in detail)
    marks = [str(c.value) for row in wb["Chuyên cần"].iter_rows() for c in row if c.value]
    assert "G" in marks and any("G - nộp trong thời gian được gia hạn" in t for t in marks), marks
    # The cut-off's own draft did not have it.
    assert ex.pg.scalar("SELECT e.state FROM consolidation_entry e JOIN consolidation c "
                        "ON c.id = e.consolidation_id JOIN unit u ON u.id = e.unit_id "
                        "WHERE c.kind = 'cutoff' AND u.code = 'STC'") == "missing"


def test_revoke(ex):
    status, doc = extension(ex, COORDINATOR, {"until": "2026-12-14T12:00:00+07:00",
                                               "reason": REASON}, unit="SNV")
    assert status == 422 and doc["error"]["code"] == "until_passed", doc
    status, doc = extension(ex, REPORTER, None, method="DELETE")
    assert status == 403, doc
    status, doc = extension(ex, COORDINATOR, None, method="DELETE")
    assert status == 200 and doc["extension"] is None, doc
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'extension_revoke'") == "1"
    detail = json.loads(ex.pg.scalar("SELECT detail FROM audit_log "
                                     "WHERE action = 'extension_revoke'"))
    assert detail["unit"] == "STC" and detail["reason"] == REASON, detail
    mails = wait_for(lambda: ex.handler.to(f"{REPORTER}@example.vn", "Thu hồi gia hạn"),
                     timeout=30, what="the revocation's mail")
    assert REASON in mails[0].get_content()
    assert status_rows(ex)["STC"]["extension"] is None
    # What was judged then stays: the report came in time under the extension.
    status, doc = call(ex, REPORTER, "GET", f"{BASE}/{PERIOD}/submission")
    assert doc["receipt"]["on_time"] is True and doc["extension"] is None, doc
    assert doc["timeliness"].startswith("Đúng hạn (gia hạn đến"), doc


def test_the_timeline_tells_it(ex):
    # The unit's timeline: the grant, the round of its extended deadline, the report on time
    # under it, the taking back; in that order, with until when and why.
    status, doc = call(ex, REPORTER, "GET", f"{BASE}/{PERIOD}/timeline")
    assert status == 200, doc
    ev = doc["events"]
    kinds = [e["kind"] for e in ev]
    assert "extension" in kinds and "extension_revoked" in kinds, kinds
    grant = next(e for e in ev if e["kind"] == "extension")
    revoked = next(e for e in ev if e["kind"] == "extension_revoked")
    assert grant["until"] == UNTIL and grant["reason"] == REASON and grant["by"], grant
    assert revoked["until"] == UNTIL and revoked["reason"] == REASON, revoked
    rounds = [e for e in ev if e["kind"] == "reminder" and e["extended"]]
    assert rounds and any(REPORTER in a["address"] for a in rounds[0]["addresses"]), ev
    assert rounds[0]["late"] is False, rounds   # before its extended deadline
    status, doc = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/timeline?unit=SXD")
    late = [e for e in doc["events"] if e["kind"] == "reminder" and e["extended"]]
    assert late and late[-1]["late"] is True, doc["events"]   # after SXD's
    ours = next(e for e in ev if e["kind"] == "submission")
    assert ours["on_time"] is True, ours
    assert kinds.index("extension") < ev.index(rounds[0]) < ev.index(ours) \
        < kinds.index("extension_revoked"), kinds
    # The grant's own mail is the extension's event, not a reminder round.
    assert all(not e["extended"] for e in ev if e["kind"] == "reminder"
               and e["at"] == grant["at"]), ev


if __name__ == "__main__":
    sys.exit(run_tests(
        [test_refusals,
         test_grant_is_audited_mailed_and_shown,
         test_reminders_follow_the_extended_deadline,
         test_on_time_under_the_extension,
         test_the_next_version_takes_it_as_supplement,
         test_revoke,
         test_the_timeline_tells_it],
        setup, teardown))
