"""Round trips: the unit's template, filled by another program, uploaded, stored as filled."""
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"
PERIOD = "2026-W48"
BASE = f"/api/v1/series/nq57-weekly/periods/{PERIOD}"


def setup():
    ex = Example("roundtrip", NOW)
    ex.account("stc.baocao", "STC", "reporter")
    ex.account("thanhsen.baocao", "P-THANH-SEN", "reporter")
    ex.account("kyanh.baocao", "X-KY-ANH", "reporter")
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def template(ex, login):
    status, headers, body = ex.get(login, BASE + "/template")
    assert status == 200, body[:300]
    return body


def fill(xlsx, seed):
    """Fills every task row of the report sheet with openpyxl; returns (bytes, expected)."""
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    ws = wb["Báo cáo"]
    header = col = None
    for row in ws.iter_rows():
        titles = {c.value: c.column for c in row if isinstance(c.value, str)}
        if "Mã nhiệm vụ" in titles and "Tình trạng" in titles:
            header, col = row[0].row, titles
            break
    assert header, "no header row in the template"
    expected = {}
    n = 0
    for r in range(header + 1, ws.max_row + 1):
        code = ws.cell(row=r, column=col["Mã nhiệm vụ"]).value
        if not code:
            continue
        n += 1
        if n % 3 == 1:
            status, progress, done = "Hoàn thành", 100, datetime.datetime(2026, 11, 16 + n % 7)
        elif n % 3 == 2:
            status, progress, done = "Đang thực hiện", (n * 17 + seed) % 100, None
        else:
            status, progress, done = "Chưa triển khai", 0, None
        result = f"Kết quả {seed}: đã triển khai nội dung {code}, ước đạt {progress}%"
        ws.cell(row=r, column=col["Tình trạng"], value=status)
        ws.cell(row=r, column=col["Tiến độ (%)"], value=progress)
        ws.cell(row=r, column=col["Ngày hoàn thành"], value=done)
        ws.cell(row=r, column=col["Kết quả thực hiện trong kỳ"], value=result)
        ws.cell(row=r, column=col["Khó khăn, vướng mắc"], value=f"Khó khăn {code}")
        ws.cell(row=r, column=col["Kiến nghị, đề xuất"], value=f"Đề xuất {code}")
        expected[str(code)] = {
            "status": {"Hoàn thành": "done", "Đang thực hiện": "in_progress",
                       "Chưa triển khai": "not_started"}[status],
            "progress": progress, "completed_on": done.strftime("%Y-%m-%d") if done else None,
            "result": result, "difficulties": f"Khó khăn {code}", "proposals": f"Đề xuất {code}"}
    assert expected, "the template has no task rows"
    if "Kiến nghị chung" in wb.sheetnames:
        g = wb["Kiến nghị chung"]
        g["B3"] = f"Khó khăn chung {seed}"
        g["B4"] = f"Đề xuất chung {seed}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), expected


def check_stored(ex, login, expected):
    status, _, raw = ex.get(login, BASE + "/submission")
    assert status == 200, raw
    items = {i["task"]: i for i in json.loads(raw)["items"]}
    assert set(items) == set(expected), (sorted(items), sorted(expected))
    for code, want in expected.items():
        got = {k: items[code][k] for k in want}
        assert got == want, (code, got, want)


def resave(xlsx, how):
    """Opens and saves the workbook with LibreOffice or gnumeric; returns the new bytes."""
    work = tempfile.mkdtemp(prefix="baocao-resave-")
    try:
        src = os.path.join(work, "in.xlsx")
        with open(src, "wb") as f:
            f.write(xlsx)
        if how == "libreoffice":
            out = os.path.join(work, "out")
            subprocess.run(["soffice", "--headless", "--norestore",
                            f"-env:UserInstallation=file://{work}/profile", "--convert-to",
                            "xlsx:Calc MS Excel 2007 XML", "--outdir", out, src],
                           check=True, capture_output=True, timeout=180)
            path = os.path.join(out, "in.xlsx")
        else:
            path = os.path.join(work, "out.xlsx")
            subprocess.run(["ssconvert", src, path], check=True, capture_output=True, timeout=180)
        with open(path, "rb") as f:
            data = f.read()
        # The file really is the other program's: its name is in the document properties.
        import zipfile
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
            app = z.read("docProps/app.xml").decode() if "docProps/app.xml" in names else ""
        marker = "LibreOffice" if how == "libreoffice" else "Gnumeric"
        assert marker.lower() in app.lower() or marker.lower() in str(names).lower(), (how, app[:300])
        return data
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_template_filled_by_openpyxl(ex):
    body, expected = fill(template(ex, "stc.baocao"), 1)
    status, _, raw = ex.put("stc.baocao", PERIOD, body)
    assert status == 201, raw
    check_stored(ex, "stc.baocao", expected)


def test_template_resaved_by_libreoffice(ex):
    body, expected = fill(resave(template(ex, "thanhsen.baocao"), "libreoffice"), 2)
    status, _, raw = ex.put("thanhsen.baocao", PERIOD, body)
    assert status == 201, raw
    check_stored(ex, "thanhsen.baocao", expected)


def test_filled_then_resaved_by_libreoffice(ex):
    body, expected = fill(template(ex, "stc.baocao"), 3)
    status, _, raw = ex.put("stc.baocao", PERIOD, resave(body, "libreoffice"))
    assert status == 201, raw
    check_stored(ex, "stc.baocao", expected)


def test_template_resaved_by_gnumeric(ex):
    body, expected = fill(resave(template(ex, "thanhsen.baocao"), "gnumeric"), 4)
    status, _, raw = ex.put("thanhsen.baocao", PERIOD, body)
    assert status == 201, raw
    check_stored(ex, "thanhsen.baocao", expected)


def test_filled_then_resaved_by_gnumeric(ex):
    body, expected = fill(template(ex, "stc.baocao"), 5)
    status, _, raw = ex.put("stc.baocao", PERIOD, resave(body, "gnumeric"))
    assert status == 201, raw
    check_stored(ex, "stc.baocao", expected)


def test_carried_forward_values_upload_unchanged(ex):
    # Kỳ Anh reports week 47 (late); this week's template carries that report's status,
    # progress and completion date; uploaded as it is, it is accepted and the statuses stay.
    w47 = "/api/v1/series/nq57-weekly/periods/2026-W47"
    status, _, body = ex.get("kyanh.baocao", w47 + "/template")
    assert status == 200, body[:300]
    body, _ = fill(body, 6)
    status, _, raw = ex.put("kyanh.baocao", "2026-W47", body)
    assert status == 201 and json.loads(raw)["on_time"] is False, raw
    status, _, raw = ex.get("kyanh.baocao", w47 + "/submission")
    before = {i["task"]: (i["status"], i["progress"], i["completed_on"])
              for i in json.loads(raw)["items"]}
    body = template(ex, "kyanh.baocao")
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert any("Hoàn thành" in [c.value for c in row] for row in wb["Báo cáo"].iter_rows())
    status, _, raw = ex.put("kyanh.baocao", PERIOD, body)
    assert status == 201, raw
    status, _, raw = ex.get("kyanh.baocao", BASE + "/submission")
    after = {i["task"]: (i["status"], i["progress"], i["completed_on"])
             for i in json.loads(raw)["items"]}
    assert after == before, (after, before)
    assert all(i["result"] == "" for i in json.loads(raw)["items"])


TESTS = [
    test_template_filled_by_openpyxl,
    test_template_resaved_by_libreoffice,
    test_filled_then_resaved_by_libreoffice,
    test_template_resaved_by_gnumeric,
    test_filled_then_resaved_by_gnumeric,
    test_carried_forward_values_upload_unchanged,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
