#!/usr/bin/env python3
"""The unit's document (PDF) with its report: upload and download byte for byte, the
document carried to a later version or replaced, the refusals (not a PDF, JavaScript, an
embedded file, names hidden behind #xx escapes, too large, another unit's reporter, before
any report), and with require_document "thiếu văn bản" on the board, in the reminders and in
the timeliness; without require_document nothing changes."""
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, run_tests, wait_for  # noqa: E402
from intake_util import SERIES, XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; the deadline is Friday 11/12 11:00
PERIOD = "2026-W50"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao",
             "SYT": "syt.baocao", "STP": "stp.baocao"}
BASE = f"/api/v1/series/nq57-weekly/periods/{PERIOD}"
FIXTURES = Path(os.environ.get("PDF_FIXTURES", BUILD / "tests" / "pdf"))
SETTINGS = {"testing.clock_control": "true", "server.max_upload_size": "64K",
            "server.max_document_size": "128K",
            "signatures.trusted_roots": str(FIXTURES / "roots.pem")}


def pdf(body=b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n", pad=0):
    """A small PDF; pad adds a stream of that many bytes."""
    extra = b""
    if pad:
        extra = b"3 0 obj << /Length %d >> stream\n" % pad + b"\x00" * pad + b"\nendstream endobj\n"
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + extra +
            b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 1 /Root 1 0 R >>\n"
            b"startxref\n9\n%%EOF\n")


def setup_example(name, series_file=SERIES):
    ex = Example(name, NOW, series_file=series_file, **SETTINGS)
    try:
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account("skhcn.dieuphoi", "SKHCN", "coordinator")
        ex.account("quantri", "SKHCN", "admin")
    except Exception:
        ex.close()
        raise
    return ex


def setup():
    return setup_example("documents")


def teardown(ex):
    if ex is not None:
        ex.close()


def upload(ex, unit, progress=40):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": progress}
            for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
    status, _, raw = ex.put(REPORTERS[unit], PERIOD, body, content_type=XLSX)
    assert status in (200, 201), raw
    return json.loads(raw)


def put_doc(ex, login, body, unit=None, content_type="application/pdf"):
    path = BASE + "/submission/document" + (f"?unit={unit}" if unit else "")
    return ex.d.request("PUT", path, body=body,
                        headers={"Authorization": f"Bearer {ex.tokens[login]}",
                                 "Content-Type": content_type})


def get_json(ex, login, path):
    status, _, raw = ex.get(login, path)
    assert status == 200, (path, status, raw)
    return json.loads(raw)


def status_of(ex, unit):
    doc = get_json(ex, "skhcn.dieuphoi", BASE + "/status")
    return doc, next(u for u in doc["units"] if u["unit"] == unit)


def set_clock(ex, when):
    status, _, raw = ex.d.request("PUT", "/api/v1/testing/clock",
                                  body=json.dumps({"now": when}).encode(),
                                  headers={"Authorization": f"Bearer {ex.tokens['quantri']}",
                                           "Content-Type": "application/json"})
    assert status == 200, raw


def test_before_any_report_409(ex):
    status, _, raw = put_doc(ex, "stc.baocao", pdf())
    err = json.loads(raw)["error"]
    assert status == 409 and err["code"] == "no_submission", raw
    assert "gửi báo cáo (số liệu) trước hoặc cùng lúc" in err["message"], err
    assert int(ex.pg.scalar("SELECT count(*) FROM submission_document")) == 0


def test_upload_and_download_byte_identical(ex):
    upload(ex, "STC")
    body = pdf(b"1 0 obj << /Title (B\xe1o c\xe1o) >> endobj\n")
    status, _, raw = put_doc(ex, "stc.baocao", body)
    assert status == 201, raw
    got = json.loads(raw)
    assert got["version"] == 1 and got["document"]["size"] == len(body), got
    assert got["document"]["signatures"] == [], got
    import hashlib
    assert got["document"]["sha256"] == hashlib.sha256(body).hexdigest(), got
    status, headers, raw = ex.get("stc.baocao", BASE + "/submission/document")
    assert status == 200 and raw == body, status
    h = headers
    assert h["content-type"] == "application/pdf", h
    assert h["content-disposition"] == \
        f'attachment; filename="van-ban-nq57-weekly-{PERIOD}-STC-v1.pdf"', h
    # The same file again: 200, nothing new stored.
    status, _, raw = put_doc(ex, "stc.baocao", body)
    assert status == 200, raw
    assert int(ex.pg.scalar("SELECT count(*) FROM submission_document")) == 1
    # GET .../submission carries it; .../status says it has no digital signature.
    sub = get_json(ex, "stc.baocao", BASE + "/submission")
    d = sub["document"]
    assert d["sha256"] == got["document"]["sha256"] and d["size"] == len(body), d
    assert d["signatures"] == [] and d["uploaded_at"].startswith("2026-12-09T09:00"), d
    doc, stc = status_of(ex, "STC")
    assert stc["document"] == "unsigned" and stc["state"] == "on_time", stc
    assert doc["require_document"] is True, doc
    # The coordinator reads it too (the same rules as .../submission/file).
    status, _, raw = ex.get("skhcn.dieuphoi", BASE + "/submission/document?unit=STC")
    assert status == 200 and raw == body


def test_carried_to_a_later_version_or_replaced(ex):
    first = ex.d.request("GET", BASE + "/submission/document",
                         headers={"Authorization": f"Bearer {ex.tokens['stc.baocao']}"})[2]
    receipt = upload(ex, "STC", progress=60)
    assert receipt["version"] == 2, receipt
    # Version 2 came without a document: it keeps version 1's.
    status, _, raw = ex.get("stc.baocao", BASE + "/submission/document")
    assert status == 200 and raw == first
    status, _, raw = ex.get("stc.baocao", BASE + "/submission/document?version=2")
    assert status == 200 and raw == first
    versions = get_json(ex, "stc.baocao", BASE + "/submissions")["submissions"]
    assert [v["document"] for v in versions] == [True, True], versions
    # A new document goes with version 2 only; version 1 keeps its own.
    second = pdf(b"1 0 obj << /Title (v2) >> endobj\n")
    status, _, raw = put_doc(ex, "stc.baocao", second)
    assert status == 201 and json.loads(raw)["version"] == 2, raw
    assert ex.get("stc.baocao", BASE + "/submission/document")[2] == second
    assert ex.get("stc.baocao", BASE + "/submission/document?version=1")[2] == first
    assert ex.get("stc.baocao", BASE + "/submission/document?version=2")[2] == second
    status, _, raw = ex.get("stc.baocao", BASE + "/submission/document?version=9")
    assert status == 404, raw


def test_refusals(ex):
    upload(ex, "SYT")
    cases = [
        ("not a PDF", b"PK\x03\x04 a workbook, not a PDF", "not_pdf", "xuất văn bản ra PDF"),
        ("JavaScript", pdf(b"1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> "
                           b">> endobj\n"), "pdf_javascript", "JavaScript"),
        ("escaped JavaScript", pdf(b"1 0 obj << /OpenAction << /S /Java#53cript >> >> "
                                   b"endobj\n"), "pdf_javascript", "xuất lại"),
        ("escaped JS", pdf(b"1 0 obj << /AA << /O << /#4A#53 (x) >> >> >> endobj\n"),
         "pdf_javascript", "xuất lại"),
        ("embedded file", pdf(b"1 0 obj << /Names << /EmbeddedFiles 2 0 R >> >> endobj\n"),
         "pdf_embedded_file", "Hãy xuất lại văn bản ra PDF không có tệp đính kèm"),
        ("escaped embedded file", pdf(b"2 0 obj << /Type /Embedded#46ile >> endobj\n"),
         "pdf_embedded_file", "tệp đính kèm"),
        ("launch", pdf(b"1 0 obj << /OpenAction << /S /Launch /F (cmd.exe) >> >> endobj\n"),
         "pdf_launch_action", "Launch"),
        ("XFA form", pdf(b"1 0 obj << /AcroForm << /XFA 2 0 R >> >> endobj\n"),
         "pdf_active_content", "biểu mẫu động"),
        ("submit form", pdf(b"1 0 obj << /OpenAction << /S /Submit#46orm /F (x) >> >> "
                            b"endobj\n"), "pdf_active_content", "xuất lại"),
        ("remote go-to", pdf(b"1 0 obj << /OpenAction << /S /GoToR /F (x.pdf) >> >> "
                             b"endobj\n"), "pdf_active_content", "xuất lại"),
        ("cut short", pdf()[:-40], "pdf_incomplete", "không trọn vẹn"),
    ]
    for what, body, code, words in cases:
        status, _, raw = put_doc(ex, "syt.baocao", body)
        err = json.loads(raw)["error"]
        assert status == 422 and err["code"] == code, (what, status, raw)
        assert words in err["message"], (what, err)
    status, _, raw = put_doc(ex, "syt.baocao", pdf(), content_type="application/json")
    assert status == 415, raw
    assert int(ex.pg.scalar("SELECT count(*) FROM submission_document d JOIN unit u "
                            "ON u.id = d.unit_id WHERE u.code = 'SYT'")) == 0


def test_size_limits(ex):
    # 100 KiB: over max_upload_size (64K) but within max_document_size (128K).
    body = pdf(pad=100 * 1024)
    status, _, raw = put_doc(ex, "syt.baocao", body)
    assert status == 201, raw
    status, _, raw = ex.put("syt.baocao", PERIOD, body, content_type=XLSX)
    assert status == 413, raw
    # Over max_document_size: 413 from the head, before the body is read.
    status, _, raw = put_doc(ex, "syt.baocao", pdf(pad=140 * 1024))
    err = json.loads(raw)["error"]
    assert status == 413 and err["code"] == "body_too_large", raw
    assert "văn bản PDF tối đa 128 KiB" in err["message"], err


def test_another_units_reporter_refused(ex):
    status, _, raw = put_doc(ex, "snv.baocao", pdf(), unit="STC")
    assert status == 403, raw
    status, _, raw = ex.get("snv.baocao", BASE + "/submission/document?unit=STC")
    assert status == 403, raw
    # The coordinator files it on the unit's behalf.
    upload(ex, "SXD")
    status, _, raw = put_doc(ex, "skhcn.dieuphoi", pdf(b"% for SXD\n"), unit="SXD")
    assert status == 201, raw
    assert ex.pg.scalar("SELECT on_behalf FROM submission_document d JOIN unit u "
                        "ON u.id = d.unit_id WHERE u.code = 'SXD'") == "t"


def outbox(ex, unit_email):
    return ex.pg.psql(f"SELECT subject, replace(body, E'\\n', ' ') FROM outbox "
                      f"WHERE kind = 'reminder' "
                      f"AND recipient = '{unit_email}' ORDER BY id")


def test_require_document_board_reminders(ex):
    upload(ex, "SNV")                       # data, no document
    doc, snv = status_of(ex, "SNV")
    assert snv["state"] == "no_document" and snv["document"] == "missing", snv
    assert doc["totals"]["no_document"] == 1, doc["totals"]
    _, stc = status_of(ex, "STC")
    assert stc["state"] == "on_time", stc
    _, stp = status_of(ex, "STP")
    assert stp["state"] == "missing" and stp["document"] == "missing", stp
    sub = get_json(ex, "snv.baocao", BASE + "/submission")
    assert sub["document"] is None, sub
    status, _, raw = ex.d.request("POST", BASE + "/remind",
                                  headers={"Authorization":
                                           f"Bearer {ex.tokens['skhcn.dieuphoi']}"})
    assert status == 200, raw
    snv_mail = outbox(ex, "snv.baocao@example.vn")
    assert len(snv_mail) == 1 and snv_mail[0][0].startswith("Còn thiếu văn bản"), snv_mail
    assert "còn thiếu văn bản" in snv_mail[0][1], snv_mail
    assert "/submission/document" in snv_mail[0][1], snv_mail
    assert outbox(ex, "stc.baocao@example.vn") == []        # data and document: nothing
    stp_mail = outbox(ex, "stp.baocao@example.vn")          # sent nothing: today's reminder
    assert len(stp_mail) == 1 and stp_mail[0][0].startswith("Nhắc gửi báo cáo"), stp_mail
    digest = ex.pg.scalar("SELECT replace(body, E'\\n', ' ') FROM outbox "
                          "WHERE kind = 'reminder_digest' LIMIT 1")
    assert "Sở Nội vụ (SNV): còn thiếu văn bản" in digest, digest


def test_require_document_timeliness(ex):
    set_clock(ex, "2026-12-11T11:05:00+07:00")   # past the deadline
    # SNV's document now comes late: the report is not on time.
    status, _, raw = put_doc(ex, "snv.baocao", pdf(b"% late\n"))
    assert status == 201, raw
    _, snv = status_of(ex, "SNV")
    assert snv["state"] == "late" and snv["document"] == "unsigned", snv
    t = get_json(ex, "skhcn.dieuphoi", "/api/v1/series/nq57-weekly/timeliness?periods=1")
    states = {u["unit"]: u["states"][-1] for u in t["units"]}
    assert states["STC"] == "on_time" and states["SNV"] == "late", states
    assert states["SXD"] == "on_time", states      # the coordinator's document on Wednesday


def reload(ex, **settings):
    """Rewrites the configuration with these settings and waits for the daemon to read it."""
    for key, value in settings.items():
        section, name = key.split(".", 1)
        ex.d.settings.setdefault(section, {})[name] = str(value)
    ex.d.write_config()
    reloaded = ex.d.log_text().count("reloaded")
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ex.d.log_text().count("reloaded") == reloaded + 1, what="reload")


def test_retention_and_quota(ex):
    """The documents count in max_bytes_per_period with the versions, and with raw_retention
    the file of a document no version in force names goes; the current one stays."""
    first = ex.pg.scalar("SELECT d.id FROM submission_document d JOIN submission s "
                         "ON s.document_id = d.id JOIN unit u ON u.id = s.unit_id "
                         "WHERE u.code = 'STC' AND s.version = 1")
    reload(ex, **{"server.raw_retention": "1d"})
    wait_for(lambda: ex.pg.scalar(f"SELECT file IS NULL FROM submission_document "
                                  f"WHERE id = {first}") == "t", what="the old document removed")
    status, _, raw = ex.get("stc.baocao", BASE + "/submission/document?version=1")
    assert status == 404 and json.loads(raw)["error"]["code"] == "file_removed", raw
    status, _, raw = ex.get("stc.baocao", BASE + "/submission/document")
    assert status == 200 and raw.startswith(b"%PDF-1.7"), status
    assert get_json(ex, "stc.baocao", BASE + "/submission")["document"]["file"] is True
    reload(ex, **{"server.raw_retention": "0"})

    # SYT holds a workbook and a 100 KiB document: a second one fits in 300K, then the
    # limit is set 2 KiB above what SYT holds.
    reload(ex, **{"server.max_bytes_per_period": "300K"})
    status, _, raw = put_doc(ex, "syt.baocao", pdf(b"% second\n", pad=100 * 1024))
    assert status == 201, raw
    used = int(ex.pg.scalar(
        "SELECT (SELECT sum(raw_size) FROM submission s JOIN unit u ON u.id = s.unit_id "
        "WHERE u.code = 'SYT') + (SELECT sum(size) FROM submission_document d JOIN unit u "
        "ON u.id = d.unit_id WHERE u.code = 'SYT')"))
    assert used > 200 * 1024, used
    reload(ex, **{"server.max_bytes_per_period": used + 2048})   # room for 2 KiB more
    status, _, raw = put_doc(ex, "syt.baocao", pdf(b"% third\n", pad=100 * 1024))
    assert status == 413 and json.loads(raw)["error"]["code"] == "period_storage_full", raw
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 90}
            for code, _ in ex.tasks_of("SYT")]
    body = build_workbook(rows, meta=meta_for_unit(ex, "SYT", PERIOD))
    status, _, raw = ex.put("syt.baocao", PERIOD, body, content_type=XLSX)
    assert status == 413 and json.loads(raw)["error"]["code"] == "period_storage_full", raw
    reload(ex, **{"server.max_bytes_per_period": "50M"})


def test_signatures_checked_at_upload(ex):
    """Each document's signatures are checked at upload against [signatures] trusted_roots
    (the test chain of tests/pdf/make_fixtures.py): valid, untrusted, changed after signing,
    unsigned; the state reaches .../submission and .../status; a reload with no trusted root
    makes the same signed file untrusted."""
    units = {"SNV": ("valid.pdf", "valid"), "SXD": ("untrusted.pdf", "untrusted"),
             "SYT": ("modified.pdf", "modified"), "STP": ("unsigned.pdf", "unsigned")}
    for unit, (name, state) in units.items():
        upload(ex, unit, progress=55)
        status, _, raw = put_doc(ex, REPORTERS[unit], (FIXTURES / name).read_bytes())
        assert status == 201, (name, raw)
        sigs = json.loads(raw)["document"]["signatures"]
        assert [s["state"] for s in sigs][:1] == ([state] if state != "unsigned" else []), sigs
        sub = get_json(ex, REPORTERS[unit], BASE + "/submission")
        assert sub["document"]["signatures"] == sigs, sub["document"]
        _, st = status_of(ex, unit)
        assert st["document"] == state, (unit, st)
    valid = get_json(ex, "snv.baocao", BASE + "/submission")["document"]["signatures"][0]
    assert valid["signer"] == "Nguyễn Văn A" and valid["organization"] == "Sở Tài chính", valid
    assert valid["message"].startswith("Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính"), valid
    modified = get_json(ex, "syt.baocao", BASE + "/submission")["document"]["signatures"][0]
    assert "sửa sau khi ký" in modified["message"], modified
    # Nobody trusted any more: the same valid signature is untrusted from the next upload on.
    reload(ex, **{"signatures.trusted_roots": ""})
    upload(ex, "SNV", progress=65)
    status, _, raw = put_doc(ex, "snv.baocao", (FIXTURES / "two.pdf").read_bytes())
    assert status == 201, raw
    sigs = json.loads(raw)["document"]["signatures"]
    assert sigs and all(s["state"] == "untrusted" for s in sigs), sigs
    reload(ex, **{"signatures.trusted_roots": str(FIXTURES / "roots.pem")})


def test_without_require_document(ex):
    off = ex.work.path / "series-off.conf"
    off.write_text(SERIES.read_text(encoding="utf-8").replace("require_document = yes",
                                                               "require_document = no"),
                   encoding="utf-8")
    other = setup_example("documents-off", series_file=off)
    try:
        upload(other, "SNV")
        doc, snv = status_of(other, "SNV")
        assert doc["require_document"] is False, doc
        assert snv["state"] == "on_time" and snv["document"] == "missing", snv
        assert doc["totals"]["no_document"] == 0, doc["totals"]
        status, _, raw = other.d.request("POST", BASE + "/remind", headers={
            "Authorization": f"Bearer {other.tokens['skhcn.dieuphoi']}"})
        assert status == 200, raw
        assert outbox(other, "snv.baocao@example.vn") == []
        set_clock(other, "2026-12-11T11:05:00+07:00")
        t = get_json(other, "skhcn.dieuphoi", "/api/v1/series/nq57-weekly/timeliness?periods=1")
        states = {u["unit"]: u["states"][-1] for u in t["units"]}
        assert states["SNV"] == "on_time", states
    finally:
        other.close()


if __name__ == "__main__":
    sys.exit(run_tests([test_before_any_report_409,
                        test_upload_and_download_byte_identical,
                        test_carried_to_a_later_version_or_replaced,
                        test_refusals,
                        test_size_limits,
                        test_another_units_reporter_refused,
                        test_require_document_board_reminders,
                        test_require_document_timeliness,
                        test_retention_and_quota,
                        test_signatures_checked_at_upload,
                        test_without_require_document], setup=setup, teardown=teardown))
