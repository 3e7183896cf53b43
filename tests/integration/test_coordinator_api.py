#!/usr/bin/env python3
"""The API behind the coordinator's and the recipient's pages: the reminder's preview (nothing
queued by looking), the board as a workbook (read with openpyxl), the timeliness table over
past periods, the delivered reports, and what GET /api/v1/me says of the series an account
consolidates or receives."""
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

import openpyxl  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of 2026-W50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
BASE = "/api/v1/series/nq57-weekly"
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"


def setup():
    ex = Example("coordinator-api", NOW, **{"testing.clock_control": "true"})
    for login, unit, role in (("stc.baocao", "STC", "reporter"), ("snv.baocao", "SNV", "reporter"),
                              ("sxd.baocao", "SXD", "reporter"), ("sxd.pho", "SXD", "reporter"),
                              (COORDINATOR, "SKHCN", "coordinator"), (RECIPIENT, "VPTU", "recipient"),
                              ("quantri", "SKHCN", "admin")):
        ex.account(login, unit, role)
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def call(ex, login, method, path, body=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    return ex.d.request(method, path, body=body, headers=headers)


def get_json(ex, login, path, want=200):
    status, _, raw = call(ex, login, "GET", path)
    assert status == want, (path, status, raw)
    return json.loads(raw)


def upload(ex, unit, login):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": f"Kết quả của {unit}"} for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
    status, _, raw = ex.put(login, PERIOD, body, content_type=XLSX)
    assert status == 201, raw


def outbox_count(ex):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox"))


def test_me_names_the_series_consolidated_or_received(ex):
    me = get_json(ex, COORDINATOR, "/api/v1/me")
    series = {s["name"]: s for s in me["consolidates"]}
    assert sorted(series) == ["dot-xuat", "nq57-weekly"], me["consolidates"]   # Sở KH&CN's
    current = series["nq57-weekly"]["current"]
    assert current["period"] == PERIOD and current["unit_deadline"].startswith("2026-12-11T11:00")
    assert series["nq57-weekly"]["recent"][0]["period"] == PERIOD
    assert series["dot-xuat"]["current"] is None
    assert me["receives"] == []
    me = get_json(ex, RECIPIENT, "/api/v1/me")
    assert [s["name"] for s in me["receives"]] == ["nq57-weekly"] and me["consolidates"] == []
    me = get_json(ex, "stc.baocao", "/api/v1/me")
    assert me["consolidates"] == [] and me["receives"] == []


def test_remind_preview_lists_the_missing_without_queuing(ex):
    upload(ex, "STC", "stc.baocao")
    before = outbox_count(ex)
    doc = get_json(ex, COORDINATOR, f"{BASE}/periods/{PERIOD}/remind/preview")
    assert outbox_count(ex) == before, "looking queued something"
    units = {u["unit"]: u for u in doc["units"]}
    status = get_json(ex, COORDINATOR, f"{BASE}/periods/{PERIOD}/status")
    assert len(units) == status["totals"]["missing"]
    assert "STC" not in units and "SXD" in units
    assert units["SXD"]["addresses"] == 2, units["SXD"]          # its two reporters
    assert doc["addresses"] == sum(u["addresses"] for u in doc["units"])
    assert doc["last_manual_at"] is None and doc["cooldown_s"] == 600
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/periods/{PERIOD}/remind", {})
    assert status == 200 and json.loads(raw)["queued_now"], raw
    queued = outbox_count(ex) - before
    sxd = int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE dedup_key LIKE 'reminder:%:SXD:%'"))
    assert sxd == 2 and queued >= doc["addresses"], (sxd, queued)
    doc = get_json(ex, COORDINATOR, f"{BASE}/periods/{PERIOD}/remind/preview")
    assert doc["last_manual_at"].startswith("2026-12-09T09:0"), doc["last_manual_at"]
    # Reporters may not look; another series' period is not this coordinator's.
    status, _, _ = call(ex, "stc.baocao", "GET", f"{BASE}/periods/{PERIOD}/remind/preview")
    assert status == 403


def test_status_as_a_workbook(ex):
    status, headers, raw = call(ex, COORDINATOR, "GET", f"{BASE}/periods/{PERIOD}/status?format=xlsx")
    assert status == 200, raw
    assert headers["content-type"].startswith(XLSX)
    assert f'tinh-hinh-nq57-weekly-{PERIOD}.xlsx' in headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    assert wb.sheetnames == ["Tình hình gửi báo cáo"]
    ws = wb.active
    doc = get_json(ex, COORDINATOR, f"{BASE}/periods/{PERIOD}/status")
    assert ws["A1"].value.startswith("Tình hình gửi báo cáo: ")
    assert f"{doc['totals']['expected']} đơn vị phải báo cáo" in ws["A2"].value
    assert [c.value for c in ws[4]] == ["STT", "Mã đơn vị", "Tên đơn vị", "Nhóm", "Tình trạng",
                                        "Thời điểm nhận", "Phiên bản", "Số nhiệm vụ",
                                        "Nhận xét của điều phối viên"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    assert len(rows) == doc["totals"]["expected"]
    by_code = {r[1]: r for r in rows}
    stc = by_code["STC"]
    assert stc[4] == "Đúng hạn" and stc[5] == "09:00 09/12/2026" and stc[6] == 1, stc
    assert by_code["SNV"][4] == "Chưa gửi" and by_code["SNV"][5] is None
    assert by_code["X-KY-ANH"][3] == "Xã, phường"
    fonts = {ws.cell(row=r, column=c).font.name for r, c in ((1, 1), (2, 1), (4, 1), (4, 9), (5, 1), (5, 3))}
    assert fonts == {"Times New Roman"}, fonts
    assert ws.print_title_rows == "$4:$4", ws.print_title_rows
    for bad in ("csv", "XLSX", "x" * 300):
        status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/periods/{PERIOD}/status?format={bad}")
        assert status == 400 and json.loads(raw)["error"]["code"] == "bad_format", (bad, raw)
    # The board is the recipient unit's to read too (read only), as a workbook as well; a
    # unit's reporter does not read it.
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/periods/{PERIOD}/status?format=xlsx")
    assert status == 200 and raw[:2] == b"PK", status
    status, _, _ = call(ex, "stc.baocao", "GET", f"{BASE}/periods/{PERIOD}/status?format=xlsx")
    assert status == 403


def test_timeliness(ex):
    for bad in ("0", "53", "abc", "+5", "-1", "12x", "", "0012"):
        status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/timeliness?periods={bad}")
        assert status == 400 and json.loads(raw)["error"]["code"] == "bad_periods", (bad, raw)
    doc = get_json(ex, COORDINATOR, f"{BASE}/timeliness")
    # Before Friday's deadline, this week is not counted yet.
    assert PERIOD not in [p["period"] for p in doc["periods"]]
    status, _, raw = call(ex, "quantri", "PUT", "/api/v1/testing/clock",
                          {"now": "2026-12-11T11:30:00+07:00"})
    assert status == 200, raw
    upload(ex, "SNV", "snv.baocao")                  # after the deadline: late
    doc = get_json(ex, COORDINATOR, f"{BASE}/timeliness?periods=3")
    periods = [p["period"] for p in doc["periods"]]
    assert periods == ["2026-W48", "2026-W49", PERIOD], periods
    assert doc["periods"][-1]["title"].startswith("Tuần 50")
    units = {u["unit"]: u for u in doc["units"]}
    assert units["STC"]["states"] == ["missing", "missing", "on_time"], units["STC"]
    assert units["SNV"]["states"][-1] == "late"
    assert units["STC"]["on_time"] == 1 and units["STC"]["missing"] == 2
    assert units["STC"]["rate"] == 33.3, units["STC"]["rate"]
    assert units["SXD"]["rate"] == 0
    full = get_json(ex, COORDINATOR, f"{BASE}/timeliness?periods=52")
    assert 3 <= len(full["periods"]) <= 52
    status, _, _ = call(ex, RECIPIENT, "GET", f"{BASE}/timeliness")
    assert status == 403


def test_deliveries(ex):
    doc = get_json(ex, RECIPIENT, f"{BASE}/deliveries")
    assert doc["periods"] == [] and doc["title"]
    for n in (1, 2):
        # the second approval corrects something: a new assessment
        status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/periods/{PERIOD}/assessment",
                              {"text": f"Đánh giá lần {n}."})
        assert status == 200, raw
        status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/periods/{PERIOD}/approve", {})
        assert status == 201, raw
    doc = get_json(ex, RECIPIENT, f"{BASE}/deliveries")
    assert [p["period"] for p in doc["periods"]] == [PERIOD]
    versions = doc["periods"][0]["versions"]
    assert [(v["version"], v["correction"]) for v in versions] == [(2, True), (1, False)]
    assert versions[1]["released_at"].startswith("2026-12-11T11:3"), versions[1]
    for v in versions:
        status, _, by_url = call(ex, RECIPIENT, "GET", v["url"])
        assert status == 200 and by_url[:2] == b"PK"
        _, _, direct = call(ex, RECIPIENT, "GET",
                            f"{BASE}/periods/{PERIOD}/consolidated?version=final&n={v['version']}")
        assert by_url == direct
        assert v["filename"].endswith(".xlsx") and len(v["sha256"]) == 64
    for bad in ("0", "105", "x"):
        status, _, _ = call(ex, RECIPIENT, "GET", f"{BASE}/deliveries?periods={bad}")
        assert status == 400
    status, _, _ = call(ex, "stc.baocao", "GET", f"{BASE}/deliveries")
    assert status == 403


if __name__ == "__main__":
    sys.exit(run_tests([test_me_names_the_series_consolidated_or_received,
                        test_remind_preview_lists_the_missing_without_queuing,
                        test_status_as_a_workbook, test_timeliness, test_deliveries],
                       setup=setup, teardown=teardown))
