#!/usr/bin/env python3
"""Văn phòng Tỉnh ủy's read-only board in headless Chromium (recipient.mjs), against the real
daemon: the recipient logs in, opens the board of the units from its page, sees each unit's
state and document with its signature line (signed and valid, changed after signing, unsigned,
missing), opens a unit's report read only and downloads its document, and finds no control to
review, approve or remind; on a phone too. Screenshots go to $BROWSER_ARTEFACTS."""
import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from harness import BUILD, run_tests  # noqa: E402
from intake_util import SERIES, XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of 2026-W50; the deadline is Friday 11/12 11:00
PERIOD = "2026-W50"
ARTEFACTS = Path(os.environ.get("BROWSER_ARTEFACTS", BUILD / "tests" / "browser" / "screenshots"))
FIXTURES = Path(os.environ.get("PDF_FIXTURES", BUILD / "tests" / "pdf"))
SCENARIO_TIMEOUT = 240
RECIPIENT, PASSWORD = "vptu.nhan", "mat-khau-nhan-bao-cao"
# The units that report, with their documents: signed and valid, changed after signing,
# unsigned, none.
DOCS = {"SNV": "valid.pdf", "SYT": "modified.pdf", "STP": "unsigned.pdf", "STC": None}


def setup():
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        raise AssertionError("playwright-core is missing: run npm ci in tests/browser")
    # The example's series file as shipped: the weekly report requires its document.
    ex = Example("browser-recipient", NOW, series_file=SERIES,
                 **{"signatures.trusted_roots": str(FIXTURES / "roots.pem")})
    try:
        pw = ex.work.path / "recipient.pw"
        pw.write_text(PASSWORD + "\n", encoding="utf-8")
        r = ex.d.ctl("account", "add", "--login", RECIPIENT, "--unit", "VPTU", "--role",
                     "recipient", "--email", "vptu.nhan@example.vn", "--name",
                     "Phạm Thị Lan", "--password-file", pw)
        assert r.returncode == 0, r.stderr
        for unit, name in DOCS.items():
            login = unit.lower() + ".baocao"
            ex.account(login, unit, "reporter")
            rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 50,
                     "Kết quả thực hiện trong kỳ": "Đã hoàn thành khảo sát hạ tầng số"}
                    for code, _ in ex.tasks_of(unit)]
            body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
            status, _, raw = ex.put(login, PERIOD, body, content_type=XLSX)
            assert status == 201, raw
            if name is None:
                continue
            status, _, raw = ex.d.request(
                "PUT", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission/document",
                body=(FIXTURES / name).read_bytes(),
                headers={"Authorization": f"Bearer {ex.tokens[login]}",
                         "Content-Type": "application/pdf"})
            assert status == 201, raw
    except Exception:
        ex.close()
        raise
    ex.env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{ex.d.port}",
                  RECIPIENT_LOGIN=RECIPIENT, RECIPIENT_PASSWORD=PASSWORD, PERIOD=PERIOD,
                  ARTEFACTS=str(ARTEFACTS), VALID_PDF=str(FIXTURES / "valid.pdf"))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def scenario(ex, name):
    """Runs one scenario of recipient.mjs; its process group never outlives it."""
    proc = subprocess.Popen(["node", str(HERE / "recipient.mjs"), name], env=ex.env, cwd=HERE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=SCENARIO_TIMEOUT)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    assert proc.returncode == 0, f"{name} failed:\n{out}"


def test_board(ex):
    scenario(ex, "board")


def test_board_phone(ex):
    scenario(ex, "board_phone")


def test_nothing_changed(ex):
    """The recipient's visit changed nothing: no review, no new version."""
    assert ex.pg.scalar("SELECT count(*) FROM submission WHERE review IS NOT NULL") == "0"
    assert ex.pg.scalar("SELECT count(*) FROM submission") == str(len(DOCS))


def interrupted(signum, frame):
    """SIGTERM (meson's timeout) or SIGINT: unwind, so the teardown stops everything."""
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, interrupted)
    sys.exit(run_tests([test_board, test_board_phone, test_nothing_changed],
                       setup=setup, teardown=teardown))
