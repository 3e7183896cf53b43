"""The workbook a unit downloads: layout, validations, protection, printing, the meta sheet and
its MAC, carry-forward, access rules, baocaoctl template, and LibreOffice rendering it."""
import datetime
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOCTL, run_tests  # noqa: E402
from intake_util import TITLES, XLSX, Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"      # Wednesday of week 48
SERIES = "nq57-weekly"
PERIOD = "2026-W48"
BASE = f"/api/v1/series/{SERIES}/periods"
STATUS_WORDS = ["Hoàn thành", "Đang thực hiện", "Chưa triển khai"]
GENERAL_LABELS = ["Khó khăn, vướng mắc chung", "Kiến nghị, đề xuất chung"]
HEADER_ROW = 6                            # 1-based, as openpyxl counts
FIRST_TASK_ROW = HEADER_ROW + 1


def setup():
    ex = Example("template", NOW)
    ex.account("skhcn.baocao", "SKHCN", "reporter")
    ex.account("stc.baocao", "STC", "reporter")
    ex.account("thanhsen.baocao", "P-THANH-SEN", "reporter")
    ex.account("dieuphoi", "SKHCN", "coordinator")
    ex.account("quantri", "SKHCN", "admin")
    ex.account("sngv.baocao", "SNGV", "reporter")
    ex.cache = {}
    # The daemon builds workbooks in a temporary folder of its own (the harness gives it
    # TMPDIR in its work folder), checked empty at the end.
    ex.tmp = ex.work.path / "tmp"
    assert ex.tmp.is_dir()
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def url(period=PERIOD, unit=None):
    path = f"{BASE}/{period}/template"
    return path + (f"?unit={urllib.parse.quote(unit)}" if unit else "")


def download(ex, login, period=PERIOD, unit=None):
    """The template's bytes; asserts a 200 with the xlsx media type."""
    status, headers, body = ex.get(login, url(period, unit))
    assert status == 200, (status, body[:400])
    assert headers["content-type"] == XLSX, headers
    return body, headers


def load(body):
    import openpyxl
    return openpyxl.load_workbook(io.BytesIO(body))


def skhcn(ex):
    """The SKHCN workbook of week 48, downloaded once."""
    if "skhcn" not in ex.cache:
        ex.cache["skhcn"] = download(ex, "skhcn.baocao")
    return ex.cache["skhcn"]


def expected_tasks(ex, unit):
    """(code, title, role, deadline or None) of the unit's tasks, in the template's order."""
    rows = ex.pg.psql(
        "SELECT t.code, t.title, tu.role, coalesce(to_char(t.deadline, 'YYYY-MM-DD'), '') "
        "FROM task t JOIN series s ON s.id = t.series_id "
        "JOIN task_unit tu ON tu.task_id = t.id JOIN unit u ON u.id = tu.unit_id "
        f"WHERE s.name = '{SERIES}' AND u.code = '{unit}' AND t.active "
        "ORDER BY tu.role = 'lead' DESC, t.ordinal, t.code")
    return [(c, t, r, datetime.datetime.strptime(d, "%Y-%m-%d") if d else None)
            for c, t, r, d in rows]


def task_rows(ws):
    """The rows below the header that carry a task code, as lists of cells."""
    return [row for row in ws.iter_rows(min_row=FIRST_TASK_ROW, max_col=len(TITLES))
            if row[1].value not in (None, "")]


def test_download_headers(ex):
    body, headers = skhcn(ex)
    disp = headers["content-disposition"]
    assert disp.startswith("attachment;"), disp
    assert 'filename="bao-cao-nq57-weekly-2026-W48-SKHCN.xlsx"' in disp, disp
    star = disp.split("filename*=", 1)[1]
    assert star.startswith("UTF-8''"), disp
    name = urllib.parse.unquote(star[len("UTF-8''"):], encoding="utf-8")
    assert name == "Báo cáo 2026-W48 - Sở Khoa học và Công nghệ.xlsx", name
    assert zipfile.is_zipfile(io.BytesIO(body))


def test_sheets_and_states(ex):
    wb = load(skhcn(ex)[0])
    assert wb.sheetnames == ["Báo cáo", "Kiến nghị chung", "baocao_meta"], wb.sheetnames
    states = [wb[n].sheet_state for n in wb.sheetnames]
    assert states == ["visible", "visible", "veryHidden"], states
    assert wb.active.title == "Báo cáo"
    with zipfile.ZipFile(io.BytesIO(skhcn(ex)[0])) as z:
        xml = z.read("xl/workbook.xml").decode()
    assert xml.count('state="veryHidden"') == 1 and 'state="hidden"' not in xml, xml
    # The structure is locked without a password: no sheet added, removed or unhidden.
    assert '<workbookProtection lockStructure="1"/><bookViews>' in xml, xml
    assert wb.security is not None and wb.security.lockStructure, wb.security
    assert not wb.security.workbookPassword


def test_title_block_and_header(ex):
    ws = load(skhcn(ex)[0])["Báo cáo"]
    assert ws["A1"].value == "Đơn vị báo cáo: Sở Khoa học và Công nghệ (mã SKHCN)", ws["A1"].value
    assert ws["A2"].value == "BÁO CÁO KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT SỐ 57-NQ/TW HẰNG TUẦN", \
        ws["A2"].value
    assert ws["A3"].value == "Kỳ báo cáo: Tuần 48 năm 2026 (23/11/2026 - 29/11/2026)", \
        ws["A3"].value
    assert ws["A4"].value == "Hạn gửi: 11 giờ 00, thứ Sáu, ngày 27/11/2026", ws["A4"].value
    assert "Kiến nghị chung" in ws["A5"].value
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:K1", "A2:K2", "A3:K3", "A4:K4", "A5:K5"} <= merged, merged
    header = [c.value for c in ws[HEADER_ROW]][:len(TITLES)]
    assert header == TITLES, header
    assert ws.max_column == len(TITLES), ws.max_column
    assert all(c.font.b for c in ws[HEADER_ROW])


def test_one_row_per_task(ex):
    ws = load(skhcn(ex)[0])["Báo cáo"]
    want = expected_tasks(ex, "SKHCN")
    assert len(want) >= 5 and any(r == "cooperator" for _, _, r, _ in want), want
    rows = task_rows(ws)
    assert len(rows) == len(want), (len(rows), len(want))
    assert ws.max_row == HEADER_ROW + len(want), ws.max_row
    for n, (row, (code, title, role, deadline)) in enumerate(zip(rows, want), 1):
        assert row[0].value == n, (row[0].value, n)
        assert row[1].value == code, (row[1].value, code)
        text = row[2].value
        if role == "lead":
            assert text == title, (code, text)
            assert "phối hợp" not in text
        else:
            assert text.startswith(title + "\n(phối hợp"), (code, text)
        if deadline is None:
            assert row[3].value == "Thường xuyên", (code, row[3].value)
        else:
            assert row[3].value == deadline, (code, row[3].value, deadline)
            assert row[3].number_format == "dd/mm/yyyy", row[3].number_format
        assert all(c.value is None for c in row[4:]), [c.value for c in row]
        assert row[6].number_format == "dd/mm/yyyy" and row[5].number_format == "0"
    # Leads first: no lead row after a cooperating row.
    roles = [r for _, _, r, _ in want]
    assert roles == sorted(roles, key=lambda r: r != "lead")


def test_data_validations(ex):
    ws = load(skhcn(ex)[0])["Báo cáo"]
    last = HEADER_ROW + len(expected_tasks(ex, "SKHCN"))
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    status = dvs[f"E{FIRST_TASK_ROW}:E{last}"]
    assert status.type == "list", status.type
    assert status.formula1 == '"' + ",".join(STATUS_WORDS) + '"', status.formula1
    progress = dvs[f"F{FIRST_TASK_ROW}:F{last}"]
    assert progress.type == "whole" and progress.operator in (None, "between")
    assert (progress.formula1, progress.formula2) == ("0", "100"), (progress.formula1,
                                                                    progress.formula2)
    date = dvs[f"G{FIRST_TASK_ROW}:G{last}"]
    assert date.type == "date", date.type
    for dv in (status, progress, date):
        assert dv.showInputMessage and dv.showErrorMessage, dv
        assert dv.promptTitle and dv.prompt and dv.errorTitle and dv.error, dv
        assert dv.errorStyle in (None, "stop"), dv.errorStyle
    assert "0 đến 100" in progress.error and "dd/mm/yyyy" in date.prompt
    assert all(w in status.error for w in STATUS_WORDS), status.error
    assert len(dvs) == 3, list(dvs)


def test_protection_and_locks(ex):
    wb = load(skhcn(ex)[0])
    ws = wb["Báo cáo"]
    assert ws.protection.sheet is True
    assert not ws.protection.password
    assert ws.protection.insertRows is True and ws.protection.deleteRows is True  # forbidden
    assert ws.protection.formatRows is False and ws.protection.formatColumns is False
    for row in task_rows(ws):
        assert all(c.protection.locked for c in row[:4]), [c.coordinate for c in row[:4]]
        assert not any(c.protection.locked for c in row[4:]), [c.coordinate for c in row[4:]]
    assert all(c.protection.locked for c in ws[HEADER_ROW])
    assert all(ws.cell(row=r, column=1).protection.locked for r in range(1, HEADER_ROW))
    after = ws.cell(row=ws.max_row + 1, column=5)
    assert after.protection.locked, "cells below the table stay locked"
    g = wb["Kiến nghị chung"]
    assert g.protection.sheet is True and not g.protection.password
    assert [g["A3"].value, g["A4"].value] == GENERAL_LABELS
    for ref in ("B3", "B4"):
        assert not g[ref].protection.locked, ref
        assert g[ref].alignment.wrap_text, ref
        assert g.row_dimensions[int(ref[1:])].height >= 100, g.row_dimensions[int(ref[1:])].height
        assert g[ref].value is None
    assert g["A3"].protection.locked and g["A1"].protection.locked


def test_printing_and_fonts(ex):
    from openpyxl.cell.cell import MergedCell
    wb = load(skhcn(ex)[0])
    ws = wb["Báo cáo"]
    for sheet in (ws, wb["Kiến nghị chung"]):
        assert sheet.page_setup.orientation == "landscape"
        assert str(sheet.page_setup.paperSize) == "9"      # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert sheet.page_setup.fitToWidth in (1, "1", None)  # 1 is the default
        assert str(sheet.page_setup.fitToHeight) == "0"
    assert ws.print_title_rows in ("$6:$6", "6:6"), ws.print_title_rows
    assert ws.freeze_panes == f"A{FIRST_TASK_ROW}", ws.freeze_panes
    assert ws.print_area, "print area set"
    widths = [ws.column_dimensions[chr(ord("A") + i)].width for i in range(len(TITLES))]
    assert all(w and w > 3 for w in widths), widths
    assert widths[2] == max(widths), widths            # the task's title is the widest
    for sheet in (ws, wb["Kiến nghị chung"]):
        for row in sheet.iter_rows():
            for c in row:
                if isinstance(c, MergedCell):
                    continue
                if c.value is not None or c.coordinate.startswith(("E", "B")):
                    assert c.font.name == "Times New Roman", (sheet.title, c.coordinate,
                                                              c.font.name)
    for row in task_rows(ws):
        assert row[2].alignment.wrap_text and row[7].alignment.wrap_text


def test_meta_sheet_and_mac(ex):
    m = load(skhcn(ex)[0])["baocao_meta"]
    pairs = [(m.cell(row=r, column=1).value, m.cell(row=r, column=2).value) for r in range(1, 6)]
    assert [k for k, _ in pairs] == ["unit", "series", "period", "version", "mac"], pairs
    meta = dict(pairs)
    assert meta["unit"] == "SKHCN" and meta["series"] == SERIES and meta["period"] == PERIOD
    assert meta["version"] == 1 and isinstance(meta["version"], int), meta["version"]
    key = ex.mac_key()
    assert len(key) == 32
    want = hmac.new(key, f"SKHCN\n{SERIES}\n{PERIOD}\n1".encode(), hashlib.sha256).hexdigest()
    assert meta["mac"] == want, (meta["mac"], want)


def test_same_inputs_same_bytes(ex):
    body = skhcn(ex)[0]
    again, _ = download(ex, "skhcn.baocao")
    assert again == body, "two downloads differ"
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        core = z.read("docProps/core.xml").decode()
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist()), \
            [(i.filename, i.date_time) for i in z.infolist()]
    # The period starts at local midnight of Monday 23/11/2026 (UTC+7).
    assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-22T17:00:00Z" in core, core
    assert "<dc:creator>baocao</dc:creator>" in core, core
    props = load(body).properties
    assert props.creator == "baocao" and "Sở Khoa học và Công nghệ" in props.title, props.title


def test_general_sheet(ex):
    g = load(skhcn(ex)[0])["Kiến nghị chung"]
    assert g["A1"].value and g["A1"].font.b
    assert "Sở Khoa học và Công nghệ" in g["A2"].value and "Tuần 48 năm 2026" in g["A2"].value
    assert g.column_dimensions["B"].width > g.column_dimensions["A"].width


def psql_submission(ex, unit, period, version, superseded, items):
    """Stores a submission with report items directly; items: (code, status, progress, date)."""
    values = ", ".join(
        f"('{code}', '{status}', {progress if progress is not None else 'NULL'}, "
        f"{repr(date) if date else 'NULL'}::date)" for code, status, progress, date in items)
    ex.pg.psql(
        "WITH s AS (INSERT INTO submission (period_id, unit_id, version, received_at, channel, "
        "  sha256, on_time, superseded) "
        f"SELECT p.id, u.id, {version}, now(), 'api', sha256('{unit}{period}{version}'::bytea), "
        f"  true, {str(superseded).lower()} FROM period p JOIN series s ON s.id = p.series_id, "
        f"  unit u WHERE s.name = '{SERIES}' AND p.period_key = '{period}' AND u.code = '{unit}' "
        "  RETURNING id) "
        "INSERT INTO report_item (submission_id, task_id, status, progress, completed_on, "
        "  result, difficulties) "
        "SELECT s.id, t.id, v.status, v.progress, v.completed_on, 'kết quả cũ', 'khó khăn cũ' "
        f"FROM s, (VALUES {values}) AS v (code, status, progress, completed_on) "
        f"JOIN task t ON t.code = v.code AND t.series_id = (SELECT id FROM series "
        f"  WHERE name = '{SERIES}')")


def ensure_period(ex, period):
    r = ex.d.ctl("period", "show", SERIES, period)
    assert r.returncode == 0, r.stderr


def test_carry_forward(ex):
    ensure_period(ex, "2026-W47")
    codes = [c for c, _, _, _ in expected_tasks(ex, "SKHCN")]
    # An older version, superseded, says something else: it must not be used.
    psql_submission(ex, "SKHCN", "2026-W47", 1, True,
                    [(c, "not_started", 0, None) for c in codes[:3]])
    psql_submission(ex, "SKHCN", "2026-W47", 2, False,
                    [(codes[0], "done", 100, "2026-11-18"), (codes[1], "in_progress", 40, None),
                     (codes[2], "not_started", None, None)])
    body, _ = download(ex, "skhcn.baocao", period="2026-W48")
    ws = load(body)["Báo cáo"]
    rows = {r[1].value: r for r in task_rows(ws)}
    r0, r1, r2 = rows[codes[0]], rows[codes[1]], rows[codes[2]]
    assert (r0[4].value, r0[5].value, r0[6].value) == \
        ("Hoàn thành", 100, datetime.datetime(2026, 11, 18)), [c.value for c in r0]
    assert (r1[4].value, r1[5].value, r1[6].value) == ("Đang thực hiện", 40, None)
    assert (r2[4].value, r2[5].value, r2[6].value) == ("Chưa triển khai", None, None)
    for r in (r0, r1, r2):
        assert all(c.value is None for c in r[7:]), "result text is not carried"
        assert not any(c.protection.locked for c in r[4:])
    for code in codes[3:]:
        assert all(c.value is None for c in rows[code][4:]), code
    assert "2026-W47" in ws["A5"].value, ws["A5"].value
    ex.cache["carried"] = body


def test_carried_template_uploads_unchanged(ex):
    # The daemon's own reader accepts the template (and its very hidden sheet) as downloaded:
    # the rows left blank are what it complains about, nothing else.
    body = ex.cache.get("carried") or skhcn(ex)[0]
    before = ex.count_submissions()
    status, _, raw = ex.put("skhcn.baocao", "2026-W48", body)
    assert status == 422, (status, raw[:300])
    errors = json.loads(raw)["errors"]
    assert errors and all(e.get("sheet") == "Báo cáo" for e in errors), errors
    assert not any(e.get("sheet") == "baocao_meta" for e in errors), errors
    assert ex.count_submissions() == before


def test_filled_template_is_accepted(ex):
    import openpyxl
    body, _ = download(ex, "stc.baocao")
    wb = openpyxl.load_workbook(io.BytesIO(body))
    ws = wb["Báo cáo"]
    for row in task_rows(ws):
        row[4].value = "Đang thực hiện"
        row[5].value = 30
        row[7].value = f"Kết quả tuần 48 của {row[1].value}"
    wb["Kiến nghị chung"]["B3"] = "Thiếu nhân lực chuyên trách"
    buf = io.BytesIO()
    wb.save(buf)
    status, _, raw = ex.put("stc.baocao", PERIOD, buf.getvalue())
    assert status == 201, raw[:600]
    status, _, raw = ex.get("stc.baocao", f"{BASE}/{PERIOD}/submission")
    got = json.loads(raw)
    assert len(got["items"]) == len(task_rows(ws)), got
    assert all(i["status"] == "in_progress" and i["progress"] == 30 for i in got["items"])


def test_carry_forward_over_a_skipped_week(ex):
    # Week 08 (Tết) expects no report: week 09 carries week 07's values.
    ensure_period(ex, "2026-W07")
    codes = [c for c, _, _, _ in expected_tasks(ex, "P-THANH-SEN")]
    assert codes
    psql_submission(ex, "P-THANH-SEN", "2026-W07", 1, False, [(codes[0], "in_progress", 65, None)])
    ws = load(download(ex, "thanhsen.baocao", period="2026-W09")[0])["Báo cáo"]
    rows = {r[1].value: r for r in task_rows(ws)}
    assert (rows[codes[0]][4].value, rows[codes[0]][5].value) == ("Đang thực hiện", 65)
    assert "2026-W07" in ws["A5"].value


def test_no_token_is_401(ex):
    status, headers, body = ex.d.request("GET", url())
    assert status == 401, (status, body)
    assert "www-authenticate" in headers
    status, _, body = ex.d.request("GET", url(), headers={"Authorization": "Bearer bct_nope"})
    assert status == 401, (status, body)


def test_reporter_of_another_unit_is_403(ex):
    status, _, body = ex.get("stc.baocao", url(unit="SKHCN"))
    assert status == 403, (status, body)
    err = json.loads(body)["error"]
    assert err["code"] == "forbidden_unit" and "đơn vị mình" in err["message"], err
    status, _, body = ex.get("stc.baocao", url(unit="STC"))
    assert status == 200, body[:300]


def test_coordinator_chooses_the_unit(ex):
    # An administrator administers: the units' workbooks are not its business.
    status, _, body = ex.get("quantri", url(unit="P-THANH-SEN"))
    assert status == 403 and json.loads(body)["error"]["code"] == "forbidden_role", body
    for login in ("dieuphoi",):
        body, headers = download(ex, login, unit="P-THANH-SEN")
        assert "bao-cao-nq57-weekly-2026-W48-P-THANH-SEN.xlsx" in headers["content-disposition"]
        meta = load(body)["baocao_meta"]
        assert meta["B1"].value == "P-THANH-SEN"
        assert len(task_rows(load(body)["Báo cáo"])) == len(expected_tasks(ex, "P-THANH-SEN"))
    # Without ?unit= a coordinator gets its own unit's workbook.
    body, _ = download(ex, "dieuphoi")
    assert load(body)["baocao_meta"]["B1"].value == "SKHCN"


def test_unknown_and_non_member_units(ex):
    status, _, body = ex.get("dieuphoi", url(unit="KHONGCO"))
    assert status == 404 and json.loads(body)["error"]["code"] == "unknown_unit", body
    status, _, body = ex.get("dieuphoi", url(unit="VPTU"))  # receives, does not report
    assert status == 403 and json.loads(body)["error"]["code"] == "not_a_member", body
    status, _, body = ex.get("dieuphoi", url(unit="a b"))
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_unit", body
    status, _, body = ex.get("dieuphoi", f"{BASE}/2026-W99/template")
    assert status == 400, body
    status, _, body = ex.get("dieuphoi", "/api/v1/series/khong-co/periods/2026-W48/template")
    assert status == 404, body


def test_skipped_week_is_409(ex):
    status, _, body = ex.get("skhcn.baocao", url(period="2026-W08"))
    assert status == 409, (status, body)
    err = json.loads(body)["error"]
    assert err["code"] == "period_skipped", err
    assert "không yêu cầu báo cáo" in err["message"] and "Tuần 08" in err["message"], err


def test_deadline_moved_and_other_kinds(ex):
    # Friday 01/05/2026 is a holiday: week 18's deadline moves to Wednesday, and says why.
    ws = load(download(ex, "skhcn.baocao", period="2026-W18")[0])["Báo cáo"]
    assert ws["A4"].value == "Hạn gửi: 11 giờ 00, thứ Tư, ngày 29/04/2026", ws["A4"].value
    assert ws["A5"].value.startswith("Ngày 01/05/2026 (thứ Sáu) không phải ngày làm việc"), \
        ws["A5"].value
    # A half-year: dates in the title; the consolidation deadline's shift (Sunday 10/01/2027)
    # is not the units' business; a unit without tasks gets the header and a word about it.
    # Sở KH&CN's coordinator does not consolidate the 282 reports: Sở Ngoại vụ's workbook is
    # its own reporter's to download.
    status, _, body = ex.get("dieuphoi", "/api/v1/series/ngoai-vu-282-half-yearly/periods/"
                             "2026-H2/template?unit=SNGV")
    assert status == 403 and json.loads(body)["error"]["code"] == "forbidden_unit", body
    status, _, body = ex.get("sngv.baocao", "/api/v1/series/ngoai-vu-282-half-yearly/periods/"
                             "2026-H2/template")
    assert status == 200, body[:300]
    wb = load(body)
    ws = wb["Báo cáo"]
    assert ws["A2"].value.startswith("BÁO CÁO 6 THÁNG"), ws["A2"].value
    assert ws["A3"].value == "Kỳ báo cáo: 6 tháng cuối năm 2026 (01/07/2026 - 31/12/2026)"
    assert ws["A4"].value == "Hạn gửi: 17 giờ 00, thứ Ba, ngày 05/01/2027", ws["A4"].value
    assert "10/01/2027" not in ws["A5"].value and "chưa có nhiệm vụ" in ws["A5"].value
    assert [c.value for c in ws[HEADER_ROW]] == TITLES and not task_rows(ws)
    assert not ws.data_validations.dataValidation
    assert wb["baocao_meta"]["B2"].value == "ngoai-vu-282-half-yearly"
    assert wb["baocao_meta"]["B3"].value == "2026-H2"


def test_current_period(ex):
    body, headers = download(ex, "skhcn.baocao", period="current")
    assert "2026-W48" in headers["content-disposition"]
    assert load(body)["baocao_meta"]["B3"].value == "2026-W48"


def test_concurrent_downloads(ex):
    units = ["SKHCN", "STC", "P-THANH-SEN", "SNV", "SYT", "SCT"] * 3
    results = [None] * len(units)

    def fetch(i, unit):
        results[i] = ex.get("dieuphoi", url(unit=unit))

    threads = [threading.Thread(target=fetch, args=(i, u)) for i, u in enumerate(units)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = {}
    for unit, (status, _, body) in zip(units, results):
        assert status == 200, (unit, status, body[:200])
        assert load(body)["baocao_meta"]["B1"].value == unit
        assert first.setdefault(unit, body) == body, f"{unit}: concurrent builds differ"
    assert not os.listdir(ex.tmp), os.listdir(ex.tmp)


def test_ctl_template_same_workbook(ex):
    out = ex.work.path / "ctl-skhcn.xlsx"
    r = ex.d.ctl("template", SERIES, "2026-W48", "SKHCN", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "carried forward" in r.stdout, r.stdout
    body, _ = download(ex, "skhcn.baocao")
    ctl_body = out.read_bytes()
    a, b = load(body), load(ctl_body)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        va = [[c.value for c in row] for row in a[name].iter_rows()]
        vb = [[c.value for c in row] for row in b[name].iter_rows()]
        assert va == vb, name
    assert ctl_body == body, "baocaoctl and the API give different bytes"
    r = subprocess.run([BAOCAOCTL, "-c", str(ex.d.conf), "template", SERIES, "2026-W48", "SKHCN",
                        "-o", "-"], capture_output=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == body, "baocaoctl -o - wrote something else"
    assert b"carried forward" in r.stderr, r.stderr


def test_ctl_template_errors(ex):
    out = ex.work.path / "ctl-none.xlsx"
    for args, words in (((SERIES, "2026-W48", "KHONGCO"), "no active unit"),
                        ((SERIES, "2026-W48", "VPTU"), "does not report"),
                        ((SERIES, "2026-W08", "SKHCN"), "expects no report"),
                        (("khong-co", "2026-W48", "SKHCN"), "unknown series")):
        r = ex.d.ctl("template", *args, "-o", out)
        assert r.returncode == 1, (args, r.returncode, r.stderr)
        assert words in r.stderr, (args, r.stderr)
        assert not out.exists()
    r = ex.d.ctl("template", SERIES, "2026-W48")
    assert r.returncode == 1 and "usage:" in r.stderr, r.stderr
    if os.path.exists("/dev/full"):
        r = ex.d.ctl("template", SERIES, "2026-W48", "SKHCN", "-o", "/dev/full")
        assert r.returncode == 1 and "cannot write /dev/full" in r.stderr, r.stderr
        assert os.path.exists("/dev/full"), "an existing file is never removed"


def test_libreoffice_renders_it(ex):
    work = tempfile.mkdtemp(prefix="baocao-lo-")
    try:
        src = os.path.join(work, "template.xlsx")
        with open(src, "wb") as f:
            f.write(ex.cache.get("carried") or skhcn(ex)[0])
        r = subprocess.run(["soffice", "--headless", "--norestore",
                            f"-env:UserInstallation=file://{work}/profile",
                            "--convert-to", "pdf", "--outdir", work, src],
                           capture_output=True, text=True, timeout=240)
        pdf = os.path.join(work, "template.pdf")
        assert r.returncode == 0 and os.path.exists(pdf), (r.returncode, r.stdout, r.stderr)
        data = open(pdf, "rb").read()
        assert data.startswith(b"%PDF") and len(data) > 5000, len(data)
        # A4 landscape: 842 x 595 points, on every page.
        boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
        assert boxes, data[:1000]
        assert all(abs(float(w) - 842) < 2 and abs(float(h) - 595) < 2 for w, h in boxes), boxes
    finally:
        shutil.rmtree(work, ignore_errors=True)


TESTS = [
    test_download_headers,
    test_sheets_and_states,
    test_title_block_and_header,
    test_one_row_per_task,
    test_data_validations,
    test_protection_and_locks,
    test_printing_and_fonts,
    test_meta_sheet_and_mac,
    test_same_inputs_same_bytes,
    test_general_sheet,
    test_carry_forward,
    test_carried_template_uploads_unchanged,
    test_filled_template_is_accepted,
    test_carry_forward_over_a_skipped_week,
    test_no_token_is_401,
    test_reporter_of_another_unit_is_403,
    test_coordinator_chooses_the_unit,
    test_unknown_and_non_member_units,
    test_skipped_week_is_409,
    test_deadline_moved_and_other_kinds,
    test_current_period,
    test_concurrent_downloads,
    test_ctl_template_same_workbook,
    test_ctl_template_errors,
    test_libreoffice_renders_it,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
