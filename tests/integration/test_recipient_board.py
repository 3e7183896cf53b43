#!/usr/bin/env python3
"""Văn phòng Tỉnh ủy's read-only board: the recipient unit of nq57-weekly reads the board, the
units' documents with their signature lines, each unit's report, workbook and document, and
nothing else (no review, no assessment, no approval, no upload); a recipient of another series,
another unit's reporter and anonymous callers are refused. The consolidated workbook's list of
units says each unit's document: its signature line, "Không có chữ ký số" or "Không có văn
bản" (read with openpyxl)."""
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests  # noqa: E402
from intake_util import XLSX  # noqa: E402
from test_documents import (BASE, FIXTURES, PERIOD, REPORTERS, get_json, put_doc,  # noqa: E402
                            setup_example, upload)

import openpyxl  # noqa: E402

RECIPIENT = "vptu.nhan"
# The units' documents: signed and valid, changed after signing, unsigned, none.
DOCS = {"SNV": "valid.pdf", "SYT": "modified.pdf", "STP": "unsigned.pdf", "STC": None}


def setup():
    ex = setup_example("recipient_board")
    try:
        ex.account(RECIPIENT, "VPTU", "recipient")
            # A recipient unit of other series only (Văn phòng UBND tỉnh, of the 282 reports).
        ex.account("ubnd.nhan", "VPUBND", "recipient")
        for unit, name in DOCS.items():
            upload(ex, unit)
            if name:
                status, _, raw = put_doc(ex, REPORTERS[unit], (FIXTURES / name).read_bytes())
                assert status == 201, (unit, raw)
    except Exception:
        ex.close()
        raise
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def call(ex, login, method, path, body=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {ex.tokens[login]}"} if login else {}
    if body is not None:
        headers["Content-Type"] = content_type
    return ex.d.request(method, path, body=body, headers=headers)


def test_board_and_documents(ex):
    board = get_json(ex, RECIPIENT, BASE + "/status")
    units = {u["unit"]: u for u in board["units"]}
    assert board["require_document"] is True, board
    assert units["SNV"]["document"] == "valid" and units["SYT"]["document"] == "modified", units
    assert units["STC"]["state"] == "no_document" and units["SXD"]["state"] == "missing", units
    docs = {d["unit"]: d for d in get_json(ex, RECIPIENT, BASE + "/documents")["documents"]}
    assert set(docs) == {"SNV", "SYT", "STP"}, docs
    assert docs["SNV"]["line"].startswith("Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính"), docs
    assert docs["SNV"]["line"] == docs["SNV"]["signatures"][0]["message"], docs["SNV"]
    assert docs["SYT"]["line"].startswith("Chữ ký số không hợp lệ") and \
        "sửa sau khi ký" in docs["SYT"]["line"], docs["SYT"]
    assert docs["STP"]["line"] == "Không có chữ ký số" and docs["STP"]["state"] == "unsigned"
    assert docs["SNV"]["version"] == 1 and docs["SNV"]["file"] is True, docs["SNV"]
    # The coordinator sees the same list.
    assert get_json(ex, "skhcn.dieuphoi", BASE + "/documents")["documents"] == \
        list(docs.values())


def test_unit_report_and_document(ex):
    sub = get_json(ex, RECIPIENT, BASE + "/submission?unit=SNV")
    assert sub["unit"] == "SNV" and sub["items"], sub
    assert sub["document"]["signatures"][0]["state"] == "valid", sub["document"]
    status, headers, raw = call(ex, RECIPIENT, "GET", BASE + "/submission/document?unit=SNV")
    assert status == 200 and raw == (FIXTURES / "valid.pdf").read_bytes(), status
    assert headers["content-type"] == "application/pdf", headers
    status, _, raw = call(ex, RECIPIENT, "GET", BASE + "/submission/document?unit=SNV&version=1")
    assert status == 200 and raw.startswith(b"%PDF"), status
    status, headers, raw = call(ex, RECIPIENT, "GET", BASE + "/submission/file?unit=SNV")
    assert status == 200 and headers["content-type"] == XLSX and raw[:2] == b"PK", status
    status, _, raw = call(ex, RECIPIENT, "GET", BASE + "/submission/document?unit=STC")
    assert status == 404 and json.loads(raw)["error"]["code"] == "no_document", raw


def test_everything_else_refused(ex):
    """Read only: no review, assessment, approval, reminder, upload, versions list or the
    live workbook; and its own unit is not a reporting unit."""
    refused = [
        ("PUT", BASE + "/review?unit=SNV", b'{"version": 1, "decision": "accepted"}'),
        ("GET", BASE + "/assessment", None),
        ("PUT", BASE + "/assessment", b'{"text": "x"}'),
        ("POST", BASE + "/approve", b"{}"),
        ("POST", BASE + "/remind", b"{}"),
        ("GET", BASE + "/remind/preview", None),
        ("GET", BASE + "/submissions?unit=SNV", None),
        ("GET", BASE + "/template?unit=SNV", None),
        ("GET", BASE + "/consolidated?version=live", None),
        ("GET", BASE + "/submission", None),
        ("GET", "/api/v1/series/nq57-weekly/timeliness", None),
    ]
    for method, path, body in refused:
        status, _, raw = call(ex, RECIPIENT, method, path, body)
        err = json.loads(raw)["error"]
        assert status == 403 and err["code"] == "forbidden_role", (method, path, status, raw)
    pdf = (FIXTURES / "unsigned.pdf").read_bytes()
    status, _, raw = call(ex, RECIPIENT, "PUT", BASE + "/submission/document?unit=SNV", pdf,
                          "application/pdf")
    assert status == 403, raw
    # Nothing changed: SNV's document is still the valid one.
    assert get_json(ex, "snv.baocao", BASE + "/submission")["document"]["state"] == "valid"


def test_others_refused(ex):
    """A recipient of another series, another unit's reporter, anonymous callers."""
    for path in ("/status", "/documents", "/submission?unit=SNV",
                 "/submission/document?unit=SNV", "/submission/file?unit=SNV"):
        status, _, _ = call(ex, "ubnd.nhan", "GET", BASE + path)
        assert status == 403, ("ubnd.nhan", path, status)
        status, _, _ = call(ex, None, "GET", BASE + path)
        assert status == 401, ("anonymous", path, status)
    status, _, _ = call(ex, "stc.baocao", "GET", BASE + "/submission/document?unit=SNV")
    assert status == 403
    status, _, _ = call(ex, "stc.baocao", "GET", BASE + "/documents")
    assert status == 403


def test_consolidated_workbook_says_each_document(ex):
    status, _, raw = call(ex, "skhcn.dieuphoi", "GET", BASE + "/consolidated?version=live")
    assert status == 200, raw
    ws = openpyxl.load_workbook(io.BytesIO(raw))["Tổng hợp"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r[1] == "Đơn vị" and "Văn bản, chữ ký số" in r)
    col = header.index("Văn bản, chữ ký số")
    by_name = {r[1]: r for r in rows if isinstance(r[0], (int, float))}
    names = {code: ex.pg.scalar(f"SELECT name FROM unit WHERE code = '{code}'")
             for code in ("SNV", "SYT", "STP", "STC", "SXD")}
    line = by_name[names["SNV"]][col]
    assert line.startswith("Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính, ") and \
        " ngày " in line, line
    assert by_name[names["SYT"]][col].startswith("Chữ ký số không hợp lệ"), by_name[names["SYT"]]
    assert by_name[names["STP"]][col] == "Không có chữ ký số"
    assert by_name[names["STC"]][col] == "Không có văn bản"
    assert by_name[names["SXD"]][col] in (None, ""), by_name[names["SXD"]]   # sent nothing


def test_replaced_versions_refused(ex):
    """The recipient reads a unit's report in force only: once SNV sends version 2, version
    1's workbook and document are the consolidating unit's to see, not the recipient's."""
    pdf = (FIXTURES / "valid.pdf").read_bytes()
    assert upload(ex, "SNV", progress=60)["version"] == 2
    status, _, raw = put_doc(ex, REPORTERS["SNV"], pdf)
    assert status in (200, 201) and json.loads(raw)["version"] == 2, raw
    for what in ("file", "document"):
        path = f"{BASE}/submission/{what}?unit=SNV"
        status, _, raw = call(ex, RECIPIENT, "GET", path + "&version=1")
        err = json.loads(raw)["error"]
        assert status == 403 and err["code"] == "not_in_force", (what, status, raw)
        assert err["message"].startswith("Đơn vị nhận báo cáo chỉ xem được báo cáo đang "
                                         "dùng của đơn vị"), err
        for query in ("&version=2", ""):
            status, _, raw = call(ex, RECIPIENT, "GET", path + query)
            assert status == 200 and raw[:2] in (b"PK", b"%P"), (what, query, status)
        # The consolidating unit and the unit itself still read version 1.
        for login, unit in (("skhcn.dieuphoi", "?unit=SNV&"), ("snv.baocao", "?")):
            status, _, raw = call(ex, login, "GET", f"{BASE}/submission/{what}{unit}version=1")
            assert status == 200, (login, what, status, raw)


if __name__ == "__main__":
    sys.exit(run_tests([test_board_and_documents, test_unit_report_and_document,
                        test_everything_else_refused, test_others_refused,
                        test_consolidated_workbook_says_each_document,
                        test_replaced_versions_refused],
                       setup=setup, teardown=teardown))
