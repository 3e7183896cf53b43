#!/usr/bin/env python3
"""The administrators' page in headless Chromium: each scenario of admin.mjs against the real
daemon (harness.py: a private PostgreSQL and baocaod), screenshots to $BROWSER_ARTEFACTS."""
import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from harness import BUILD, ROOT, run_tests  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"   # Wednesday of 2026-W48; the deadline is Friday 27/11 11:00
ARTEFACTS = Path(os.environ.get("BROWSER_ARTEFACTS", BUILD / "tests" / "browser" / "screenshots"))
SCENARIO_TIMEOUT = 240
PASSWORD = "mat-khau-quan-tri-2026"


def setup():
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        raise AssertionError("playwright-core is missing: run npm ci in tests/browser")
    ex = Example("browser-admin", NOW)
    pw = ex.work.path / "admin.pw"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    r = ex.d.ctl("account", "add", "--login", "quantri", "--unit", "SKHCN", "--role", "admin",
                 "--email", "quantri@example.vn", "--name", "Lê Thị Quản Trị",
                 "--password-file", pw)
    assert r.returncode == 0, r.stderr
    # A task table: the last task dropped, one added.
    lines = (ROOT / "config" / "tasks-nq57-weekly.csv").read_text(encoding="utf-8").splitlines()
    lines = lines[:-1] + ["NQ57-99,99,Nhiệm vụ thử nghiệm mới,Sở Tài chính,,Báo cáo,Năm 2026"]
    tasks = ex.work.path / "nhiem-vu-moi.csv"
    tasks.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # A message that failed for good.
    failed = ex.pg.psql(
        "INSERT INTO outbox (dedup_key, recipient, subject, body, state, attempts, last_error, "
        "failed_at) VALUES ('thu:loi', 'vanthu@stc.hatinh.gov.vn', 'Nhắc nộp báo cáo tuần 48', "
        "'x', 'failed', 3, '550 5.1.1 mailbox unavailable', now()) RETURNING id")[0][0]
    ex.env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{ex.d.port}", ADMIN_LOGIN="quantri",
                  ADMIN_PASSWORD=PASSWORD, ARTEFACTS=str(ARTEFACTS), TASKS_FILE=str(tasks),
                  FAILED_ID=failed)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def scenario(ex, name):
    """Runs one scenario; its process group (node and chromium) never outlives it."""
    proc = subprocess.Popen(["node", str(HERE / "admin.mjs"), name], env=ex.env, cwd=HERE,
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


def test_admin(ex):
    scenario(ex, "admin")


def test_admin_audited(ex):
    """What the page did is in the audit log under the admin's account."""
    rows = ex.pg.psql("SELECT l.action || ' ' || l.object_type FROM audit_log l "
                      "JOIN account a ON a.id = l.account_id WHERE a.login = 'quantri'")
    done = {r[0] for r in rows}
    for want in ("update unit", "create account", "set_password account", "disable account",
                 "import task", "set calendar", "override period", "retry outbox"):
        assert want in done, (want, sorted(done))


def test_admin_phone(ex):
    scenario(ex, "admin_phone")


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, interrupted)
    sys.exit(run_tests([test_admin, test_admin_audited, test_admin_phone],
                       setup=setup, teardown=teardown))
