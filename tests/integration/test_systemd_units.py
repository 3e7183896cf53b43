"""The systemd units in config/systemd: `systemd-analyze verify` is clean, `systemd-analyze
security --offline=yes` rates each service 2.0 or lower, and they hold what the package and
docs/operations.md promise (Type=notify, the user, the watchdog, the hardening, the timer)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOCTL, BAOCAOD, ROOT, run_tests  # noqa: E402

UNITS = ROOT / "config" / "systemd"
SERVICES = ("baocaod.service", "baocao-backup.service")
EXPOSURE_MAX = 2.0


class Ctx:
    pass


def setup():
    """Copies the units into a temporary folder with the programs' paths rewritten to this
    build's (verify checks that ExecStart's program exists)."""
    c = Ctx()
    c.dir = Path(tempfile.mkdtemp(prefix="baocao-units-"))
    for unit in UNITS.iterdir():
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/usr/sbin/baocaod", BAOCAOD).replace("/usr/bin/baocaoctl", BAOCAOCTL)
        (c.dir / unit.name).write_text(text, encoding="utf-8")
    return c


def teardown(c):
    if c is not None:
        shutil.rmtree(c.dir, ignore_errors=True)


def analyze(c, *args):
    return subprocess.run(["systemd-analyze", *args], cwd=c.dir, capture_output=True, text=True)


def settings(name):
    """The unit's settings as {key: [values in order]}."""
    out = {}
    for line in (UNITS / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        key, value = line.split("=", 1)
        out.setdefault(key, []).append(value)
    return out


def test_verify_clean(c):
    names = sorted(p.name for p in c.dir.iterdir())
    assert names == ["baocao-backup.service", "baocao-backup.timer", "baocaod.service"], names
    r = analyze(c, "verify", *[f"./{n}" for n in names])
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", (r.returncode, r.stdout,
                                                                    r.stderr)


def test_security_exposure(c):
    for name in SERVICES:
        # --threshold takes the exposure in tenths (0 to 100): above it, the status is 1.
        r = analyze(c, "security", "--offline=yes", f"--threshold={round(EXPOSURE_MAX * 10)}",
                    f"./{name}")
        m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
        assert m, r.stdout + r.stderr
        assert float(m.group(1)) <= EXPOSURE_MAX, (name, m.group(1), r.stdout)
        assert r.returncode == 0, (name, r.returncode, r.stderr)


def test_daemon_unit_settings(c):
    s = settings("baocaod.service")
    want = {
        "Type": "notify", "User": "baocao", "Restart": "on-failure",
        "ExecStart": "/usr/sbin/baocaod -c /etc/baocao/baocaod.conf",
        "ExecReload": "/bin/kill -HUP $MAINPID", "ProtectSystem": "strict",
        "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
        "NoNewPrivileges": "yes", "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "MemoryDenyWriteExecute": "yes", "StateDirectory": "baocao", "UMask": "0027",
        "SystemCallArchitectures": "native", "LockPersonality": "yes",
        "RestrictRealtime": "yes", "RestrictNamespaces": "yes",
        # baocaod's exit status for a schema newer than it knows (test_schema_newer.py)
        "RestartPreventExitStatus": "78",
    }
    for key, value in want.items():
        assert s.get(key, [None])[0] == value, (key, s.get(key))
    assert s["SystemCallFilter"][0] == "@system-service", s["SystemCallFilter"]
    assert int(s["WatchdogSec"][0]) > 0
    assert "/var/spool/baocao" in s["ReadWritePaths"], s["ReadWritePaths"]
    assert len(s["ReadWritePaths"]) >= 2, "no delivery folder"


def test_backup_timer(c):
    t = settings("baocao-backup.timer")
    assert t["OnCalendar"] and t["Persistent"] == ["true"], t
    b = settings("baocao-backup.service")
    assert b["Type"] == ["oneshot"] and b["User"] == ["baocao"], b
    assert b["ExecStart"][0].endswith(" backup --keep 14"), b["ExecStart"]
    # The timer starts the service of its own name.
    r = analyze(c, "verify", "./baocao-backup.timer")
    assert r.returncode == 0, r.stderr


if __name__ == "__main__":
    if shutil.which("systemd-analyze") is None:
        print("1..0 # SKIP systemd-analyze is not installed (Debian package systemd)")
        sys.exit(0)
    sys.exit(run_tests([test_verify_clean, test_security_exposure, test_daemon_unit_settings,
                        test_backup_timer], setup, teardown))
