#!/usr/bin/env python3
"""The web pages in headless Chromium: each scenario of run.mjs against the real daemon.

harness.py starts a private PostgreSQL and baocaod; each scenario is one Node process
(playwright-core driving /usr/bin/chromium) in a process group of its own, killed with its
browser whatever happens, and the daemon and database are stopped by the teardown even when a
test fails or the run is interrupted. Screenshots go to $BROWSER_ARTEFACTS (meson: the build
folder's tests/browser/screenshots).
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from harness import BUILD, run_tests  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"   # Wednesday of 2026-W48; the deadline is Friday 27/11 11:00
ARTEFACTS = Path(os.environ.get("BROWSER_ARTEFACTS", BUILD / "tests" / "browser" / "screenshots"))
SCENARIO_TIMEOUT = 240


def person(ex, login, unit, role, password):
    """An account with a password (and none of the generated ones)."""
    pw = ex.work.path / f"{login}.pw"
    pw.write_text(password + "\n", encoding="utf-8")
    r = ex.d.ctl("account", "add", "--login", login, "--unit", unit, "--role", role,
                 "--email", f"{login}@example.vn", "--name", "Nguyễn Thị Lan",
                 "--password-file", pw)
    assert r.returncode == 0, r.stderr


def setup():
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        raise AssertionError("playwright-core is missing: run npm ci in tests/browser")
    ex = Example("browser", NOW, **{"server.session_idle_timeout": "5min",
                                    "testing.clock_control": "true"})
    person(ex, "stc.baocao", "STC", "reporter", "mat-khau-thu-nghiem-1")
    person(ex, "stc.matkhau", "STC", "reporter", "mat-khau-thu-nghiem-2")
    ex.account("quantri", "SKHCN", "admin")
    # stc.matkhau's program sends with an API token, which the password page offers to revoke.
    r = ex.d.ctl("token", "create", "--login", "stc.matkhau", "--label", "Máy gửi tự động")
    assert r.returncode == 0, r.stderr
    ex.env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{ex.d.port}", TOKEN2=r.stdout.strip(),
                  LOGIN="stc.baocao", PASSWORD="mat-khau-thu-nghiem-1",
                  LOGIN2="stc.matkhau", PASSWORD2="mat-khau-thu-nghiem-2",
                  ADMIN_TOKEN=ex.tokens["quantri"], ARTEFACTS=str(ARTEFACTS),
                  WORK=str(ex.work.path), FILL=str(HERE / "fill_workbook.py"))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def scenario(ex, name):
    """Runs one scenario; its process group (node and chromium) never outlives it."""
    proc = subprocess.Popen(["node", str(HERE / "run.mjs"), name], env=ex.env, cwd=HERE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=SCENARIO_TIMEOUT)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # a browser left behind goes too
        except ProcessLookupError:
            pass
        proc.wait()
    assert proc.returncode == 0, f"{name} failed:\n{out}"


def test_reporter_upload(ex):
    scenario(ex, "reporter_upload")


def test_reporter_document(ex):
    scenario(ex, "reporter_document")


def test_form(ex):
    scenario(ex, "form")


def test_password(ex):
    scenario(ex, "password")


def test_csrf(ex):
    scenario(ex, "csrf")


def test_expired_session(ex):
    # Last: it moves the daemon's clock on.
    scenario(ex, "expired_session")


def test_csrf_refusals_logged(ex):
    log = ex.d.log_text()
    assert "without a valid CSRF token" in log   # the csrf scenario's refusals were seen


def interrupted(signum, frame):
    """SIGTERM (meson's timeout) or SIGINT: unwind, so the teardown stops everything."""
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, interrupted)
    sys.exit(run_tests([test_reporter_upload, test_reporter_document, test_form, test_password,
                        test_csrf, test_expired_session, test_csrf_refusals_logged],
                       setup=setup, teardown=teardown))
