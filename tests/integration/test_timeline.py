#!/usr/bin/env python3
"""A unit's timeline (GET .../periods/{p}/timeline?unit=CODE), with the test clock and a real
SMTP server (aiosmtpd): Sở Tài chính's week 50 played through, from the period's opening to
Văn phòng Tỉnh ủy's acknowledgement (the reminder and where it went, version 1 returned with a
comment and the mail about it, version 2 through the API with a signed document, accepted, the
cut-off, the final version, the acknowledgement), each event with its time and details, oldest
first. The reporter reads its own unit's only; the recipient of the series reads it, another
recipient does not; a unit unknown is 404; the list stops at 1000 events and says so."""
import json
import os
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, run_tests, wait_for  # noqa: E402
from intake_util import XLSX, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import close_mail_example, mail_example  # noqa: E402

NOW = "2026-12-06T20:00:00+07:00"   # Sunday of week 49; week 50 opens at Monday 00:00
PERIOD = "2026-W50"                 # units' deadline Friday 11/12 11:00
BASE = f"/api/v1/series/nq57-weekly/periods/{PERIOD}"
FIXTURES = Path(os.environ.get("PDF_FIXTURES", BUILD / "tests" / "pdf"))
REPORTER = "stc.baocao"
OTHER_REPORTER = "snv.baocao"
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
OTHER_RECIPIENT = "vpubnd.nhan"     # receives other series, not the weekly one
COMMENT = "Đề nghị bổ sung kết quả của nhiệm vụ thứ nhất."
KINDS = ["opened", "reminder", "submission", "returned", "submission", "document", "accepted",
         "cutoff", "final", "acknowledged"]


def setup():
    return mail_example("timeline", NOW,
                        [(REPORTER, "STC", "reporter"), (OTHER_REPORTER, "SNV", "reporter"),
                         (COORDINATOR, "SKHCN", "coordinator"),
                         (RECIPIENT, "VPTU", "recipient"),
                         (OTHER_RECIPIENT, "VPUBND", "recipient"),
                         ("quantri", "SKHCN", "admin")],
                        **{"testing.clock_control": "true",
                           "signatures.trusted_roots": str(FIXTURES / "roots.pem")})


def teardown(ex):
    close_mail_example(ex)


def call(ex, login, method, path, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    if content_type:
        headers["Content-Type"] = content_type
    status, _, raw = ex.d.request(method, path, body=body, headers=headers)
    return status, json.loads(raw) if raw.startswith(b"{") else raw


def timeline(ex, login, unit=None):
    status, doc = call(ex, login, "GET", BASE + "/timeline" + (f"?unit={unit}" if unit else ""))
    assert status == 200, (login, unit, status, doc)
    return doc


def near(at, when):
    """Whether the RFC 3339 time at is when or a few seconds after (the test clock runs on)."""
    late = datetime.fromisoformat(at) - datetime.fromisoformat(when)
    return at.endswith("+07:00") and 0 <= late.total_seconds() < 10


def set_clock(ex, when):
    status, doc = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, doc


def unsent(ex):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE state IN "
                            "('queued', 'sending', 'deferred', 'unknown')"))


def wait_job(ex, kind, slot=0):
    def state():
        return ex.pg.scalar("SELECT j.state FROM job_run j JOIN period p ON p.id = j.period_id "
                            f"WHERE j.job = '{kind}' AND j.slot = {slot} "
                            f"AND p.period_key = '{PERIOD}'")
    wait_for(lambda: state() in ("done", "failed"), timeout=60, what=f"the {kind} run")
    assert state() == "done", kind


def test_a_week_of_one_unit(ex):
    set_clock(ex, "2026-12-07T00:00:05+07:00")
    wait_job(ex, "open")
    # Thursday 15:00: the reminder round reaches Sở Tài chính's reporter.
    set_clock(ex, "2026-12-10T15:00:05+07:00")
    wait_job(ex, "remind", 0)
    wait_for(lambda: unsent(ex) == 0, what="the reminders sent")
    # Version 1, a workbook, then returned with a comment.
    set_clock(ex, "2026-12-10T15:10:00+07:00")
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": "Kết quả"} for code, _ in ex.tasks_of("STC")]
    status, _, raw = ex.put(REPORTER, PERIOD, build_workbook(rows, meta=meta_for_unit(
        ex, "STC", PERIOD)), content_type=XLSX)
    assert status == 201, raw
    set_clock(ex, "2026-12-10T16:00:00+07:00")
    status, doc = call(ex, COORDINATOR, "PUT", BASE + "/review?unit=STC",
                       {"version": 1, "decision": "returned", "comment": COMMENT})
    assert status == 200, doc
    wait_for(lambda: unsent(ex) == 0, what="the return's mail sent")
    # Friday morning: version 2 through the API, the signed document, accepted.
    set_clock(ex, "2026-12-11T08:00:00+07:00")
    items = [{"task": code, "status": "in_progress", "progress": 60, "result": "Đã bổ sung"}
             for code, _ in ex.tasks_of("STC")]
    status, doc = call(ex, REPORTER, "PUT", BASE + "/submission", {"items": items})
    assert status == 201 and doc["version"] == 2, doc
    set_clock(ex, "2026-12-11T08:05:00+07:00")
    status, doc = call(ex, REPORTER, "PUT", BASE + "/submission/document",
                       (FIXTURES / "valid.pdf").read_bytes(), "application/pdf")
    assert status == 201, doc
    set_clock(ex, "2026-12-11T08:15:00+07:00")
    status, doc = call(ex, COORDINATOR, "PUT", BASE + "/review?unit=STC",
                       {"version": 2, "decision": "accepted"})
    assert status == 200, doc
    # The cut-off at 11:00, the approval at 14:00, the acknowledgement at 15:02.
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    wait_job(ex, "cutoff")
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, doc = call(ex, COORDINATOR, "POST", BASE + "/approve", {})
    assert status == 201 and doc["version"] == 1, doc
    wait_for(lambda: unsent(ex) == 0, what="the delivery sent")
    set_clock(ex, "2026-12-11T15:02:00+07:00")
    status, doc = call(ex, RECIPIENT, "POST", BASE + "/consolidated/ack?n=1", {})
    assert status == 200, doc

    doc = timeline(ex, COORDINATOR, "STC")
    assert doc["unit"] == "STC" and doc["name"] == "Sở Tài chính" and doc["member"], doc
    assert doc["limit"] == 1000 and doc["truncated"] is False, doc
    events = doc["events"]
    assert [e["kind"] for e in events] == KINDS, [e["kind"] for e in events]
    times = [e["at"] for e in events]
    assert all(t.endswith("+07:00") for t in times) and times == sorted(times), times
    opened, remind, v1, returned, v2, document, accepted, cutoff, final, ack = events
    assert near(opened["at"], "2026-12-07T00:00:05+07:00"), opened
    assert opened["deadline"] == "2026-12-11T11:00:00+07:00", opened
    assert near(remind["at"], "2026-12-10T15:00:05+07:00") and remind["state"] == "sent", remind
    assert remind["manual"] is False and remind["late"] is False, remind
    assert [(a["address"], a["delivered"]) for a in remind["addresses"]] == \
        [("stc.baocao@example.vn", True)], remind
    assert remind["addresses"][0]["sent_at"].endswith("+07:00"), remind
    assert near(v1["at"], "2026-12-10T15:10:00+07:00"), v1
    assert dict(v1, at=None) == {"at": None, "kind": "submission", "version": 1,
                  "channel": "xlsx", "by": REPORTER, "on_behalf": False, "on_time": True,
                  "in_force": False}, v1
    assert near(returned["at"], "2026-12-10T16:00:00+07:00") and returned["version"] == 1, returned
    assert returned["comment"] == COMMENT and returned["by"] == COORDINATOR, returned
    assert [(a["address"], a["delivered"]) for a in returned["addresses"]] == \
        [("stc.baocao@example.vn", True)], returned
    assert v2["version"] == 2 and v2["channel"] == "api" and v2["in_force"] is True, v2
    assert near(document["at"], "2026-12-11T08:05:00+07:00") and document["version"] == 2, document
    assert document["state"] == "valid" and document["on_time"] is True, document
    assert document["signature"].startswith("Ký số hợp lệ — "), document
    assert accepted["version"] == 2 and accepted["comment"] is None, accepted
    assert accepted["addresses"] is None, accepted
    assert cutoff["at"] == "2026-12-11T11:00:00+07:00", cutoff   # the snapshot at the deadline
    assert cutoff["version"] == 2 and cutoff["state"] == "on_time", cutoff
    assert near(final["at"], "2026-12-11T14:00:00+07:00") and final["number"] == 1, final
    assert final["version"] == 2 and final["automatic"] is False and final["on_time"], final
    assert near(ack["at"], "2026-12-11T15:02:00+07:00") and ack["number"] == 1, ack
    assert ack["unit"] == "VPTU" and ack["by"] == RECIPIENT, ack
    assert ack["unit_name"] == "Văn phòng Tỉnh ủy", ack

    # The reporter reads its own unit's, with or without ?unit=; the recipient reads it too.
    assert timeline(ex, REPORTER)["events"] == events
    assert timeline(ex, REPORTER, "STC")["events"] == events
    # The recipient reads the same events without the unit's addresses.
    theirs = timeline(ex, RECIPIENT, "STC")["events"]
    assert [e["kind"] for e in theirs] == [e["kind"] for e in events], theirs
    for e in theirs:
        for a in e.get("addresses") or []:
            assert a["address"] is None and "delivered" in a, e
    assert any(e.get("addresses") for e in theirs), theirs


def test_who_may_read_it(ex):
    for login, unit, code in ((REPORTER, "SNV", "forbidden_unit"),
                              (OTHER_REPORTER, "STC", "forbidden_unit"),
                              (OTHER_RECIPIENT, "STC", "forbidden_role"),
                              (RECIPIENT, None, "forbidden_role"),
                              ("quantri", "STC", "forbidden_role")):
        status, doc = call(ex, login, "GET", BASE + "/timeline" + (f"?unit={unit}" if unit else ""))
        assert status == 403 and doc["error"]["code"] == code, (login, unit, status, doc)
    status, doc = call(ex, COORDINATOR, "GET", BASE + "/timeline?unit=KHONG-CO")
    assert status == 404 and doc["error"]["code"] == "unknown_unit", doc
    status, doc = call(ex, COORDINATOR, "GET", BASE + "/timeline?unit=a%20b")
    assert status == 400 and doc["error"]["code"] == "invalid_unit", doc
    status, _, _ = ex.d.request("GET", BASE + "/timeline?unit=STC")
    assert status == 401
    # The pages' shared script is served with them.
    status, headers, body = ex.d.request("GET", "/timeline.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript"), status
    assert b"export function showTimeline" in body
    # Sở Nội vụ sent nothing: reminded, missing at the cut-off and in the final version.
    kinds = [e["kind"] for e in timeline(ex, OTHER_REPORTER)["events"]]
    assert kinds[:2] == ["opened", "reminder"] and "submission" not in kinds, kinds
    snv = timeline(ex, COORDINATOR, "SNV")["events"]
    assert [(e["kind"], e.get("state")) for e in snv if e["kind"] in ("cutoff", "final")] == \
        [("cutoff", "missing"), ("final", "missing")], snv


def test_the_list_is_capped(ex):
    # 1,200 reminders to Sở Nội vụ, as if queued one minute apart: the first 1,000 events.
    ex.pg.psql("INSERT INTO outbox (dedup_key, kind, series, period, unit, recipient, state, "
               "created_at) SELECT 'reminder:nq57-weekly:" + PERIOD + ":test' || i || "
               "':SNV:snv@example.vn', 'reminder', 'nq57-weekly', '" + PERIOD + "', 'SNV', "
               "'snv@example.vn', 'failed', timestamptz '2026-12-07 08:00+07' + i * "
               "interval '1 minute' FROM generate_series(1, 1200) i")
    doc = timeline(ex, COORDINATOR, "SNV")
    assert doc["truncated"] is True and len(doc["events"]) == 1000, len(doc["events"])
    assert doc["events"][0]["kind"] == "opened", doc["events"][0]
    assert doc["events"][1]["state"] == "failed", doc["events"][1]
    assert timeline(ex, COORDINATOR, "STC")["truncated"] is False


if __name__ == "__main__":
    sys.exit(run_tests([test_a_week_of_one_unit, test_who_may_read_it,
                        test_the_list_is_capped], setup, teardown))
