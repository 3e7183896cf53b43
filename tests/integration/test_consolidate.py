#!/usr/bin/env python3
"""A whole Friday with the test clock and a real SMTP server (aiosmtpd): the 11:00 cut-off
freezes what arrived and mails the draft to the coordinators; a late upload appears in the
live workbook marked late; a report returned and corrected; the assessment; approval at 14:00
delivers the final workbook to the recipients (decoded and read with openpyxl) and no
automatic delivery follows; a correction is delivered as "bổ sung". The next Friday, without
an approval, gets the automatic delivery once. The daemon killed during a cut-off builds and
mails the draft once after its restart. Later imports do not rewrite a past week's roster."""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, free_port, run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import Mailbox  # noqa: E402

import openpyxl  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
NEXT = "2026-W51"
LATER = "2026-W52"
SHEETS = ["Tổng hợp", "Chi tiết", "Chậm tiến độ", "Kiến nghị", "Chưa báo cáo", "Đánh giá",
          "Chuyên cần"]
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao"}
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
BASE = "/api/v1/series/nq57-weekly/periods"


class Receiver(BaseHTTPRequestHandler):
    """The recipients' HTTP endpoint: 503 for the first POST, then 200; 422 for corrections."""
    posts = []
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with Receiver.lock:
            Receiver.posts.append((dict(self.headers), body))
            first = len(Receiver.posts) == 1
        status = 422 if self.headers["X-Baocao-Version"] != "1" else 503 if first else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, *args):
        pass


def setup():
    handler = Mailbox()
    port = free_port()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    work_dir = None
    try:
        import tempfile
        work_dir = tempfile.mkdtemp(prefix="baocao-delivered-")
        os.chmod(work_dir, 0o755)
        ex = Example("consolidate", NOW, **{
            "mail.smtp_url": f"smtp://127.0.0.1:{port}",
            "testing.clock_control": "true",
            "server.workers": "4",
            "report.parent_body": "UBND tỉnh Hà Tĩnh",
            "report.place": "Hà Tĩnh",
            # made at start for the daemon's user
            "report.delivery_dir": os.path.join(work_dir, "reports"),
            # a user, a password and a token the logs and answers must not show
            "report.delivery_url": f"http://nhan:matkhau-bi-mat@127.0.0.1:"
                                   f"{receiver.server_port}/bao-cao?token=khoa-bi-mat"})
    except Exception:
        receiver.shutdown()
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


def call(ex, login, method, path, body=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    status, hdrs, raw = ex.d.request(method, path, body=body, headers=headers)
    return status, hdrs, raw


def set_clock(ex, when):
    status, _, raw = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, raw


def upload(ex, unit, period=PERIOD, status_word="Đang thực hiện", proposal=""):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": status_word, "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": f"Kết quả của {unit}",
             "Kiến nghị, đề xuất": proposal}
            for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, period))
    status, _, raw = ex.put(REPORTERS[unit], period, body, content_type=XLSX)
    assert status == 201, raw
    return json.loads(raw)


def job(ex, kind, period):
    rows = ex.pg.psql("SELECT j.state, coalesce(j.outcome, ''), coalesce(j.error, ''), j.attempt "
                      "FROM job_run j JOIN period p ON p.id = j.period_id "
                      f"WHERE j.job = '{kind}' AND p.period_key = '{period}' "
                      "AND j.series_id = (SELECT id FROM series WHERE name = 'nq57-weekly')")
    return rows[0] if rows else None


def wait_job(ex, kind, period, what=None):
    return wait_for(lambda: (r := job(ex, kind, period)) and r[0] in ("done", "failed") and r,
                    timeout=60, what=what or f"the {kind} run of {period}")


def unsent(ex):
    """Mails not sent yet (other deliveries retry on their own time)."""
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE channel = 'mail' AND state IN "
                            "('queued', 'sending', 'deferred', 'unknown')"))


def http_state(ex, version):
    return ex.pg.scalar("SELECT state FROM outbox WHERE channel = 'http' AND dedup_key LIKE "
                        f"'final:nq57-weekly:{PERIOD}:v{version}:%'")


def workbook_of(data):
    return openpyxl.load_workbook(io.BytesIO(data), read_only=False)


def texts(ws):
    """Every non-empty cell value of a sheet, as strings."""
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def summary_count(ws, label):
    """The count on `Tổng hợp` of the row labelled so in its first column."""
    for row in ws.iter_rows(values_only=True):
        if row[0] == label:
            return next(v for v in row[1:] if isinstance(v, (int, float)))
    raise AssertionError(f"no row {label!r}")


def item_codes(ws):
    """The task codes of the item rows of a sheet that lists items (`Chi tiết`)."""
    return [row[1] for row in ws.iter_rows(values_only=True)
            if isinstance(row[1], str) and row[1].startswith("NQ57-")]


def attachment(msg):
    atts = list(msg.iter_attachments())
    assert len(atts) == 1, [a.get_filename() for a in atts]
    assert atts[0].get_filename().endswith(".xlsx"), atts[0].get_filename()
    return atts[0].get_content()


def status_of(ex, period=PERIOD):
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{period}/status")
    assert status == 200, raw
    doc = json.loads(raw)
    return doc, {u["unit"]: u for u in doc["units"]}


def test_the_cutoff_freezes_what_arrived_and_mails_the_draft(ex):
    upload(ex, "STC", proposal="Bổ sung kinh phí chuyển đổi số")
    upload(ex, "SNV")
    assert job(ex, "cutoff", PERIOD)[0] == "due"
    set_clock(ex, "2026-12-11T10:59:50+07:00")
    assert job(ex, "cutoff", PERIOD)[0] == "due"
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    state, outcome, error, attempt = wait_job(ex, "cutoff", PERIOD)
    assert state == "done" and attempt == "1", (state, outcome, error)
    assert "snapshot taken" in outcome, outcome
    assert ex.pg.scalar(f"SELECT state FROM period WHERE period_key = '{PERIOD}' AND series_id = "
                        "(SELECT id FROM series WHERE name = 'nq57-weekly')") == "cut_off"
    # The snapshot is rows: which submission of each unit went into the 11:00 report.
    rows = dict(ex.pg.psql(
        "SELECT u.code, e.state FROM consolidation_entry e JOIN consolidation c "
        "ON c.id = e.consolidation_id JOIN unit u ON u.id = e.unit_id JOIN period p "
        f"ON p.id = c.period_id WHERE c.kind = 'cutoff' AND p.period_key = '{PERIOD}'"))
    assert rows["STC"] == "on_time" and rows["SNV"] == "on_time" and rows["SXD"] == "missing"
    expected = int(ex.pg.scalar(
        "SELECT count(*) FROM period_member m JOIN period p ON p.id = m.period_id "
        f"WHERE p.period_key = '{PERIOD}' AND p.series_id = "
        "(SELECT id FROM series WHERE name = 'nq57-weekly')"))
    assert len(rows) == expected and expected > 80, (len(rows), expected)
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    drafts = ex.handler.to(f"{COORDINATOR}@example.vn", "Dự thảo báo cáo tổng hợp")
    assert len(drafts) == 1, len(drafts)
    wb = workbook_of(attachment(drafts[0]))
    assert wb.sheetnames == SHEETS, wb.sheetnames
    missing = " ".join(texts(wb["Chưa báo cáo"]))
    assert "Sở Xây dựng" in missing and "Sở Tài chính" not in missing
    detail = " ".join(texts(wb["Chi tiết"]))
    for code, _ in ex.tasks_of("STC"):
        assert code in detail, code
    assert "Bổ sung kinh phí chuyển đổi số" in " ".join(texts(wb["Kiến nghị"]))
    # A yearly report whose deadlines passed (November) before this installation ran is not
    # cut off or delivered now: those runs are recorded as skipped.
    rows = ex.pg.psql("SELECT j.job, j.state FROM job_run j JOIN series s ON s.id = j.series_id "
                      "JOIN period p ON p.id = j.period_id WHERE s.name = 'ngoai-vu-nq59-yearly' "
                      "AND p.period_key = '2026' AND j.job IN ('cutoff', 'deliver')")
    assert sorted(rows) == [["cutoff", "skipped"], ["deliver", "skipped"]], rows
    assert ex.pg.scalar("SELECT count(*) FROM consolidation c JOIN period p ON p.id = c.period_id "
                        "JOIN series s ON s.id = p.series_id "
                        "WHERE s.name = 'ngoai-vu-nq59-yearly'") == "0"
    # Moved into the future by an override, such a run is due again.
    r = ex.d.ctl("period", "override", "ngoai-vu-nq59-yearly", "2026",
                 "--unit-deadline", "2026-12-20T17:00:00+07:00",
                 "--consolidation-deadline", "2026-12-22T17:00:00+07:00")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: ex.pg.scalar(
        "SELECT j.state || ' ' || to_char(j.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'MM-DD HH24:MI') "
        "FROM job_run j JOIN period p ON p.id = j.period_id JOIN series s ON s.id = j.series_id "
        "WHERE s.name = 'ngoai-vu-nq59-yearly' AND p.period_key = '2026' AND j.job = 'cutoff'")
        == "due 12-20 17:00", timeout=10, what="the cut-off due again")
    # The same draft through the API, byte for byte.
    status, hdrs, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated?version=cutoff")
    assert status == 200 and raw == attachment(drafts[0]), status


def test_a_late_upload_is_live_and_marked_late(ex):
    set_clock(ex, "2026-12-11T12:00:00+07:00")
    receipt = upload(ex, "SXD")
    assert receipt["on_time"] is False, receipt
    doc, units = status_of(ex)
    assert units["SXD"]["state"] == "late" and units["STC"]["state"] == "on_time"
    assert doc["totals"]["expected"] == len(doc["units"])
    assert doc["totals"]["late"] == 1 and doc["totals"]["on_time"] == 2, doc["totals"]
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated?version=live")
    assert status == 200, raw
    wb = workbook_of(raw)
    assert "Sở Xây dựng" not in " ".join(texts(wb["Chưa báo cáo"]))
    assert any("nộp muộn" in t.lower() for t in texts(wb["Chi tiết"])), "no late mark"
    # The cut-off draft still says what was there at 11:00.
    state = ex.pg.scalar("SELECT e.state FROM consolidation_entry e JOIN consolidation c "
                         "ON c.id = e.consolidation_id JOIN unit u ON u.id = e.unit_id "
                         "WHERE c.kind = 'cutoff' AND u.code = 'SXD'")
    assert state == "missing", state
    # Recipients never see the live or cut-off workbooks; reporters see none.
    for version in ("live", "cutoff"):
        status, _, _ = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated?version={version}")
        assert status == 403, (version, status)
    status, _, _ = call(ex, "stc.baocao", "GET", f"{BASE}/{PERIOD}/consolidated?version=live")
    assert status == 403
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated")
    assert status == 404 and json.loads(raw)["error"]["code"] == "no_final", raw


def test_live_builds_are_limited(ex):
    # With the submissions locked, two live builds wait inside; a third is refused at once.
    holder = subprocess.Popen(["psql", ex.pg.conninfo, "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    results = []
    try:
        holder.stdin.write("BEGIN; LOCK TABLE submission IN ACCESS EXCLUSIVE MODE;\n"
                           "SELECT pg_sleep(60);\n")
        holder.stdin.flush()
        wait_for(lambda: ex.pg.scalar("SELECT count(*) FROM pg_locks WHERE relation = "
                                      "'submission'::regclass AND granted AND "
                                      "mode = 'AccessExclusiveLock'") == "1", what="the lock")

        def build():
            results.append(call(ex, COORDINATOR, "GET",
                                f"{BASE}/{PERIOD}/consolidated?version=live")[0])
        threads = [threading.Thread(target=build) for _ in range(2)]
        for t in threads:
            t.start()
        wait_for(lambda: ex.pg.scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                                      "wait_event_type = 'Lock' AND application_name = "
                                      "'baocaod'") == "2", what="two builds waiting")
        status, hdrs, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated?version=live")
        assert status == 503 and json.loads(raw)["error"]["code"] == "busy_building", raw
        assert hdrs["retry-after"] == "10"
    finally:
        holder.kill()
        holder.wait()
        ex.pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
                   "'%pg_sleep(60)%' AND pid <> pg_backend_pid()")
    for t in threads:
        t.join(60)
    assert results == [200, 200], results


def version_of(ex, unit):
    """The version of the unit's report in force, as the coordinator's page reads it."""
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/submission?unit={unit}")
    assert status == 200, raw
    return json.loads(raw)["receipt"]["version"]


def reviews_recorded(ex, unit):
    """What a review leaves behind for a unit: reviewed rows, audit entries, return mails."""
    return (ex.pg.scalar("SELECT count(*) FROM submission x JOIN unit u ON u.id = x.unit_id "
                         f"WHERE u.code = '{unit}' AND x.review IS NOT NULL"),
            ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'review_%'"),
            ex.pg.scalar("SELECT count(*) FROM outbox WHERE dedup_key LIKE 'returned:%'"))


def test_a_review_names_the_version_judged(ex):
    before = reviews_recorded(ex, "SNV")
    judged = version_of(ex, "SNV")
    # Without the version judged, nothing is decided.
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=SNV",
                          {"decision": "accepted"})
    err = json.loads(raw)["error"]
    assert status == 400 and err["code"] == "version_required", raw
    assert '"version"' in err["message"], err
    for bad in ("1", 1.5, 0, None, True):
        status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=SNV",
                              {"version": bad, "decision": "accepted"})
        assert status == 400 and json.loads(raw)["error"]["code"] == "version_required", raw
    # The unit sends a new version while the coordinator reads the one before.
    receipt = upload(ex, "SNV", proposal="Bổ sung sau khi điều phối viên mở báo cáo")
    assert receipt["version"] == judged + 1, receipt
    for decision in ({"decision": "accepted"},
                     {"decision": "returned", "comment": "Đề nghị bổ sung số liệu."}):
        status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=SNV",
                              dict(decision, version=judged))
        err = json.loads(raw)["error"]
        assert status == 409 and err["code"] == "version_changed", raw
        assert err["current_version"] == judged + 1 and err["judged_version"] == judged, err
        assert f"phiên bản {judged + 1}" in err["message"], err["message"]
        assert err["current_received_at"].startswith("2026-12-"), err
    # A version that never was is refused the same way.
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=SNV",
                          {"version": judged + 5, "decision": "accepted"})
    err = json.loads(raw)["error"]
    assert status == 409 and err["current_version"] == judged + 1, raw
    # Nothing was recorded, audited or mailed.
    assert reviews_recorded(ex, "SNV") == before, (reviews_recorded(ex, "SNV"), before)
    _, units = status_of(ex)
    assert units["SNV"]["review"] is None, units["SNV"]


def test_a_returned_report_is_corrected(ex):
    comment = "Đề nghị bổ sung số liệu giải ngân của nhiệm vụ chuyển đổi số."
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=SNV",
                          {"version": version_of(ex, "SNV"), "decision": "returned",
                           "comment": comment})
    assert status == 200, raw
    _, units = status_of(ex)
    assert units["SNV"]["state"] == "returned" and units["SNV"]["comment"] == comment
    # Without a comment a report cannot be returned.
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=STC",
                          {"version": version_of(ex, "STC"), "decision": "returned",
                           "comment": "  "})
    assert status == 422, raw
    # The unit is told, with the comment, and sees it.
    wait_for(lambda: ex.handler.to("snv.baocao@example.vn", "Báo cáo cần bổ sung"),
             what="the return notice")
    notice = ex.handler.to("snv.baocao@example.vn", "Báo cáo cần bổ sung")[0]
    assert comment in notice.get_body(preferencelist=("plain",)).get_content()
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'review_return'") == "1"
    status, _, raw = call(ex, "snv.baocao", "GET", f"{BASE}/{PERIOD}/submission")
    review = json.loads(raw)["review"]
    assert status == 200 and review["decision"] == "returned" and review["comment"] == comment
    # Its next upload clears it (late now: after the deadline).
    upload(ex, "SNV", status_word="Đang thực hiện")
    _, units = status_of(ex)
    assert units["SNV"]["state"] == "late" and units["SNV"]["review"] is None, units["SNV"]
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=STC",
                          {"version": version_of(ex, "STC"), "decision": "accepted"})
    assert status == 200 and json.loads(raw)["version"] == version_of(ex, "STC"), raw
    _, units = status_of(ex)
    assert units["STC"]["review"] == "accepted" and units["STC"]["state"] == "on_time"
    # Another unit's coordinator rights do not reach: a reporter cannot review.
    status, _, _ = call(ex, "stc.baocao", "PUT", f"{BASE}/{PERIOD}/review?unit=STC",
                        {"version": 1, "decision": "accepted"})
    assert status == 403


def test_approval_delivers_the_final_once(ex):
    text = "Các đơn vị cơ bản hoàn thành nhiệm vụ trong tuần.\nĐề nghị Sở Xây dựng gửi đúng hạn."
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment", {"text": text})
    assert status == 200, raw
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment",
                          {"text": text + "\nBản sửa."})
    assert status == 200, raw
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/assessment")
    doc = json.loads(raw)
    assert doc["text"].endswith("Bản sửa.") and len(doc["history"]) == 2, doc
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201, raw
    approved = json.loads(raw)
    assert approved["version"] == 1 and approved["correction"] is False, approved
    assert approved["deliveries"] >= 1, approved
    wait_for(lambda: unsent(ex) == 0, what="the delivery sent")
    finals = ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")
    assert len(finals) == 1, len(finals)
    data = attachment(finals[0])
    wb = workbook_of(data)
    assert wb.sheetnames == SHEETS
    # Its counts are the board's, and every item of every report in it is listed once.
    doc, _ = status_of(ex)
    totals = doc["totals"]
    summary = wb["Tổng hợp"]
    assert summary_count(summary, "Số đơn vị phải báo cáo") == totals["expected"]
    for label, key in (("Đúng hạn", "on_time"), ("Nộp muộn", "late"),
                       ("Chưa báo cáo", "missing"), ("Trả lại để bổ sung", "returned")):
        assert summary_count(summary, label) == totals[key], (label, totals)
    items = ex.pg.psql(
        "SELECT t.code FROM consolidation c JOIN period p ON p.id = c.period_id "
        "JOIN consolidation_entry e ON e.consolidation_id = c.id "
        "JOIN report_item i ON i.submission_id = e.submission_id JOIN task t ON t.id = i.task_id "
        f"WHERE p.period_key = '{PERIOD}' AND c.kind = 'final' AND c.version = 1")
    assert sorted(item_codes(wb["Chi tiết"])) == sorted(r[0] for r in items) and items
    missing = " ".join(texts(wb["Chưa báo cáo"]))
    for u in doc["units"]:
        assert (u["name"] in missing) == (u["state"] == "missing"), u
    assessment = " ".join(texts(wb["Đánh giá"]))
    assert "Bản sửa." in assessment and COORDINATOR in assessment, assessment
    # The folder has the same file; the URL answered 503 first: retried later, same key.
    folder = os.path.join(ex.delivered, "reports")
    files = os.listdir(folder)
    assert files == ["tong-hop-nq57-weekly-2026-W50-chinh-thuc-v1.xlsx"], files
    with open(os.path.join(folder, files[0]), "rb") as f:
        assert f.read() == data
    assert len(Receiver.posts) == 1
    assert ex.pg.scalar("SELECT state FROM outbox WHERE channel = 'http'") == "deferred"
    set_clock(ex, "2026-12-11T14:06:00+07:00")     # retried after 5 minutes, the same bytes
    wait_for(lambda: http_state(ex, 1) == "sent", what="the POST retried")
    assert len(Receiver.posts) == 2, len(Receiver.posts)
    (h1, b1), (h2, b2) = Receiver.posts
    assert b1 == b2 == data and h1["Idempotency-Key"] == h2["Idempotency-Key"]
    assert h2["X-Baocao-Series"] == "nq57-weekly" and h2["X-Baocao-Period"] == PERIOD
    # The recipient fetches it later: the same bytes, the SHA-256 kept.
    status, hdrs, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated?version=final")
    assert status == 200 and raw == data, status
    assert hdrs["x-content-sha256"] == approved["sha256"]
    # The automatic delivery at 15:15 finds the approval and sends nothing.
    set_clock(ex, "2026-12-11T15:15:05+07:00")
    state, outcome, error, _ = wait_job(ex, "deliver", PERIOD)
    assert state == "done" and "approved before" in outcome, (state, outcome, error)
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    assert len(ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")) == 1
    assert len(Receiver.posts) == 2, len(Receiver.posts)


def recipient_sees_only_its_own_deliveries(ex, full):
    """The recipient's list of versions: every version, and of the deliveries only the mails
    to its own unit's addresses, each delivered or not and when; no folder, URL, other
    address or error. full is the coordinator's list of the same versions."""
    # A mail to another recipient's address, which failed with an error, beside its own
    # (already escalated, so that the coordinators are not told of it).
    ex.pg.psql("INSERT INTO outbox (dedup_key, kind, series, period, version, channel, "
               "recipient, subject, body, created_at, "
               "next_attempt_at, state, failed_at, escalated_at, last_error) VALUES "
               f"('final:nq57-weekly:{PERIOD}:v1:mail:van-thu@other-office.vn', "
               f"'final_delivery', 'nq57-weekly', '{PERIOD}', 1, 'mail', "
               "'van-thu@other-office.vn', 's', 'b', now(), now(), 'failed', now(), now(), "
               "'550 mailbox of the other office is full')")
    try:
        status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated/versions")
        coordinator = json.loads(raw)
        status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated/versions")
        assert status == 200, raw
        doc = json.loads(raw)
    finally:
        ex.pg.psql("DELETE FROM outbox WHERE recipient = 'van-thu@other-office.vn'")
    # The coordinator sees all of it: the folder, the URL, the other address, the errors.
    text = json.dumps(coordinator, ensure_ascii=False)
    for seen in (ex.delivered, "127.0.0.1:", "van-thu@other-office.vn", "mailbox of the other"):
        assert seen in text, seen
    assert {"channel", "recipient", "state", "sent_at", "last_error"} <= \
        set(coordinator["versions"][0]["deliveries"][0])
    # The recipient sees every version and its own mails only.
    own = {r[0] for r in ex.pg.psql(
        "SELECT lower(regexp_replace(e, '^head:', '')) FROM unit u, unnest(u.emails) e "
        "WHERE u.code = 'VPTU' UNION SELECT lower(a.email) FROM account a JOIN unit u "
        "ON u.id = a.unit_id WHERE u.code = 'VPTU' AND a.email IS NOT NULL")}
    assert [v["version"] for v in doc["versions"]] == [v["version"] for v in full]
    for v in doc["versions"]:
        assert v["deliveries"], v
        for d in v["deliveries"]:
            assert set(d) == {"channel", "recipient", "delivered", "sent_at"}, d
            assert d["channel"] == "mail" and d["recipient"] in own, (d, own)
            assert d["delivered"] is True and d["sent_at"], d
    assert f"{RECIPIENT}@example.vn" in {d["recipient"] for d in doc["versions"][0]["deliveries"]}
    for hidden in (ex.delivered, "reports", "127.0.0.1", "bao-cao", "van-thu@other-office.vn",
                   "other-office", "mailbox", "last_error", "folder", "http", "state",
                   f"{COORDINATOR}@"):
        assert hidden not in raw.decode(), hidden


def test_approving_again_delivers_a_correction(ex):
    # Nothing changed since version 1: a second press sends nothing.
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    err = json.loads(raw)["error"]
    assert status == 409 and err["code"] == "nothing_changed", raw
    assert "Không có gì thay đổi" in err["message"], raw
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment",
                          {"text": "Bổ sung: Sở Xây dựng đã gửi báo cáo muộn."})
    assert status == 200, raw
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201, raw
    assert json.loads(raw)["version"] == 2 and json.loads(raw)["correction"] is True
    wait_for(lambda: unsent(ex) == 0, what="the correction sent")
    wait_for(lambda: http_state(ex, 2) == "failed", what="the POST refused")
    finals = ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")
    assert len(finals) == 2 and "bổ sung lần 1" in finals[1]["Subject"], \
        [m["Subject"] for m in finals]
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated/versions")
    assert status == 200, raw
    versions = json.loads(raw)["versions"]
    assert [v["version"] for v in versions] == [1, 2], versions
    by_channel = {(v["version"], d["channel"]): d["state"] for v in versions
                  for d in v["deliveries"]}
    assert by_channel[(2, "http")] == "failed", by_channel      # the URL refused it: 422
    assert all(state == "sent" for key, state in by_channel.items() if key != (2, "http"))
    recipient_sees_only_its_own_deliveries(ex, versions)
    # A delivery that failed is not left to be found: the coordinators are told, once.
    set_clock(ex, "2026-12-11T15:40:00+07:00")
    wait_for(lambda: ex.handler.to(f"{COORDINATOR}@example.vn", "Chưa gửi được báo cáo"),
             what="the escalation")
    set_clock(ex, "2026-12-11T15:45:00+07:00")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    told = ex.handler.to(f"{COORDINATOR}@example.vn", "Chưa gửi được báo cáo")
    assert len(told) == 1, [m.get_body(preferencelist=("plain",)).get_content() for m in told]
    assert "baocaoctl outbox retry" in told[0].get_body(preferencelist=("plain",)).get_content()
    status, ready = ex.d.get_json("/readyz")
    assert ready.get("outbox_failed", 0) >= 1, ready
    assert ready.get("deliveries_not_arrived") == 1, ready
    # The URL's secrets reach neither the log, nor the versions' list, nor the mails.
    body = told[0].get_body(preferencelist=("plain",)).get_content()
    status, _, listed = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated/versions")
    for secret in ("matkhau-bi-mat", "khoa-bi-mat"):
        assert secret not in ex.d.log_text() and secret not in body, secret
        assert secret.encode() not in listed, secret
    assert Receiver.posts[0][0]["Authorization"].startswith("Basic ")
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated?version=final&n=1")
    assert status == 200
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'approve_correction'") == "1"
    # baocaoctl writes the same workbooks.
    out = ex.work.path / "final-1.xlsx"
    r = ex.d.ctl("consolidate", "nq57-weekly", PERIOD, "--version", "final", "--n", "1", "-o", out)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == raw
    live = ex.work.path / "live.xlsx"
    r = ex.d.ctl("consolidate", "nq57-weekly", PERIOD, "-o", live)
    assert r.returncode == 0 and "units expected" in r.stdout, (r.stdout, r.stderr)
    assert workbook_of(live.read_bytes()).sheetnames == SHEETS
    r = ex.d.ctl("consolidate", "nq57-weekly", NEXT, "--version", "cutoff", "-o", live)
    assert r.returncode == 1 and "no cut-off workbook yet" in r.stderr, r.stderr


def reload_with(ex, **settings):
    """Writes the settings (section.name=value; None removes one) and waits for the reload."""
    for key, value in settings.items():
        section, name = key.split(".", 1)
        if value is None:
            ex.d.settings[section].pop(name, None)
        else:
            ex.d.settings[section][name] = value
    ex.d.write_config()
    before = ex.d.log_text().count("config: reloaded")
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ex.d.log_text().count("config: reloaded") == before + 1, what="reload")


def readyz(ex, login=None, forwarded=None):
    headers = {}
    if login:
        headers["Authorization"] = f"Bearer {ex.tokens[login]}"
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    status, _, raw = ex.d.request("GET", "/readyz", headers=headers)
    assert status == 200, raw
    return json.loads(raw)


def test_readyz_counts_are_for_operators(ex):
    schema = int(ex.pg.scalar("SELECT max(version) FROM schema_migration"))
    public = {"status": "ready", "schema_version": schema}
    counts = {"outbox_failed", "deliveries_not_arrived", "warning", "now"}
    # This machine (readyz_trusted's default: 127.0.0.1/32 ::1/128) sees the counts.
    assert counts <= set(readyz(ex)), readyz(ex)
    # A request forwarded by a proxy the daemon was not told to believe is not this machine.
    assert readyz(ex, forwarded="127.0.0.1") == public
    try:
        reload_with(ex, **{"server.trusted_proxies": "127.0.0.1"})
        # Behind the proxy: a client on the Internet sees only ready and the schema.
        assert readyz(ex, forwarded="203.0.113.7") == public
        assert readyz(ex, forwarded="127.0.0.1, 203.0.113.7") == public
        for login in (COORDINATOR, RECIPIENT, "stc.baocao"):
            assert readyz(ex, login, forwarded="203.0.113.7") == public, login
        status, _, raw = ex.d.request("GET", "/readyz", headers={
            "X-Forwarded-For": "203.0.113.7", "Authorization": "Bearer not-a-token"})
        assert status == 200 and json.loads(raw) == public, raw
        # An admin's token sees the counts from anywhere.
        seen = readyz(ex, "quantri", forwarded="203.0.113.7")
        assert counts <= set(seen) and seen["deliveries_not_arrived"] == 1, seen
        # The monitoring host, forwarded by the proxy, is in the trusted ranges.
        reload_with(ex, **{"server.readyz_trusted": "203.0.113.0/24 2001:db8::/32"})
        assert counts <= set(readyz(ex, forwarded="203.0.113.7"))
        assert readyz(ex, forwarded="203.0.114.7") == public
        assert counts <= set(readyz(ex, forwarded="2001:db8:1::5"))
        assert readyz(ex, forwarded="2001:db9::5") == public
        # This machine itself is no longer in the list.
        assert readyz(ex) == public
        # A list that is not one is refused on reload, naming the key; the old one stays.
        ex.d.settings["server"]["readyz_trusted"] = "203.0.113.0/33"
        ex.d.write_config()
        ex.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "readyz_trusted" in ex.d.log_text().split("reload failed")[-1]
                 if "reload failed" in ex.d.log_text() else False, what="the reload refused")
        assert counts <= set(readyz(ex, forwarded="203.0.113.7"))
        # A peer that forwards but is not in trusted_proxies may carry anybody's request:
        # its own address (this machine) does not count then.
        reload_with(ex, **{"server.trusted_proxies": "10.0.0.0/8", "server.readyz_trusted": None})
        assert readyz(ex, forwarded="203.0.113.7") == public
        assert readyz(ex, forwarded="127.0.0.1") == public
        assert counts <= set(readyz(ex))
    finally:
        reload_with(ex, **{"server.trusted_proxies": None, "server.readyz_trusted": None})
    assert counts <= set(readyz(ex))


def test_without_approval_the_final_goes_automatically_once(ex):
    set_clock(ex, "2026-12-14T08:00:00+07:00")
    wait_job(ex, "open", NEXT)
    upload(ex, "STC", period=NEXT)
    set_clock(ex, "2026-12-18T15:15:05+07:00")
    state, outcome, error, _ = wait_job(ex, "deliver", NEXT)
    assert state == "done" and "automatic" in outcome, (state, outcome, error)
    assert wait_job(ex, "cutoff", NEXT)[0] == "done"
    wait_for(lambda: unsent(ex) == 0, what="the automatic delivery sent")
    finals = [m for m in ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")
              if "Tuần 51" in m["Subject"]]
    assert len(finals) == 1, [m["Subject"] for m in finals]
    wb = workbook_of(attachment(finals[0]))
    assert any("tự động" in t.lower() for t in texts(wb["Đánh giá"])), texts(wb["Đánh giá"])
    # The clock back and forth again: nothing more.
    set_clock(ex, "2026-12-18T15:00:00+07:00")
    set_clock(ex, "2026-12-18T15:16:00+07:00")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    assert ex.pg.scalar("SELECT count(*) FROM consolidation c JOIN period p ON p.id = c.period_id "
                        f"WHERE p.period_key = '{NEXT}' AND c.kind = 'final'") == "1"
    assert ex.pg.scalar("SELECT automatic FROM consolidation c JOIN period p "
                        f"ON p.id = c.period_id WHERE p.period_key = '{NEXT}' "
                        "AND c.kind = 'final'") == "t"


def test_a_cutoff_killed_mid_build_runs_once_after_restart(ex):
    set_clock(ex, "2026-12-21T08:00:00+07:00")
    wait_job(ex, "open", LATER)
    # A session holds the period's row, so the cut-off blocks inside its transaction.
    holder = subprocess.Popen(["psql", ex.pg.conninfo, "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        holder.stdin.write("BEGIN; SELECT 1 FROM period WHERE period_key = '%s' FOR UPDATE;\n"
                           "SELECT pg_sleep(120);\n" % LATER)
        holder.stdin.flush()
        wait_for(lambda: ex.pg.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                      "'%pg_sleep(120)%' AND state = 'active' AND pid <> pg_backend_pid()") == "1",
                 what="the row held")
        set_clock(ex, "2026-12-25T11:00:05+07:00")
        wait_for(lambda: job(ex, "cutoff", LATER)[0] == "running", what="the cut-off started")
        ex.d.stop(sig=signal.SIGKILL)
    finally:
        holder.kill()
        holder.wait()
        # The server learns of a vanished client only when it writes to it: end it now.
        ex.pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
                   "'%pg_sleep(120)%' AND pid <> pg_backend_pid()")
    assert ex.pg.scalar("SELECT count(*) FROM consolidation c JOIN period p ON p.id = c.period_id "
                        f"WHERE p.period_key = '{LATER}'") == "0"
    # Restarted after the lease ran out: the run is interrupted, then runs once.
    ex.d.start(env={"BAOCAO_FAKE_NOW": "2026-12-25T11:06:00+07:00"})
    state, outcome, error, attempt = wait_job(ex, "cutoff", LATER)
    assert state == "done" and attempt == "2", (state, outcome, error, attempt)
    assert "lease expired" in ex.d.log_text()
    wait_for(lambda: unsent(ex) == 0, what="the draft sent")
    drafts = [m for m in ex.handler.to(f"{COORDINATOR}@example.vn", "Dự thảo báo cáo tổng hợp")
              if "Tuần 52" in m["Subject"]]
    assert len(drafts) == 1, len(drafts)
    assert ex.pg.scalar("SELECT count(*) FROM consolidation c JOIN period p ON p.id = c.period_id "
                        f"WHERE p.period_key = '{LATER}' AND c.kind = 'cutoff'") == "1"


def test_later_imports_do_not_rewrite_past_weeks(ex):
    def roster(period):
        return int(ex.pg.scalar(
            "SELECT count(*) FROM period_task t JOIN period p ON p.id = t.period_id "
            f"WHERE p.period_key = '{period}' AND p.series_id = "
            "(SELECT id FROM series WHERE name = 'nq57-weekly')"))
    current = "2026-W53"
    set_clock(ex, "2026-12-28T08:00:00+07:00")
    wait_job(ex, "open", current)
    before = roster(PERIOD)
    assert before > 0 and roster(current) == before, (before, roster(current))
    # A table with only the first task: the others are deactivated from now on.
    with open(ROOT / "config" / "tasks-nq57-weekly.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    first = next(r for r in rows[1:] if r[0])
    small = ex.work.path / "tasks-small.csv"
    with open(small, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([rows[0], first])
    r = ex.d.ctl("import", "tasks", "nq57-weekly", small)
    assert r.returncode == 0, r.stderr
    assert roster(PERIOD) == before, "a past week's tasks changed"
    assert 0 < roster(current) < before, "the open week did not follow the import"
    # The past week's workbook still lists its tasks.
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated?version=live")
    assert status == 200


if __name__ == "__main__":
    sys.exit(run_tests(
        [test_the_cutoff_freezes_what_arrived_and_mails_the_draft,
         test_a_late_upload_is_live_and_marked_late,
         test_live_builds_are_limited,
         test_a_review_names_the_version_judged,
         test_a_returned_report_is_corrected,
         test_approval_delivers_the_final_once,
         test_approving_again_delivers_a_correction,
         test_readyz_counts_are_for_operators,
         test_without_approval_the_final_goes_automatically_once,
         test_a_cutoff_killed_mid_build_runs_once_after_restart,
         test_later_imports_do_not_rewrite_past_weeks],
        setup, teardown))
