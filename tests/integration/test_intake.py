"""Uploads: workbooks and JSON, validation cell by cell, versions, receipts, limits."""
import datetime
import io
import json
import zipfile
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOCTL, run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_mac  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"	# Wednesday of 2026-W48; the deadline is Friday 27/11 11:00
PERIOD = "2026-W48"


def setup():
    ex = Example("intake", NOW)
    ex.account("stc.baocao", "STC", "reporter")
    ex.account("kyanh.baocao", "X-KY-ANH", "reporter")
    ex.account("skhcn.tonghop", "SKHCN", "coordinator")
    ex.account("stc.nhieu", "STC", "reporter")
    ex.account("vptu.nhan", "VPTU", "recipient")
    ex.stc = ex.tasks_of("STC")
    assert len(ex.stc) >= 3, ex.stc
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def rows_for(tasks, **override):
    """A filled report: every task in progress at 50%, with a result; override by code."""
    rows = []
    for code, _ in tasks:
        row = {"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 50,
               "Kết quả thực hiện trong kỳ": f"Kết quả tuần của {code}"}
        row.update(override.get(code, {}))
        rows.append(row)
    return rows


def meta_for(ex, unit="STC", period=PERIOD, series="nq57-weekly", version=1, mac=None):
    return [("unit", unit), ("series", series), ("period", period), ("version", version),
            ("mac", mac or meta_mac(ex.mac_key(), unit, series, period, version))]


def expect_errors(ex, body, login="stc.baocao", period=PERIOD, content_type=XLSX):
    """Uploads and expects 422; returns the errors; checks that nothing was stored."""
    before = ex.count_submissions()
    status, _, raw = ex.put(login, period, body, content_type)
    assert status == 422, (status, raw[:500])
    doc = json.loads(raw)
    assert doc["error"]["code"] == "validation_failed"
    assert ex.count_submissions() == before, "something was stored"
    return doc["errors"]


def one_error(errors, sheet, cell, words):
    matches = [e for e in errors if e["sheet"] == sheet and e["cell"] == cell]
    assert matches, f"no error at {sheet}!{cell}: {errors}"
    assert all(w in matches[0]["message"] for w in words), matches[0]


def test_no_report_yet(ex):
    """Before a unit reports, GET .../submission is 404 no_submission, or with ?optional=1 a
    200 answer whose "submission" is null (what the pages ask: no error in the console)."""
    path = f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission"
    status, _, raw = ex.get("stc.baocao", path)
    assert status == 404 and json.loads(raw)["error"]["code"] == "no_submission", raw
    status, _, raw = ex.get("stc.baocao", path + "?optional=1")
    assert status == 200, raw
    doc = json.loads(raw)
    assert {k: doc[k] for k in ("unit", "series", "period", "submission")} == {
        "unit": "STC", "series": "nq57-weekly", "period": PERIOD, "submission": None}, raw
    assert doc["extension"] is None and doc["window"]["state"] == "open", raw
    status, _, raw = ex.get("skhcn.tonghop", path + "?optional=1&unit=X-KY-ANH")
    assert status == 200 and json.loads(raw)["unit"] == "X-KY-ANH", raw
    assert json.loads(raw)["submission"] is None, raw
    # Only 1 means optional; another unit's report stays refused to a reporter.
    assert ex.get("stc.baocao", path + "?optional=yes")[0] == 404
    assert ex.get("stc.baocao", path + "?optional=1&unit=X-KY-ANH")[0] == 403


def test_xlsx_round_trip(ex):
    code0, code1 = ex.stc[0][0], ex.stc[1][0]
    rows = rows_for(ex.stc, **{
        code0: {"Tình trạng": "Hoàn thành", "Tiến độ (%)": 100,
                "Ngày hoàn thành": datetime.datetime(2026, 11, 20),
                "Khó khăn, vướng mắc": "Thiếu kinh phí", "Kiến nghị, đề xuất": "Bổ sung dự toán",
                "Ghi chú": "đã báo cáo UBND tỉnh"},
        code1: {"Tình trạng": "Chưa triển khai", "Tiến độ (%)": None,
                "Kết quả thực hiện trong kỳ": None}})
    body = build_workbook(rows, meta=meta_for(ex), general=("Khó khăn chung", "Đề xuất chung"))
    status, _, raw = ex.put("stc.baocao", PERIOD, body)
    assert status == 201, raw
    receipt = json.loads(raw)
    assert receipt["version"] == 1 and receipt["on_time"] is True
    assert receipt["items"] == len(ex.stc) and receipt["unit"] == "STC"
    assert receipt["received_at"] == "2026-11-25T09:00:00+07:00" or \
        receipt["received_at"].startswith("2026-11-25T09:0")
    status, _, raw = ex.get("stc.baocao", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission")
    assert status == 200, raw
    sub = json.loads(raw)
    items = {i["task"]: i for i in sub["items"]}
    assert set(items) == {c for c, _ in ex.stc}
    assert items[code0] == {**items[code0], "status": "done", "progress": 100,
                            "completed_on": "2026-11-20", "difficulties": "Thiếu kinh phí",
                            "proposals": "Bổ sung dự toán", "note": "đã báo cáo UBND tỉnh"}
    assert items[code1]["status"] == "not_started" and items[code1]["progress"] == 0
    assert items[ex.stc[2][0]]["progress"] == 50
    assert items[ex.stc[2][0]]["result"] == f"Kết quả tuần của {ex.stc[2][0]}"
    assert sub["general"] == {"difficulties": "Khó khăn chung", "proposals": "Đề xuất chung"}
    assert sub["channel"] == "xlsx"
    status, _, raw = ex.get("stc.baocao",
                            f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission?optional=1")
    assert status == 200 and json.loads(raw) == sub, raw
    status, headers, raw = ex.get("stc.baocao",
                                  f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission/file")
    assert status == 200 and raw == body and headers["content-type"] == XLSX
    ex.first_receipt = receipt
    ex.first_body = body


def test_identical_upload_returns_same_receipt(ex):
    status, _, raw = ex.put("stc.baocao", PERIOD, ex.first_body)
    assert status == 200, raw
    assert json.loads(raw) == ex.first_receipt
    assert ex.count_submissions() == 1


def test_new_version_supersedes_and_both_remain(ex):
    rows = rows_for(ex.stc)
    body = build_workbook(rows, meta=meta_for(ex))
    status, _, raw = ex.put("stc.baocao", PERIOD, body)
    assert status == 201, raw
    assert json.loads(raw)["version"] == 2
    status, _, raw = ex.get("stc.baocao", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submissions")
    versions = json.loads(raw)["submissions"]
    assert [(v["version"], v["superseded"]) for v in versions] == [(1, True), (2, False)]
    assert versions[0]["by"] == "stc.baocao"
    base = f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission/file"
    assert ex.get("stc.baocao", base + "?version=1")[2] == ex.first_body
    assert ex.get("stc.baocao", base + "?version=2")[2] == body
    assert ex.get("stc.baocao", base)[2] == body
    assert ex.pg.scalar("SELECT count(*) FROM submission WHERE NOT superseded") == "1"


def test_json_upload(ex):
    items = [{"task": c, "status": "in_progress", "progress": 70, "result": "JSON"} for c, _ in ex.stc]
    items[0] = {"task": ex.stc[0][0], "status": "done", "completed_on": "2026-11-24",
                "result": "Xong", "note": "qua API"}
    body = json.dumps({"items": items, "general": {"difficulties": "Không", "proposals": ""}})
    status, _, raw = ex.put("stc.baocao", PERIOD, body.encode(), "application/json")
    assert status == 201, raw
    assert json.loads(raw)["version"] == 3
    sub = json.loads(ex.get("stc.baocao", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission")[2])
    assert sub["channel"] == "api"
    first = [i for i in sub["items"] if i["task"] == ex.stc[0][0]][0]
    assert first["status"] == "done" and first["progress"] == 100 and first["note"] == "qua API"
    status, _, raw = ex.get("stc.baocao", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission/file")
    assert status == 404 and json.loads(raw)["error"]["code"] == "no_file"


def test_status_words_without_diacritics(ex):
    rows = rows_for(ex.stc)
    rows[0]["Tình trạng"] = "hoan thanh"
    rows[0]["Tiến độ (%)"] = "100%"
    rows[0]["Ngày hoàn thành"] = "20/11/2026"
    rows[1]["Tình trạng"] = "ĐANG THỰC HIỆN"
    rows[2]["Tình trạng"] = "chua trien khai"
    rows[2]["Tiến độ (%)"] = None
    status, _, raw = ex.put("stc.baocao", PERIOD, build_workbook(rows, meta=meta_for(ex)))
    assert status == 201, raw


def test_error_unknown_task(ex):
    rows = rows_for(ex.stc) + [{"Mã nhiệm vụ": "NQ57-99", "Tình trạng": "Đang thực hiện"}]
    errors = expect_errors(ex, build_workbook(rows))
    one_error(errors, "Báo cáo", f"B{5 + len(rows)}", ["NQ57-99", "không có trong danh sách"])


def test_error_missing_task(ex):
    errors = expect_errors(ex, build_workbook(rows_for(ex.stc[1:])))
    missing = [e for e in errors if ex.stc[0][0] in e["message"]]
    assert missing and missing[0]["sheet"] == "Báo cáo" and "Thiếu nhiệm vụ" in missing[0]["message"]


def test_error_duplicate_task(ex):
    rows = rows_for(ex.stc) + rows_for(ex.stc[:1])
    errors = expect_errors(ex, build_workbook(rows))
    one_error(errors, "Báo cáo", f"B{5 + len(rows)}", ["xuất hiện nhiều lần", "ô B6"])


def test_error_status_not_in_list(ex):
    rows = rows_for(ex.stc, **{ex.stc[1][0]: {"Tình trạng": "Sắp xong"}})
    errors = expect_errors(ex, build_workbook(rows))
    one_error(errors, "Báo cáo", "E7", ["Sắp xong", "không hợp lệ", "Hoàn thành"])
    rows = rows_for(ex.stc, **{ex.stc[1][0]: {"Tình trạng": None}})
    one_error(expect_errors(ex, build_workbook(rows)), "Báo cáo", "E7", ["Chưa chọn tình trạng"])


def test_error_progress(ex):
    rows = rows_for(ex.stc, **{ex.stc[0][0]: {"Tiến độ (%)": 150}, ex.stc[1][0]: {"Tiến độ (%)": "nhiều"},
                               ex.stc[2][0]: {"Tiến độ (%)": 12.5}})
    errors = expect_errors(ex, build_workbook(rows))
    for cell in ("F6", "F7", "F8"):
        one_error(errors, "Báo cáo", cell, ["Tiến độ phải là số nguyên từ 0 đến 100"])


def test_error_progress_out_of_any_range(ex):
    """Numbers no integer holds get the answer 150 gets, in a workbook and in JSON."""
    words = ["Tiến độ phải là số nguyên từ 0 đến 100"]
    rows = rows_for(ex.stc, **{ex.stc[0][0]: {"Tiến độ (%)": 1e300}, ex.stc[1][0]: {"Tiến độ (%)": -1e300},
                               ex.stc[2][0]: {"Tiến độ (%)": "NaN"}})
    errors = expect_errors(ex, build_workbook(rows))
    for cell in ("F6", "F7", "F8"):
        one_error(errors, "Báo cáo", cell, words)
    rows = rows_for(ex.stc, **{ex.stc[0][0]: {"Tiến độ (%)": "1E+300"}, ex.stc[1][0]: {"Tiến độ (%)": 1e20},
                               ex.stc[2][0]: {"Tiến độ (%)": "-inf"}})
    errors = expect_errors(ex, build_workbook(rows))
    for cell in ("F6", "F7", "F8"):
        one_error(errors, "Báo cáo", cell, words)
    values = [1e300, -1e300, "NaN", 10 ** 21, -(10 ** 30)]
    items = [{"task": c, "status": "in_progress", "progress": 50, "result": "JSON"} for c, _ in ex.stc]
    for i, v in enumerate(values):
        items[i % len(items)]["progress"] = v
        errors = expect_errors(ex, json.dumps({"items": items}).encode(), content_type="application/json")
        progress = [e for e in errors if e.get("field") == f"items[{i % len(items)}].progress"]
        assert progress and all(w in progress[0]["message"] for w in words), (v, errors)
        items[i % len(items)]["progress"] = 50
    # Not numbers JSON can hold: the body is refused as a whole.
    for v in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400"):
        body = json.dumps({"items": items}).replace('"progress": 50', '"progress": ' + v, 1)
        errors = expect_errors(ex, body.encode(), content_type="application/json")
        assert len(errors) == 1 and "không phải JSON hợp lệ" in errors[0]["message"], (v, errors)


def test_error_done_without_date(ex):
    rows = rows_for(ex.stc, **{ex.stc[0][0]: {"Tình trạng": "Hoàn thành", "Tiến độ (%)": 100}})
    one_error(expect_errors(ex, build_workbook(rows)), "Báo cáo", "G6", ["cần có ngày hoàn thành"])


def test_error_date_after_upload(ex):
    rows = rows_for(ex.stc, **{ex.stc[0][0]: {"Tình trạng": "Hoàn thành",
                                               "Ngày hoàn thành": datetime.datetime(2026, 11, 26)}})
    one_error(expect_errors(ex, build_workbook(rows)), "Báo cáo", "G6",
              ["26/11/2026", "sau ngày gửi báo cáo", "25/11/2026"])


def test_error_date_before_task_start(ex):
    code = ex.stc[0][0]
    ex.pg.psql(f"UPDATE task SET starts_on = '2026-10-01' WHERE code = '{code}'")
    try:
        rows = rows_for(ex.stc, **{code: {"Tình trạng": "Hoàn thành",
                                          "Ngày hoàn thành": datetime.datetime(2026, 9, 15)}})
        one_error(expect_errors(ex, build_workbook(rows)), "Báo cáo", "G6",
                  ["15/09/2026", "trước ngày bắt đầu", "01/10/2026"])
    finally:
        ex.pg.psql(f"UPDATE task SET starts_on = NULL WHERE code = '{code}'")


def test_error_date_with_other_status_and_bad_date(ex):
    rows = rows_for(ex.stc, **{ex.stc[0][0]: {"Ngày hoàn thành": datetime.datetime(2026, 11, 2)},
                               ex.stc[1][0]: {"Tình trạng": "Hoàn thành", "Ngày hoàn thành": "31/02/2026"}})
    errors = expect_errors(ex, build_workbook(rows))
    one_error(errors, "Báo cáo", "G6", ["Chỉ ghi ngày hoàn thành khi"])
    one_error(errors, "Báo cáo", "G7", ["31/02/2026", "không đúng dạng ngày"])


def test_error_text_too_long(ex):
    rows = rows_for(ex.stc, **{ex.stc[1][0]: {"Kết quả thực hiện trong kỳ": "ồ" * 4001}})
    one_error(expect_errors(ex, build_workbook(rows)), "Báo cáo", "H7", ["4001 ký tự", "4000"])


def test_error_characters_not_allowed(ex):
    """U+FFFF, U+FFFE and control characters (other than tab and line breaks) are refused, in
    JSON (escaped or raw) naming the field, in a workbook (OOXML's _xHHHH_) naming the cell."""
    for text, cp in (("Kết quả\uffff", "U+FFFF"), ("a\u0001b", "U+0001"), ("\ufffe", "U+FFFE"),
                     ("x\u0085", "U+0085")):
        for ascii_only in (True, False):
            items = [{"task": c, "status": "in_progress", "progress": 10, "result": "Tốt\tổn\r\n"}
                     for c, _ in ex.stc]
            items[1]["result"] = text
            body = {"items": items, "general": {"proposals": "Đề xuất\u0007"}}
            errors = expect_errors(ex, json.dumps(body, ensure_ascii=ascii_only).encode(),
                                   content_type="application/json")
            found = [e for e in errors if e.get("field") == "items[1].result"]
            assert len(found) == 1, errors
            assert cp in found[0]["message"], found
            assert "hãy xoá ký tự đó rồi gửi lại" in found[0]["message"], found
            general = [e for e in errors if e.get("field") == "general.proposals"]
            assert general and "U+0007" in general[0]["message"], errors
            assert len(errors) == 2, errors   # tab, CR and LF are allowed
    rows = rows_for(ex.stc)
    rows[0]["Kết quả thực hiện trong kỳ"] = "Đã xong_xFFFF_"
    rows[1]["Ghi chú"] = "_x0001_"
    rows[2]["Khó khăn, vướng mắc"] = "Dòng 1\nDòng 2\tcột"
    rows[2]["Ghi chú"] = "trước_x0000_sau"
    errors = expect_errors(ex, build_workbook(rows, meta=meta_for(ex),
                                              general=("Khó khăn_xFFFE_", "")))
    one_error(errors, "Báo cáo", "H6", ["U+FFFF", "ký tự thứ 8", "hãy xoá ký tự đó rồi gửi lại"])
    one_error(errors, "Báo cáo", "K7", ["U+0001"])
    one_error(errors, "Kiến nghị chung", "B3", ["U+FFFE"])
    one_error(errors, "Báo cáo", "K8", ["U+0000", "ký tự thứ 6"])
    assert len(errors) == 4, errors


def test_error_another_units_workbook(ex):
    body = build_workbook(rows_for(ex.stc), meta=meta_for(ex, unit="X-KY-ANH"))
    errors = expect_errors(ex, body)
    one_error(errors, "baocao_meta", "B1", ["UBND xã Kỳ Anh (X-KY-ANH)", "Sở Tài chính (STC)"])


def test_error_another_period(ex):
    errors = expect_errors(ex, build_workbook(rows_for(ex.stc), meta=meta_for(ex, period="2026-W47")))
    one_error(errors, "baocao_meta", "B3", ["2026-W47", "2026-W48"])


def test_error_unknown_template_version(ex):
    errors = expect_errors(ex, build_workbook(rows_for(ex.stc), meta=meta_for(ex, version=7)))
    one_error(errors, "baocao_meta", "B4", ["phiên bản 7", "tải biểu mẫu mới"])


def test_error_forged_meta(ex):
    meta = meta_for(ex, unit="X-KY-ANH", mac=meta_mac(b"x" * 32, "X-KY-ANH", "nq57-weekly", PERIOD))
    errors = expect_errors(ex, build_workbook(rows_for(ex.stc), meta=meta))
    one_error(errors, "baocao_meta", "B5", ["bị sửa đổi"])


def test_error_incomplete_meta(ex):
    meta = [kv for kv in meta_for(ex) if kv[0] != "mac"]
    errors = expect_errors(ex, build_workbook(rows_for(ex.stc), meta=meta))
    assert any(e["sheet"] == "baocao_meta" and "không đầy đủ" in e["message"] for e in errors), errors


def test_error_json_too_many_keys(ex):
    item = {f"k{i}": "x" for i in range(300)}
    errors = expect_errors(ex, json.dumps({"items": [item]}).encode(), content_type="application/json")
    assert "too many keys" in errors[0]["message"], errors


def test_error_reader_refusals(ex):
    cases = [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "Excel 97-2003"),
        (b"this is not a spreadsheet at all", ""),
    ]
    for body, words in cases:
        errors = expect_errors(ex, body)
        assert len(errors) == 1 and errors[0]["sheet"] is None, errors
        assert words in errors[0]["message"], errors


def test_error_no_header(ex):
    errors = expect_errors(ex, build_workbook(rows_for(ex.stc), labels=["Cột %d" % i for i in range(11)]))
    assert "Không tìm thấy dòng tiêu đề" in errors[0]["message"]


def test_moved_columns_still_read(ex):
    titles = ["Mã nhiệm vụ", "Ghi chú", "STT", "Tình trạng", "Nội dung nhiệm vụ", "Tiến độ (%)",
              "Thời hạn", "Thêm cột", "Kết quả thực hiện trong kỳ", "Ngày hoàn thành",
              "Khó khăn, vướng mắc", "Kiến nghị, đề xuất"]
    rows = rows_for(ex.stc)
    status, _, raw = ex.put("stc.baocao", PERIOD, build_workbook(rows, titles=titles, header_row=9))
    assert status == 201, raw


def test_json_errors(ex):
    body = json.dumps({"items": [{"task": ex.stc[0][0], "status": "done", "progress": "x"},
                                 {"task": ex.stc[0][0], "status": "in_progress"}],
                       "extra": 1}).encode()
    errors = expect_errors(ex, body, content_type="application/json")
    fields = {e.get("field") for e in errors}
    assert {"items[0].progress", "items[0].completed_on", "items[1].task", "extra", "items"} <= fields, errors
    errors = expect_errors(ex, b"{not json", content_type="application/json")
    assert "không phải JSON" in errors[0]["message"]


def test_auth_and_units(ex):
    body = build_workbook(rows_for(ex.stc), meta=meta_for(ex))
    before = ex.count_submissions()
    status, _, raw = ex.put(None, PERIOD, body)
    assert status == 401 and json.loads(raw)["error"]["code"] == "unauthenticated"
    ex.tokens["forged"] = "bct_" + "A" * 43
    status, _, raw = ex.put("forged", PERIOD, body)
    assert status == 401 and json.loads(raw)["error"]["code"] == "invalid_token"
    status, _, raw = ex.put("kyanh.baocao", PERIOD, body, unit="STC")
    assert status == 403, raw
    # Kỳ Anh's reporter sending Sở Tài chính's workbook as its own: refused by the meta sheet.
    status, _, raw = ex.put("kyanh.baocao", PERIOD, body)
    assert status == 422 and "Sở Tài chính" in raw.decode(), raw
    assert ex.count_submissions() == before
    # A recipient does not report.
    status, _, raw = ex.put("vptu.nhan", PERIOD, body)
    assert status == 403 and json.loads(raw)["error"]["code"] == "forbidden_role", raw
    assert ex.count_submissions() == before
    # A coordinator of the series may file for a member unit: marked so, and audited so.
    status, _, raw = ex.put("skhcn.tonghop", PERIOD, body, unit="STC")
    assert status in (200, 201), raw
    sub = json.loads(raw)["submission"]
    if status == 201:
        assert ex.pg.scalar(f"SELECT on_behalf FROM submission WHERE id = {sub}") == "t"
        assert ex.pg.scalar("SELECT action FROM audit_log WHERE object_type = 'submission' "
                            f"AND object_id = '{sub}'") == "submit_on_behalf"


def test_late_upload_is_accepted_and_marked(ex):
    body = build_workbook(rows_for(ex.stc), meta=meta_for(ex, period="2026-W47"))
    status, _, raw = ex.put("stc.baocao", "2026-W47", body)
    assert status == 201, raw
    receipt = json.loads(raw)
    assert receipt["on_time"] is False and receipt["period"] == "2026-W47"
    assert ex.pg.scalar(f"SELECT on_time FROM submission WHERE id = {receipt['submission']}") == "f"


def test_skipped_week_and_media_type(ex):
    status, _, raw = ex.put("stc.baocao", "2026-W08", b"x")
    assert status == 409 and json.loads(raw)["error"]["code"] == "period_skipped"
    status, _, raw = ex.put("stc.baocao", PERIOD, b"x", content_type="text/plain")
    assert status == 415
    # Next week has not begun yet (the clock says Wednesday of week 48).
    status, _, raw = ex.put("stc.baocao", "2026-W49", b"x")
    assert status == 409 and json.loads(raw)["error"]["code"] == "period_not_open", raw


def test_receipt_signature(ex):
    receipt = ex.first_receipt
    path = ex.work.path / "receipt.json"
    path.write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
    r = ex.d.ctl("receipt", "verify", path)
    assert r.returncode == 0 and r.stdout.startswith("valid:"), (r.stdout, r.stderr)
    status, key = ex.d.get_json("/api/v1/receipts/public-key")
    assert status == 200 and key["algorithm"] == "Ed25519"
    r = subprocess.run([BAOCAOCTL, "receipt", "verify", str(path), "--public-key", key["public_key"]],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # The answer of GET .../submission holds the current receipt, and verifies too.
    status, _, raw = ex.get("stc.baocao", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission")
    whole = ex.work.path / "submission.json"
    whole.write_bytes(raw)
    r = ex.d.ctl("receipt", "verify", whole)
    assert r.returncode == 0 and r.stdout.startswith("valid:"), (r.stdout, r.stderr)
    for field, value in (("on_time", False), ("version", 9), ("unit", "SNV"), ("items", 1),
                         ("received_at", "2026-11-25T08:00:00+07:00"), ("sha256", "0" * 64),
                         ("period", "2026-W49"), ("submission", 12345)):
        altered = dict(receipt, **{field: value})
        path.write_text(json.dumps(altered), encoding="utf-8")
        r = ex.d.ctl("receipt", "verify", path)
        assert r.returncode == 1 and "INVALID" in r.stderr, (field, r.stdout, r.stderr)
    # Whole numbers that no integer of the receipt holds are refused before any conversion.
    for field, value in (("version", 10 ** 20), ("version", -(10 ** 20)), ("submission", 10 ** 30),
                         ("items", 10 ** 25), ("items", -1)):
        path.write_text(json.dumps(dict(receipt, **{field: value})), encoding="utf-8")
        r = ex.d.ctl("receipt", "verify", path)
        assert r.returncode == 1 and f'the field "{field}" is missing or wrong' in r.stderr, \
            (field, value, r.stdout, r.stderr)


def test_audit_and_receipt_mail(ex):
    sub = ex.first_receipt["submission"]
    rows = ex.pg.psql(f"SELECT actor, action, detail->>'unit' FROM audit_log "
                      f"WHERE object_type = 'submission' AND object_id = '{sub}'")
    assert rows == [["stc.baocao", "submit", "STC"]], rows
    sig = ex.first_receipt["signature"]
    mail = ex.pg.psql(f"SELECT recipient, subject, strpos(body, '{sig}') > 0, "
                      f"strpos(body, 'Đúng hạn: có') > 0 FROM outbox WHERE dedup_key = 'receipt:{sub}'")
    assert mail == [["stc.baocao@example.vn",
                     "Biên nhận báo cáo nq57-weekly kỳ 2026-W48 - Sở Tài chính", "t", "t"]], mail


def test_upload_reader_limits(ex):
    # 250,000 shared strings: within the reader's general limit (1,000,000), over an
    # upload's (200,000).
    body = build_workbook(rows_for(ex.stc), meta=meta_for(ex))
    src = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    '<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/sharedStrings" '
                    'Target="sharedStrings.xml"/></Relationships>').encode())
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", (
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    '</Types>').encode())
            z.writestr(item, data)
        # A table of strings no cell uses, read all the same.
        z.writestr("xl/sharedStrings.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.'
            'org/spreadsheetml/2006/main">' +
            "".join(f"<si><t>s{i}</t></si>" for i in range(250000)) + "</sst>").encode())
    before = ex.count_submissions()
    status, _, raw = ex.put("stc.baocao", PERIOD, out.getvalue())
    assert status == 422 and "quá nhiều văn bản" in raw.decode(), raw[:500]
    assert ex.count_submissions() == before


def test_rate_limit_and_body_limit(ex):
    good = ex.d.conf.read_text()
    ex.d.write_config(good.replace("uploads_per_minute = 1000", "uploads_per_minute = 3\nmax_upload_size = 64K"))
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in ex.d.log_text(), what="reload")
    try:
        statuses = [ex.put("stc.nhieu", PERIOD, b"x")[0] for _ in range(4)]
        assert statuses[:3] == [422, 422, 422] and statuses[3] == 429, statuses
        status, headers, raw = ex.put("stc.nhieu", PERIOD, b"x")
        assert status == 429 and int(headers["retry-after"]) > 0
        assert json.loads(raw)["error"]["code"] == "too_many_uploads"
        status, _, _ = ex.put("stc.baocao", PERIOD, b"x" * (100 * 1024))
        assert status == 413
    finally:
        ex.d.write_config(good)
        ex.d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: ex.d.log_text().count("reloaded") == 2, what="second reload")


TESTS = [
    test_no_report_yet,
    test_xlsx_round_trip,
    test_identical_upload_returns_same_receipt,
    test_new_version_supersedes_and_both_remain,
    test_json_upload,
    test_status_words_without_diacritics,
    test_error_unknown_task,
    test_error_missing_task,
    test_error_duplicate_task,
    test_error_status_not_in_list,
    test_error_progress,
    test_error_progress_out_of_any_range,
    test_error_done_without_date,
    test_error_date_after_upload,
    test_error_date_before_task_start,
    test_error_date_with_other_status_and_bad_date,
    test_error_text_too_long,
    test_error_characters_not_allowed,
    test_error_another_units_workbook,
    test_error_another_period,
    test_error_unknown_template_version,
    test_error_forged_meta,
    test_error_incomplete_meta,
    test_error_json_too_many_keys,
    test_error_reader_refusals,
    test_error_no_header,
    test_moved_columns_still_read,
    test_json_errors,
    test_auth_and_units,
    test_late_upload_is_accepted_and_marked,
    test_skipped_week_and_media_type,
    test_receipt_signature,
    test_audit_and_receipt_mail,
    test_upload_reader_limits,
    test_rate_limit_and_body_limit,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
