#!/usr/bin/env python3
"""The coordinator's and the recipient's pages in headless Chromium (coordinator.mjs), against
the real daemon with a real SMTP server (aiosmtpd): the board refreshing on its own while a
unit reports, the filter and the search, the reminders, a report returned with a comment (the
reporter's page then says "cần bổ sung"), the assessment, the approval after the deadline on
the test clock, Sở KH&CN's signed PDF dropped on the consolidated page before it, with its
deliveries sent, the timeliness table, and the recipient downloading the final workbook and
the signed document. Screenshots go to $BROWSER_ARTEFACTS.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from harness import BUILD, free_port, run_tests  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import Mailbox  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of 2026-W50; the deadline is Friday 11/12 11:00
PERIOD = "2026-W50"
ARTEFACTS = Path(os.environ.get("BROWSER_ARTEFACTS", BUILD / "tests" / "browser" / "screenshots"))
FIXTURES = Path(os.environ.get("PDF_FIXTURES", BUILD / "tests" / "pdf"))
SCENARIO_TIMEOUT = 400
PEOPLE = {   # login: (unit, role, password)
    "skhcn.dieuphoi": ("SKHCN", "coordinator", "mat-khau-dieu-phoi-1"),
    "vptu.nhan": ("VPTU", "recipient", "mat-khau-nhan-bao-cao"),
    "stc.baocao": ("STC", "reporter", "mat-khau-thu-nghiem-1"),
}


def person(ex, login):
    """An account with a password and a token."""
    unit, role, password = PEOPLE[login]
    pw = ex.work.path / f"{login}.pw"
    pw.write_text(password + "\n", encoding="utf-8")
    r = ex.d.ctl("account", "add", "--login", login, "--unit", unit, "--role", role,
                 "--email", f"{login}@example.vn", "--name", "Trần Văn Minh",
                 "--password-file", pw)
    assert r.returncode == 0, r.stderr
    r = ex.d.ctl("token", "create", "--login", login)
    assert r.returncode == 0, r.stderr
    ex.tokens[login] = r.stdout.strip()


def setup():
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        raise AssertionError("playwright-core is missing: run npm ci in tests/browser")
    port = free_port()
    ex = Example("browser-coord", NOW, **{
        "mail.smtp_url": f"smtp://127.0.0.1:{port}",
        "testing.clock_control": "true",
        "server.session_idle_timeout": "168h",
        "server.session_lifetime": "168h",
        "report.parent_body": "UBND tỉnh Hà Tĩnh",
        "report.place": "Hà Tĩnh",
        "signatures.trusted_roots": str(FIXTURES / "roots.pem")})
    ex.mailbox = Mailbox()
    ex.smtp = Controller(ex.mailbox, hostname="127.0.0.1", port=port)
    try:
        ex.smtp.start()
        for login in PEOPLE:
            person(ex, login)
        ex.account("snv.baocao", "SNV", "reporter")
        ex.account("sxd.baocao", "SXD", "reporter")     # an address for the reminders
        ex.account("quantri", "SKHCN", "admin")
        # One unit has reported before the coordinator looks.
        rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
                 "Kết quả thực hiện trong kỳ": "Đã hoàn thành khảo sát hạ tầng số"}
                for code, _ in ex.tasks_of("STC")]
        body = build_workbook(rows, meta=meta_for_unit(ex, "STC", PERIOD))
        status, _, raw = ex.put("stc.baocao", PERIOD, body, content_type=XLSX)
        assert status == 201, raw
        # ... with its document (PDF), which the unit page shows.
        pdf = (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nxref\n0 1\n0000000000 65535 f \n"
               b"trailer\n<< /Size 1 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n")
        status, _, raw = ex.d.request(
            "PUT", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission/document", body=pdf,
            headers={"Authorization": f"Bearer {ex.tokens['stc.baocao']}",
                     "Content-Type": "application/pdf"})
        assert status == 201, raw
    except Exception:
        teardown(ex)
        raise
    ex.env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{ex.d.port}",
                  COORD_LOGIN="skhcn.dieuphoi", COORD_PASSWORD=PEOPLE["skhcn.dieuphoi"][2],
                  RECIPIENT_LOGIN="vptu.nhan", RECIPIENT_PASSWORD=PEOPLE["vptu.nhan"][2],
                  LOGIN="stc.baocao", PASSWORD=PEOPLE["stc.baocao"][2],
                  SNV_TOKEN=ex.tokens["snv.baocao"], STC_TOKEN=ex.tokens["stc.baocao"],
                  SXD_TOKEN=ex.tokens["sxd.baocao"],
                  ADMIN_TOKEN=ex.tokens["quantri"],
                  PERIOD=PERIOD, ARTEFACTS=str(ARTEFACTS), WORK=str(ex.work.path),
                  PDF_FIXTURES=str(FIXTURES))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ex


def teardown(ex):
    if ex is None:
        return
    try:
        ex.smtp.stop()
    finally:
        ex.close()


def scenario(ex, name):
    """Runs one scenario of coordinator.mjs; its process group never outlives it."""
    proc = subprocess.Popen(["node", str(HERE / "coordinator.mjs"), name], env=ex.env, cwd=HERE,
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


def test_review(ex):
    scenario(ex, "review")
    # The unit was told by mail, with the comment.
    assert any(s.startswith("Báo cáo cần bổ sung") for s in ex.mailbox.subjects(
        "stc.baocao@example.vn")), ex.mailbox.subjects("stc.baocao@example.vn")


def test_approve(ex):
    # Last but one: it moves the daemon's clock past the deadline.
    scenario(ex, "approve")
    assert ex.mailbox.subjects("vptu.nhan@example.vn"), "the recipient got no mail"


def test_recipient(ex):
    scenario(ex, "recipient")


def interrupted(signum, frame):
    """SIGTERM (meson's timeout) or SIGINT: unwind, so the teardown stops everything."""
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, interrupted)
    sys.exit(run_tests([test_board, test_review, test_approve, test_recipient],
                       setup=setup, teardown=teardown))
