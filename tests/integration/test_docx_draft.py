#!/usr/bin/env python3
"""The consolidated report drafted as a .docx: a played Friday of week 50 (two units on time,
one late, the rest missing, the cut-off at 11:00, an approval at 14:00). The draft opens with
python3-docx and holds the header of Nghị định 30/2020, "BÁO CÁO", the subject, the counts of
the workbook's summary (read with openpyxl), the late and missing units, the results and
proposals, "Nơi nhận:" and the signer's title from [report] signer_title; it converts with
LibreOffice to an A4 PDF. The same access as the workbooks; baocaoctl consolidate --docx writes
it; a result of 10,000 characters with control characters still gives a draft that opens."""
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

import docx  # noqa: E402
import openpyxl  # noqa: E402
from docx.table import Table  # noqa: E402
from docx.text.paragraph import Paragraph  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao"}
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
BASE = "/api/v1/series/nq57-weekly/periods"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PROPOSAL = "Đề nghị bổ sung kinh phí chuyển đổi số năm 2027 <ưu tiên> & sớm"


def setup():
    ex = Example("docx", NOW, **{
        "testing.clock_control": "true",
        "report.parent_body": "UBND tỉnh Hà Tĩnh",
        "report.place": "Hà Tĩnh",
        "report.signer_title": "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"})
    try:
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account(COORDINATOR, "SKHCN", "coordinator")
        ex.account(RECIPIENT, "VPTU", "recipient")
        ex.account("quantri", "SKHCN", "admin")
    except Exception:
        ex.close()
        raise
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def call(ex, login, method, path, body=None):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"}
    return ex.d.request(method, path, body=body, headers=headers)


def set_clock(ex, when):
    status, _, raw = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, raw


def upload(ex, unit, proposal=""):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": f"Kết quả của {unit} về nhiệm vụ {code}",
             "Kiến nghị, đề xuất": proposal}
            for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
    status, _, raw = ex.put(REPORTERS[unit], PERIOD, body, content_type=XLSX)
    assert status == 201, raw


def draft(ex, version, login=COORDINATOR, n=None):
    """The draft as the API answers it: (status, headers, bytes)."""
    q = f"?version={version}" + (f"&n={n}" if n else "")
    return call(ex, login, "GET", f"{BASE}/{PERIOD}/consolidated/draft{q}")


def paragraphs(data):
    """Every paragraph's text of a .docx, the tables' included, in order (python3-docx)."""
    d = docx.Document(io.BytesIO(data))
    out = []
    for block in d.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append(Paragraph(block, d).text)
        elif tag == "tbl":
            for row in Table(block, d).rows:
                for cell in row.cells:
                    out.extend(p.text for p in cell.paragraphs)
    return d, out


def summary_count(ws, label):
    """The count on `Tổng hợp` of the row labelled so in its first column."""
    for row in ws.iter_rows(values_only=True):
        if row[0] == label:
            return next(v for v in row[1:] if isinstance(v, (int, float)))
    raise AssertionError(f"no row {label!r}")


def draft_count(texts, label):
    """The count of a "- label: N đơn vị" line of the draft."""
    for t in texts:
        m = re.fullmatch(rf"- {re.escape(label)}: (\d+) đơn vị.*", t)
        if m:
            return int(m.group(1))
    raise AssertionError(f"no line {label!r} in {texts[:40]}")


def listed(texts, lead):
    """The units of the draft's list starting with lead: the lines of its groups after it,
    "- Sở, ban, ngành (2): A; B."."""
    for i, t in enumerate(texts):
        if t.startswith(lead):
            units = []
            for line in texts[i + 1:]:
                m = re.fullmatch(r"- (.+) \((\d+)\): (.+)\.", line)
                if not m:
                    break
                names = [u.strip() for u in m.group(3).split(";")]
                assert len(names) == int(m.group(2)), line
                units += names
            return units
    return []


def test_played_week(ex):
    upload(ex, "STC", proposal=PROPOSAL)
    upload(ex, "SNV")
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    wait_for(lambda: ex.pg.scalar(
        "SELECT count(*) FROM consolidation c JOIN period p ON p.id = c.period_id "
        f"WHERE c.kind = 'cutoff' AND p.period_key = '{PERIOD}'") == "1",
        timeout=60, what="the cut-off")
    set_clock(ex, "2026-12-11T12:00:00+07:00")
    upload(ex, "SXD")
    # Before any approval, no final version: the draft of it is 404 like the workbook.
    status, _, raw = draft(ex, "final")
    assert status == 404 and json.loads(raw)["error"]["code"] == "no_final", raw


def test_live_draft_holds_the_summary(ex):
    status, hdrs, data = draft(ex, "live")
    assert status == 200, data
    assert hdrs["content-type"] == DOCX, hdrs
    assert hdrs["content-disposition"] == ('attachment; filename="du-thao-bao-cao-nq57-weekly-'
                                           f'{PERIOD}-truc-tiep.docx"'), hdrs
    assert data.startswith(b"PK\x03\x04")
    d, texts = paragraphs(data)
    joined = "\n".join(texts)
    # The header of Nghị định 30/2020, "BÁO CÁO", the subject.
    for text in ("UBND TỈNH HÀ TĨNH", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", "Số: ......./BC-SKHCN",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Hà Tĩnh, ngày 11 tháng 12 năm 2026", "BÁO CÁO", "Nơi nhận:",
                 "- Văn phòng Tỉnh ủy;", "- Lưu: VT, SKHCN.", "KT. GIÁM ĐỐC",
                 "PHÓ GIÁM ĐỐC"):
        assert text in texts, (text, texts[:20], texts[-12:])
    assert texts.index("BÁO CÁO") > texts.index("Hà Tĩnh, ngày 11 tháng 12 năm 2026")
    subject = texts[texts.index("BÁO CÁO") + 1]
    assert subject.startswith("Tổng hợp kết quả thực hiện nhiệm vụ theo") and \
        "tuần 50 (từ 07/12/2026 đến 13/12/2026)" in subject, subject
    # Bold where the decree says: the issuing body, the national title, "BÁO CÁO".
    bold = {r.text for p in d.paragraphs for r in p.runs if r.bold}
    bold |= {r.text for t in d.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs if r.bold}
    for text in ("SỞ KHOA HỌC VÀ CÔNG NGHỆ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO",
                 "Nơi nhận:"):
        assert text in bold, (text, bold)
    # The counts equal the live workbook's summary.
    status, _, raw = call(ex, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated?version=live")
    assert status == 200, raw
    ws = openpyxl.load_workbook(io.BytesIO(raw))["Tổng hợp"]
    expected = summary_count(ws, "Số đơn vị phải báo cáo")
    assert draft_count(texts, "Số đơn vị phải báo cáo") == expected > 80, expected
    for label in ("Đúng hạn", "Nộp muộn", "Chưa báo cáo", "Trả lại để bổ sung"):
        assert draft_count(texts, label) == summary_count(ws, label), label
    assert draft_count(texts, "Đúng hạn") == 2 and draft_count(texts, "Nộp muộn") == 1
    # The lists of late and missing units.
    assert listed(texts, "Các đơn vị gửi muộn") == ["Sở Xây dựng"], texts
    missing = listed(texts, "Các đơn vị chưa gửi báo cáo")
    assert len(missing) == summary_count(ws, "Chưa báo cáo"), len(missing)
    assert "Sở Tài chính" not in missing and "Sở Xây dựng" not in missing
    # Sections, results and proposals by group, the sections in order.
    heads = [joined.index(h) for h in ("I. TÌNH HÌNH GỬI BÁO CÁO",
                                       "II. KẾT QUẢ THỰC HIỆN THEO KHỐI ĐƠN VỊ",
                                       "III. KHÓ KHĂN, VƯỚNG MẮC VÀ KIẾN NGHỊ, ĐỀ XUẤT",
                                       "Nơi nhận:")]
    assert heads == sorted(heads), heads
    code = ex.tasks_of("STC")[0][0]
    assert f"Kết quả của STC về nhiệm vụ {code}" in joined
    assert "- Sở Xây dựng (gửi muộn):" in texts, texts
    assert PROPOSAL in joined[heads[2]:heads[3]]
    # The page: A4 with the decree's margins (mm).
    s = d.sections[0]
    assert round(s.page_width.mm) == 210 and round(s.page_height.mm) == 297
    assert (round(s.top_margin.mm), round(s.bottom_margin.mm), round(s.left_margin.mm),
            round(s.right_margin.mm)) == (20, 20, 30, 15)
    assert d.styles["Normal"].font.name in (None, "Times New Roman")
    assert d.core_properties.title.startswith("Báo cáo: Tổng hợp kết quả")
    ex.live_draft = data


def test_cutoff_and_final_drafts(ex):
    # The cut-off's draft says what was there at 11:00: Sở Xây dựng was missing.
    status, hdrs, data = draft(ex, "cutoff")
    assert status == 200, data
    _, texts = paragraphs(data)
    assert "Sở Xây dựng" in listed(texts, "Các đơn vị chưa gửi báo cáo")
    assert "Không có đơn vị nào gửi muộn." in texts
    # The assessment goes in as section IV; the final version's draft after approval.
    text = "Các đơn vị cơ bản gửi báo cáo đúng hạn.\nCần đôn đốc các xã chưa báo cáo."
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment", {"text": text})
    assert status in (200, 201), raw
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status in (200, 201), raw
    status, hdrs, data = draft(ex, "final", login=RECIPIENT)
    assert status == 200, data
    assert hdrs["content-disposition"].endswith('-chinh-thuc-v1.docx"'), hdrs
    _, texts = paragraphs(data)
    assert "IV. ĐÁNH GIÁ CHUNG" in texts
    assert "Cần đôn đốc các xã chưa báo cáo." in texts
    status, _, again = draft(ex, "final", n=1)
    assert status == 200 and again == data
    # The same access as the workbooks: the recipient reads only the delivered version's.
    for version in ("live", "cutoff"):
        status, _, _ = draft(ex, version, login=RECIPIENT)
        assert status == 403, (version, status)
    status, _, _ = draft(ex, "live", login="stc.baocao")
    assert status == 403
    status, _, raw = draft(ex, "nay")
    assert status == 400 and json.loads(raw)["error"]["code"] == "bad_version", raw


def test_converts_to_an_a4_pdf(ex):
    work = tempfile.mkdtemp(prefix="baocao-docx-")
    try:
        src = os.path.join(work, "draft.docx")
        with open(src, "wb") as f:
            f.write(ex.live_draft)
        r = subprocess.run(["soffice", "--headless", "--norestore",
                            f"-env:UserInstallation=file://{work}/profile",
                            "--convert-to", "pdf", "--outdir", work, src],
                           capture_output=True, text=True, timeout=240)
        pdf = os.path.join(work, "draft.pdf")
        assert r.returncode == 0 and os.path.exists(pdf), (r.returncode, r.stdout, r.stderr)
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True)
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
        assert size and abs(float(size.group(1)) - 595.28) < 1 and \
            abs(float(size.group(2)) - 841.89) < 1, info.stdout
        first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", pdf, "-"],
                               capture_output=True, text=True, check=True).stdout
        for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO",
                     "I. TÌNH HÌNH GỬI BÁO CÁO"):
            assert text in first, (text, first[:1500])
        # The two header blocks side by side: the parent body and the national title on one
        # line.
        line = next(t for t in first.splitlines() if "CỘNG HÒA" in t)
        assert "UBND TỈNH HÀ TĨNH" in line, line
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_baocaoctl_writes_the_draft(ex):
    work = tempfile.mkdtemp(prefix="baocao-docx-")
    try:
        out = os.path.join(work, "draft.docx")
        r = ex.d.ctl("consolidate", "nq57-weekly", PERIOD, "--version", "cutoff", "--docx",
                     "-o", out)
        assert r.returncode == 0, r.stderr
        assert "cut-off draft of nq57-weekly" in r.stdout, r.stdout
        _, texts = paragraphs(open(out, "rb").read())
        assert "BÁO CÁO" in texts and "Nơi nhận:" in texts
        status, _, data = draft(ex, "cutoff")
        assert status == 200 and data == open(out, "rb").read()
        r = ex.d.ctl("consolidate", "nq57-weekly", PERIOD, "--docx")
        assert r.returncode != 0 and "--docx" in r.stderr, r.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_hostile_result_still_opens(ex):
    # Stored before the text rule, or by hand: 10,000 characters with control characters and
    # XML in a result and a unit's name.
    long = ("Kết quả <b>&amp; \x01\x02\x1b\x7f " * 500)[:10000]
    ex.pg.psql("UPDATE report_item SET result = "
               f"convert_from(decode('{long.encode().hex()}', 'hex'), 'UTF8') "
               "WHERE submission_id IN (SELECT x.id FROM submission x JOIN unit u ON "
               "u.id = x.unit_id WHERE u.code = 'SNV')")
    ex.pg.psql("UPDATE unit SET name = 'Sở Nội vụ </w:t> & \x03' WHERE code = 'SNV'")
    status, hdrs, data = draft(ex, "live")
    assert status == 200, data
    _, texts = paragraphs(data)
    joined = "\n".join(texts)
    assert "Kết quả <b>&amp; \ufffd\ufffd\ufffd\ufffd" in joined, joined[:3000]
    assert any("Sở Nội vụ </w:t> & \ufffd" in t for t in texts)
    assert max(len(t) for t in texts) >= 10000


if __name__ == "__main__":
    sys.exit(run_tests([test_played_week, test_live_draft_holds_the_summary,
                        test_cutoff_and_final_drafts, test_converts_to_an_a4_pdf,
                        test_baocaoctl_writes_the_draft, test_hostile_result_still_opens],
                       setup=setup, teardown=teardown))
