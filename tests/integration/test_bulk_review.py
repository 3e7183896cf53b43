#!/usr/bin/env python3
"""Two ways of doing many things at once, on one daemon: the coordinator accepts several
units' reports in one request (POST .../review), each item judged, answered and audited on
its own; and a workbook sent alone (PUT /api/v1/submissions) goes to the series, period and
unit its hidden sheet names, when the caller may report for that unit."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit, meta_mac  # noqa: E402

NOW = "2026-12-02T09:00:00+07:00"   # Wednesday of 2026-W49; W48 is past, W50 not begun
PERIOD = "2026-W49"
BASE = "/api/v1/series/nq57-weekly/periods"
COORDINATOR = "skhcn.dieuphoi"


def setup():
    ex = Example("bulk-review", NOW)
    for login, unit, role in (("stc.baocao", "STC", "reporter"), ("snv.baocao", "SNV", "reporter"),
                              ("sxd.baocao", "SXD", "reporter"), ("syt.baocao", "SYT", "reporter"),
                              ("sct.baocao", "SCT", "reporter"),
                              (COORDINATOR, "SKHCN", "coordinator"), ("vptu.nhan", "VPTU", "recipient")):
        ex.account(login, unit, role)
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def call(ex, login, method, path, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    if content_type:
        headers["Content-Type"] = content_type
    return ex.d.request(method, path, body=body, headers=headers)


def workbook(ex, unit, period, note="", meta=True):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": f"Kết quả của {unit} {note}"}
            for code, _ in ex.tasks_of(unit)]
    return build_workbook(rows, meta=meta_for_unit(ex, unit, period) if meta else None)


def upload(ex, unit, login, note=""):
    status, _, raw = ex.put(login, PERIOD, workbook(ex, unit, PERIOD, note))
    assert status == 201, raw
    return json.loads(raw)["version"]


def bulk(ex, login, items, decision="accepted"):
    body = json.dumps({"decision": decision, "units": items}).encode()
    status, _, raw = call(ex, login, "POST", f"{BASE}/{PERIOD}/review", body, "application/json")
    return status, json.loads(raw)


def review_of(ex, unit, period=PERIOD):
    return ex.pg.psql("SELECT x.version, coalesce(x.review, '') FROM submission x "
                      "JOIN unit u ON u.id = x.unit_id JOIN period p ON p.id = x.period_id "
                      f"WHERE u.code = '{unit}' AND p.period_key = '{period}' "
                      "AND NOT x.superseded")


def accept_audits(ex):
    """(unit, version) of every review_accept audit entry, oldest first."""
    return [(u, int(v)) for u, v in ex.pg.psql(
        "SELECT detail->>'unit', detail->>'version' FROM audit_log "
        "WHERE action = 'review_accept' ORDER BY id")]


def test_several_units_accepted_at_once(ex):
    for unit in ("STC", "SNV", "SXD", "SYT"):
        upload(ex, unit, unit.lower() + ".baocao")
    status, doc = bulk(ex, COORDINATOR, [{"unit": "STC", "version": 1},
                                         {"unit": "SNV", "version": 1}])
    assert status == 200, doc
    assert doc["accepted"] == 2 and doc["refused"] == 0, doc
    assert [(r["unit"], r["version"], r["ok"], r["review"]) for r in doc["results"]] == \
        [("STC", 1, True, "accepted"), ("SNV", 1, True, "accepted")], doc
    assert review_of(ex, "STC") == [["1", "accepted"]]
    assert review_of(ex, "SNV") == [["1", "accepted"]]
    # Each acceptance is audited on its own, naming the version it judged.
    assert accept_audits(ex) == [("STC", 1), ("SNV", 1)], accept_audits(ex)
    status, _, board = ex.get(COORDINATOR, f"{BASE}/{PERIOD}/status")
    units = {u["unit"]: u for u in json.loads(board)["units"]}
    assert units["STC"]["review"] == "accepted" and units["SXD"]["review"] is None


def test_a_stale_version_fails_alone(ex):
    assert upload(ex, "SXD", "sxd.baocao", "bản sửa") == 2     # SXD sent again since
    before = accept_audits(ex)
    status, doc = bulk(ex, COORDINATOR, [{"unit": "SXD", "version": 1},
                                         {"unit": "SYT", "version": 1},
                                         {"unit": "SCT", "version": 1},
                                         {"unit": "SYT", "version": 1},
                                         {"unit": "SNV"}])
    assert status == 200 and doc["accepted"] == 1 and doc["refused"] == 4, doc
    sxd, syt, sct, again, noversion = doc["results"]
    assert not sxd["ok"] and sxd["error"]["code"] == "version_changed", sxd
    assert sxd["error"]["current_version"] == 2 and sxd["error"]["judged_version"] == 1, sxd
    assert "phiên bản 2" in sxd["error"]["message"], sxd
    assert syt["ok"] and syt["version"] == 1, syt
    assert not sct["ok"] and sct["error"]["code"] == "no_submission", sct   # SCT sent nothing
    assert again["error"]["code"] == "duplicate_unit", again
    assert noversion["error"]["code"] == "version_required", noversion
    assert review_of(ex, "SXD") == [["2", ""]] and review_of(ex, "SYT") == [["1", "accepted"]]
    assert accept_audits(ex) == before + [("SYT", 1)], accept_audits(ex)
    assert "accepted 1 of 5 reports of nq57-weekly 2026-W49 at once" in ex.d.log_text()


def test_who_may_and_how_many(ex):
    before = accept_audits(ex)
    item = [{"unit": "SXD", "version": 2}]
    for login in ("stc.baocao", "vptu.nhan"):
        status, doc = bulk(ex, login, item)
        assert status == 403, (login, doc)
    assert "Chỉ điều phối viên" in doc["error"]["message"], doc
    status, doc = bulk(ex, COORDINATOR, [{"unit": "SXD", "version": 2}] * 1001)
    assert status == 413 and doc["error"]["code"] == "too_many_units", doc
    assert "tối đa 1000" in doc["error"]["message"], doc
    status, doc = bulk(ex, COORDINATOR, item, decision="returned")
    assert status == 400 and doc["error"]["code"] == "bulk_return_refused", doc
    status, doc = bulk(ex, COORDINATOR, [])
    assert status == 400 and doc["error"]["code"] == "bad_review", doc
    # A body larger than the route's 64 KiB is refused from its head.
    big = json.dumps({"decision": "accepted", "units": [{"unit": "X" * 32, "version": 1}] * 1500})
    status, _, _ = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/review", big.encode(),
                        "application/json")
    assert status == 413, status
    assert accept_audits(ex) == before and review_of(ex, "SXD") == [["2", ""]]


def put_found(ex, login, body, content_type=XLSX):
    status, _, raw = call(ex, login, "PUT", "/api/v1/submissions", body, content_type)
    return status, json.loads(raw)


def test_a_workbook_finds_its_period(ex):
    # Week 48's workbook, sent while week 49 is current (the page shows week 49): it goes to
    # week 48, late.
    status, doc = put_found(ex, "snv.baocao", workbook(ex, "SNV", "2026-W48"))
    assert status == 201, doc
    assert (doc["series"], doc["period"], doc["unit"], doc["version"]) == \
        ("nq57-weekly", "2026-W48", "SNV", 1), doc
    assert doc["on_time"] is False and doc["signature"], doc
    assert doc["period_title"].startswith("tuần 48 năm 2026"), doc
    assert "tuần 48" in doc["message"], doc
    assert review_of(ex, "SNV", "2026-W48") == [["1", ""]]
    # Week 49's workbook goes to week 49: a new version of SNV's report there.
    second = workbook(ex, "SNV", PERIOD, "lần 2")
    status, doc = put_found(ex, "snv.baocao", second)
    assert status == 201 and doc["period"] == PERIOD and doc["version"] == 2, doc
    channel = ex.pg.scalar("SELECT x.channel FROM submission x JOIN unit u ON u.id = x.unit_id "
                           "JOIN period p ON p.id = x.period_id WHERE u.code = 'SNV' AND "
                           f"p.period_key = '{PERIOD}' AND x.version = 2")
    assert channel == "xlsx", channel
    # The same file again keeps the receipt, as on the period's route.
    status, again = put_found(ex, "snv.baocao", second)
    assert status == 200 and again["version"] == 2, again
    # A coordinator sends a member unit's workbook on its behalf.
    status, doc = put_found(ex, COORDINATOR, workbook(ex, "SCT", PERIOD))
    assert status == 201 and doc["unit"] == "SCT", doc
    assert ex.pg.scalar("SELECT x.on_behalf FROM submission x JOIN unit u ON u.id = x.unit_id "
                        "WHERE u.code = 'SCT'") == "t"


def test_a_workbook_that_cannot_be_placed_is_refused(ex):
    before = ex.count_submissions()
    # Another unit's workbook.
    status, doc = put_found(ex, "stc.baocao", workbook(ex, "SNV", PERIOD, "lần 3"))
    assert status == 403 and doc["error"]["code"] == "forbidden_unit", doc
    assert "Sở Nội vụ (SNV)" in doc["error"]["message"], doc
    # No hidden sheet: nothing says where it goes.
    status, doc = put_found(ex, "stc.baocao", workbook(ex, "STC", PERIOD, meta=False))
    assert status == 422 and doc["error"]["code"] == "no_identity", doc
    assert "trang của kỳ" in doc["error"]["message"], doc
    # A hidden sheet that was edited.
    rows = [("unit", "STC"), ("series", "nq57-weekly"), ("period", "2026-W48"), ("version", 1),
            ("mac", meta_mac(ex.mac_key(), "STC", "nq57-weekly", PERIOD))]
    status, doc = put_found(ex, "stc.baocao", build_workbook([], meta=rows))
    assert status == 422 and doc["error"]["code"] == "bad_identity", doc
    # A period that has not begun, one the series does not have, and not a workbook at all.
    status, doc = put_found(ex, "stc.baocao", workbook(ex, "STC", "2026-W50"))
    assert status == 409 and doc["error"]["code"] == "period_not_open", doc
    assert doc["error"]["message"].startswith("Biểu mẫu này dành cho tuần 50 năm 2026"), doc
    status, doc = put_found(ex, "stc.baocao", workbook(ex, "STC", "2027-W30"))
    assert status == 404 and doc["error"]["code"] == "unknown_period", doc
    status, doc = put_found(ex, "stc.baocao", b"PK\x03\x04 not a zip")
    assert status == 422 and doc["error"]["code"] == "not_a_workbook", doc
    status, doc = put_found(ex, "stc.baocao", b'{"items": []}', "application/json")
    assert status == 415 and doc["error"]["code"] == "unsupported_media_type", doc
    status, doc = put_found(ex, "vptu.nhan", workbook(ex, "STC", PERIOD))
    assert status == 403 and doc["error"]["code"] == "forbidden_role", doc
    assert ex.count_submissions() == before


if __name__ == "__main__":
    sys.exit(run_tests([test_several_units_accepted_at_once, test_a_stale_version_fails_alone,
                        test_who_may_and_how_many, test_a_workbook_finds_its_period,
                        test_a_workbook_that_cannot_be_placed_is_refused],
                       setup=setup, teardown=teardown))
