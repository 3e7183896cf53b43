#!/usr/bin/env python3
"""The recipients' acknowledgement of a delivered consolidated report, with the test clock and
a real SMTP server (aiosmtpd): Văn phòng Tỉnh ủy marks the approved version "Đã tiếp nhận"
(once: a second time answers the first), an undelivered version is refused, other roles and
another series' recipient are refused; acknowledged before 16:30, no mail. The next Friday
nobody acknowledges the automatic delivery: at 16:30 each coordinator of Sở KH&CN gets one
mail, and none more after the clock goes back and forth, a restart or a second pass. Sở KH&CN's
own timeliness: delivered by 15:30 on time, a delivery at 15:45 late, in the versions list and
the timeliness table."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests, wait_for  # noqa: E402
from intake_util import XLSX, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import close_mail_example, mail_example  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
NEXT = "2026-W51"
LATER = "2026-W52"
BASE = "/api/v1/series/nq57-weekly/periods"
COORDINATORS = ["skhcn.dieuphoi", "skhcn.tonghop"]
RECIPIENT = "vptu.nhan"
OTHER_RECIPIENT = "vpubnd.nhan"      # receives the 282 and NQ59 series, not the weekly one
REPORTER = "stc.baocao"
SUBJECT = "Chưa có xác nhận tiếp nhận báo cáo tổng hợp"


def setup():
    return mail_example("ack", NOW, [(REPORTER, "STC", "reporter")] +
                        [(login, "SKHCN", "coordinator") for login in COORDINATORS] +
                        [(RECIPIENT, "VPTU", "recipient"),
                         (OTHER_RECIPIENT, "VPUBND", "recipient"),
                         ("quantri", "SKHCN", "admin")],
                        **{"testing.clock_control": "true", "server.workers": "4"})


def teardown(ex):
    close_mail_example(ex)


def call(ex, login, method, path, body=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    if method == "POST" and body is None:
        body = {}
    status, _, raw = ex.d.request(method, path, body=body, headers=headers)
    return status, json.loads(raw) if raw.startswith(b"{") else raw


def ack(ex, login, n, period=PERIOD):
    return call(ex, login, "POST", f"{BASE}/{period}/consolidated/ack?n={n}")


def versions(ex, login=COORDINATORS[0], period=PERIOD):
    status, doc = call(ex, login, "GET", f"{BASE}/{period}/consolidated/versions")
    assert status == 200, doc
    return doc


def set_clock(ex, when):
    status, doc = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, doc


def upload(ex, period):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": "Kết quả"} for code, _ in ex.tasks_of("STC")]
    body = build_workbook(rows, meta=meta_for_unit(ex, "STC", period))
    status, _, raw = ex.put(REPORTER, period, body, content_type=XLSX)
    assert status == 201, raw


def job(ex, kind, period):
    rows = ex.pg.psql("SELECT j.state, coalesce(j.outcome, ''), coalesce(j.error, ''), j.attempt "
                      "FROM job_run j JOIN period p ON p.id = j.period_id "
                      f"WHERE j.job = '{kind}' AND p.period_key = '{period}' "
                      "AND j.series_id = (SELECT id FROM series WHERE name = 'nq57-weekly')")
    return rows[0] if rows else None


def wait_job(ex, kind, period):
    return wait_for(lambda: (r := job(ex, kind, period)) and r[0] in ("done", "failed") and r,
                    timeout=60, what=f"the {kind} run of {period}")


def unsent(ex):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE channel = 'mail' AND state IN "
                            "('queued', 'sending', 'deferred', 'unknown')"))


def overdue_mails(ex, login, week):
    return [m for m in ex.handler.to(f"{login}@example.vn", SUBJECT) if week in m["Subject"]]


def test_nothing_delivered_nothing_to_acknowledge(ex):
    status, doc = ack(ex, RECIPIENT, 1)
    assert status == 409 and doc["error"]["code"] == "not_delivered", doc
    assert "chưa có bản báo cáo tổng hợp nào được gửi" in doc["error"]["message"], doc
    assert doc["error"]["message"].endswith("Hãy xác nhận sau khi nhận được bản tổng hợp."), doc
    for query in ("", "?n=0", "?n=abc", "?n=1x", "?n=+1", "?n=%201", "?n=%091", "?n=1%20",
                  "?n=01", "?n=-1", "?n=99999999999", "?n=1000000000"):
        status, doc = call(ex, RECIPIENT, "POST", f"{BASE}/{PERIOD}/consolidated/ack{query}")
        assert status == 400 and doc["error"]["code"] == "bad_version", (query, doc)


def test_only_the_series_recipients_acknowledge(ex):
    for login in (REPORTER, COORDINATORS[0], OTHER_RECIPIENT, "quantri"):
        status, doc = ack(ex, login, 1)
        assert status == 403, (login, status, doc)
    status, doc = ack(ex, OTHER_RECIPIENT, 1)
    assert "đơn vị nhận báo cáo tổng hợp" in doc["error"]["message"], doc
    status, _, _ = ex.d.request("POST", f"{BASE}/{PERIOD}/consolidated/ack?n=1", body={})
    assert status == 401


def test_the_recipient_acknowledges_once(ex):
    upload(ex, PERIOD)
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, doc = call(ex, COORDINATORS[0], "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201 and doc["version"] == 1, doc
    wait_for(lambda: unsent(ex) == 0, what="the delivery sent")
    doc = versions(ex)
    v = doc["versions"][0]
    assert v["acknowledged_at"] is None and v["acknowledged_by"] is None, v
    # Sở KH&CN delivered at 14:00, before its 15:30 deadline.
    assert doc["delivery"] == {"unit": "SKHCN", "name": doc["delivery"]["name"],
                               "deadline": "2026-12-11T15:30:00+07:00",
                               "delivered_at": "2026-12-11T14:00:00+07:00",
                               "on_time": True}, doc["delivery"]
    assert "Khoa học" in doc["delivery"]["name"], doc["delivery"]
    set_clock(ex, "2026-12-11T15:02:00+07:00")
    status, first = ack(ex, RECIPIENT, 1)
    assert status == 200 and first["already"] is False, first
    assert first["version"] == 1 and first["acknowledged_at"] == "2026-12-11T15:02:00+07:00"
    assert first["acknowledged_by"] == RECIPIENT and "Tỉnh ủy" in first["acknowledged_unit"]
    # The coordinators' list and the recipient's show it.
    for login in (COORDINATORS[0], RECIPIENT):
        v = versions(ex, login)["versions"][0]
        assert v["acknowledged_at"] == first["acknowledged_at"], (login, v)
        assert v["acknowledged_by"] == RECIPIENT, (login, v)
    status, doc = call(ex, RECIPIENT, "GET", "/api/v1/series/nq57-weekly/deliveries")
    assert status == 200, doc
    week = next(p for p in doc["periods"] if p["period"] == PERIOD)
    assert week["versions"][0]["acknowledged_at"] == first["acknowledged_at"], week
    audit = ex.pg.psql("SELECT actor, object_type, detail->>'version' FROM audit_log "
                       "WHERE action = 'consolidated_ack'")
    assert audit == [[RECIPIENT, "period", "1"]], audit
    # Again, later: the first acknowledgement answered, unchanged, not audited again.
    set_clock(ex, "2026-12-11T15:10:00+07:00")
    status, again = ack(ex, RECIPIENT, 1)
    assert status == 200 and again["already"] is True, again
    assert again["acknowledged_at"] == first["acknowledged_at"], again
    assert "trước đó" in again["message"], again
    assert ex.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'consolidated_ack'") == "1"
    # A version not delivered.
    status, doc = ack(ex, RECIPIENT, 2)
    assert status == 409 and doc["error"]["code"] == "not_delivered", doc
    assert "Bản mới nhất đã gửi là bản số 1" in doc["error"]["message"], doc
    # Acknowledged in time: at 16:30 the check sends nothing.
    set_clock(ex, "2026-12-11T16:30:05+07:00")
    state, outcome, error, _ = wait_job(ex, "ack_by", PERIOD)
    assert state == "done" and "acknowledged" in outcome and "no mail" in outcome, \
        (state, outcome, error)
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    for login in COORDINATORS:
        assert overdue_mails(ex, login, "Tuần 50") == []
    assert ex.pg.scalar("SELECT count(*) FROM outbox WHERE kind = 'ack_overdue'") == "0"


def test_not_acknowledged_by_1630_mails_the_coordinators_once(ex):
    set_clock(ex, "2026-12-14T08:00:00+07:00")
    wait_job(ex, "open", NEXT)
    upload(ex, NEXT)
    # Nobody approves: the automatic delivery at 15:15, on time.
    set_clock(ex, "2026-12-18T15:15:05+07:00")
    state, outcome, error, _ = wait_job(ex, "deliver", NEXT)
    assert state == "done" and "automatic" in outcome, (state, outcome, error)
    delivery = versions(ex, period=NEXT)["delivery"]
    assert delivery["on_time"] is True, delivery
    assert delivery["delivered_at"] == "2026-12-18T15:15:05+07:00", delivery
    set_clock(ex, "2026-12-18T16:29:00+07:00")
    assert job(ex, "ack_by", NEXT)[0] == "due"
    set_clock(ex, "2026-12-18T16:30:05+07:00")
    state, outcome, error, _ = wait_job(ex, "ack_by", NEXT)
    assert state == "done" and "2 mails" in outcome, (state, outcome, error)
    wait_for(lambda: unsent(ex) == 0, what="the mails sent")
    for login in COORDINATORS:
        mails = overdue_mails(ex, login, "Tuần 51")
        assert len(mails) == 1, (login, len(mails))
        body = mails[0].get_body(preferencelist=("plain",)).get_content()
        for words in ("phiên bản 1", "bản chính thức", "15 giờ 15", "Văn phòng Tỉnh ủy",
                      "chưa có đơn vị nhận nào xác nhận", "vptu.nhan@example.vn", "đã gửi",
                      "16 giờ 30"):
            assert words in body, (words, body)
    # Nobody else: not the recipient, not the reporter.
    assert overdue_mails(ex, RECIPIENT, "Tuần 51") == []
    assert overdue_mails(ex, REPORTER, "Tuần 51") == []
    # The clock back and forth, a restart, a second pass of the check: nothing more.
    set_clock(ex, "2026-12-18T16:00:00+07:00")
    set_clock(ex, "2026-12-18T16:31:00+07:00")
    assert ex.d.stop() == 0
    ex.d.start(env={"BAOCAO_FAKE_NOW": "2026-12-18T16:40:00+07:00"})
    ex.pg.psql("UPDATE job_run SET state = 'due', finished_at = NULL, outcome = NULL "
               "WHERE job = 'ack_by' AND period_id = (SELECT id FROM period "
               f"WHERE period_key = '{NEXT}' AND series_id = (SELECT id FROM series "
               "WHERE name = 'nq57-weekly'))")
    set_clock(ex, "2026-12-18T16:41:00+07:00")
    state, outcome, error, attempt = wait_job(ex, "ack_by", NEXT)
    assert state == "done" and attempt == "2" and "0 mails" in outcome, \
        (state, outcome, error, attempt)
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    for login in COORDINATORS:
        assert len(overdue_mails(ex, login, "Tuần 51")) == 1, login
    assert ex.pg.scalar("SELECT count(*) FROM outbox WHERE kind = 'ack_overdue'") == "2"
    # Acknowledged late, it is still kept and shown.
    status, doc = ack(ex, RECIPIENT, 1, period=NEXT)
    assert status == 200 and doc["already"] is False, doc


def test_a_late_delivery_is_recorded_late(ex):
    set_clock(ex, "2026-12-21T08:00:00+07:00")
    wait_job(ex, "open", LATER)
    upload(ex, LATER)
    # The daemon's clock jumps past the consolidation deadline: the automatic delivery runs
    # late, at 15:45.
    set_clock(ex, "2026-12-25T15:45:00+07:00")
    state, outcome, error, _ = wait_job(ex, "deliver", LATER)
    assert state == "done" and "automatic" in outcome, (state, outcome, error)
    delivery = versions(ex, period=LATER)["delivery"]
    assert delivery["on_time"] is False, delivery
    assert delivery["delivered_at"] == "2026-12-25T15:45:00+07:00", delivery
    assert ex.pg.scalar("SELECT on_time FROM consolidation c JOIN period p "
                        "ON p.id = c.period_id WHERE p.period_key = "
                        f"'{LATER}' AND c.kind = 'final'") == "f"
    # The timeliness table has Sở KH&CN's line: W50 and W51 on time, W52 late.
    status, doc = call(ex, COORDINATORS[0], "GET",
                       "/api/v1/series/nq57-weekly/timeliness?periods=4")
    assert status == 200, doc
    line = doc["consolidator"]
    assert line["unit"] == "SKHCN" and "Khoa học" in line["name"], line
    keys = [p["period"] for p in doc["periods"]]
    states = dict(zip(keys, line["states"]))
    assert states[PERIOD] == "on_time" and states[NEXT] == "on_time", states
    assert states[LATER] == "late", states
    assert dict(zip(keys, line["delivered_at"]))[LATER] == "2026-12-25T15:45:00+07:00"
    assert line["late"] >= 1 and line["on_time"] >= 2, line
    # Nothing acknowledged by 16:30: the mail says so, once.
    set_clock(ex, "2026-12-25T16:30:05+07:00")
    state, outcome, _, _ = wait_job(ex, "ack_by", LATER)
    assert state == "done" and "2 mails" in outcome, outcome


if __name__ == "__main__":
    sys.exit(run_tests(
        [test_nothing_delivered_nothing_to_acknowledge,
         test_only_the_series_recipients_acknowledge,
         test_the_recipient_acknowledges_once,
         test_not_acknowledged_by_1630_mails_the_coordinators_once,
         test_a_late_delivery_is_recorded_late],
        setup, teardown))
