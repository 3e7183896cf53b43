"""systemd's notify protocol against a NOTIFY_SOCKET the test listens on (ready, watchdog,
reload, stop, status), the daemon without it, the journald priority prefixes and --version."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOCTL, BAOCAOD, ROOT, Daemon, Postgres, Workdir, run_tests  # noqa: E402

WATCHDOG_USEC = 400000  # 0.4 s: WATCHDOG=1 every 0.2 s
MIGRATE = {"database.migrate_on_start": "true"}  # /readyz answers 200 once migrated


class Ctx:
    pass


class NotifySocket:
    """An AF_UNIX datagram socket in the work folder, as systemd's NOTIFY_SOCKET."""

    def __init__(self, workdir, name):
        self.path = str(workdir.path / name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)  # the daemon may have switched to nobody
        self.got = []  # (monotonic time, message)

    def read(self, timeout):
        """Collects the messages that arrive within timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return
            self.got.append((time.monotonic(), data.decode()))

    def wait(self, pred, timeout=20, what="message"):
        """Reads until a message satisfies pred; returns it."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for t, m in self.got[seen:]:
                if pred(m):
                    return t, m
            seen = len(self.got)
            self.read(min(0.2, max(0.01, deadline - time.monotonic())))
        raise AssertionError(f"no {what} within {timeout}s; got {[m for _, m in self.got]}")

    def close(self):
        """Closes the socket and removes its file."""
        self.sock.close()
        os.unlink(self.path)


def setup():
    c = Ctx()
    c.work = Workdir("notify")
    c.pg = Postgres(c.work)
    c.pg.start()
    c.ns = NotifySocket(c.work, "notify.sock")
    c.extra = []
    c.d = Daemon(c.work, c.pg.conninfo, **MIGRATE)
    c.d.start(env={"NOTIFY_SOCKET": c.ns.path, "WATCHDOG_USEC": str(WATCHDOG_USEC)},
              wait=False)
    return c


def teardown(c):
    if c is None:
        return
    try:
        for d in c.extra:
            d.stop()
        if c.d.proc is not None:
            c.d.stop_clean()
    finally:
        c.ns.close()
        c.pg.stop()
    if os.environ.get("BAOCAO_KEEP_TMP") != "1":
        c.work.cleanup()


def test_ready_once_listening(c):
    c.ns.wait(lambda m: m == "READY=1", what="READY=1")
    # Ready means listening with the workers started: the log says so already and /readyz
    # answers at once.
    assert "listening on http://" in c.d.log_text(), c.d.log_text()
    status, _, _ = c.d.get("/readyz", timeout=5)
    assert status == 200, status
    assert [m for _, m in c.ns.got].count("READY=1") == 1, c.ns.got
    st = c.ns.wait(lambda m: m.startswith("STATUS="), what="STATUS=")[1]
    assert st.startswith("STATUS=ready: database connected"), st


def test_watchdog_keeps_coming(c):
    start = len(c.ns.got)
    c.ns.read(2.0)
    beats = [t for t, m in c.ns.got[start:] if m == "WATCHDOG=1"]
    # Half of 0.4 s: about 10 in 2 s; a loaded machine may lose a few.
    assert len(beats) >= 5, c.ns.got[start:]
    # No gap as long as systemd's timeout (0.4 s) on a quiet machine; a loaded test machine
    # may stall the loop a little, so the bound is wider.
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    assert max(gaps) < 2.5 * WATCHDOG_USEC / 1e6, gaps


def test_reload(c):
    start = len(c.ns.got)
    c.d.proc.send_signal(signal.SIGHUP)
    c.ns.wait(lambda m: m == "READY=1" and any(
        "RELOADING=1" in x[1] for x in c.ns.got[start:]), what="READY=1 after RELOADING=1")
    msgs = [m for _, m in c.ns.got[start:] if m != "WATCHDOG=1"]
    i = next(i for i, m in enumerate(msgs) if "RELOADING=1" in m)
    fields = dict(line.split("=", 1) for line in msgs[i].split("\n"))
    assert fields["RELOADING"] == "1", fields
    usec = int(fields["MONOTONIC_USEC"])
    now = time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6
    assert 0 < now - usec < 30e6, (now, usec)
    assert any(m == "READY=1" for m in msgs[i + 1:]), msgs
    wait_log(c.d, "reloaded ")


def wait_log(d, text, timeout=10):
    """Waits until the daemon's log holds text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in d.log_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log")


def extra_daemon(c, logname):
    """Another daemon on the same database, with a log of its own; the teardown stops it if a
    failed test left it running."""
    d = Daemon(c.work, c.pg.conninfo, **MIGRATE)
    d.logfile = c.work.path / logname
    c.extra.append(d)
    return d


def test_status_follows_the_database(c):
    """STATUS= says when the database goes away and when it is back."""
    start = len(c.ns.got)
    c.pg.stop()
    try:
        c.d.get("/readyz", timeout=10)  # a request makes a worker find the database gone
        c.ns.wait(lambda m: m == "STATUS=ready: database unavailable, retrying", timeout=20,
                  what="STATUS= database unavailable")
    finally:
        c.pg.start()
    c.ns.wait(lambda m: m.startswith("STATUS=ready: database connected") and any(
        "unavailable" in x[1] for x in c.ns.got[start:]), timeout=30,
        what="STATUS= database connected again")


def test_stop(c):
    start = len(c.ns.got)
    c.d.proc.send_signal(signal.SIGTERM)
    c.ns.wait(lambda m: m == "STOPPING=1", what="STOPPING=1")
    rc = c.d.proc.wait(20)
    assert rc == 0, rc
    c.d.stop_clean()
    c.ns.read(0.2)
    assert any(m.startswith("STATUS=stopping") for _, m in c.ns.got[start:]), c.ns.got[start:]


def test_without_notify_socket(c):
    """Without NOTIFY_SOCKET (WATCHDOG_USEC alone means nothing) the daemon runs, reloads and
    stops as before: no systemd line in its log, lines as they were."""
    d = extra_daemon(c, "plain.log")
    os.environ.pop("NOTIFY_SOCKET", None)
    d.start(env={"WATCHDOG_USEC": str(WATCHDOG_USEC)})
    assert d.get("/readyz")[0] == 200
    d.proc.send_signal(signal.SIGHUP)
    wait_log(d, "reloaded ")
    d.stop_clean()
    assert "systemd" not in d.log_text()
    # Lines as before: a time of their own, no priority prefix.
    for line in d.log_text().splitlines():
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warn|error) ",
                        line), line


def test_journald_prefixes(c):
    """With JOURNAL_STREAM naming stderr's device and inode, lines carry <N> and no time; with
    it naming another file they stay as they are."""
    for matching in (True, False):
        d = extra_daemon(c, f"journal-{matching}.log")
        d.logfile.touch()
        st = os.stat(d.logfile if matching else c.work.path / "baocaod.conf")
        d.start(env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        d.proc.send_signal(signal.SIGHUP)
        wait_log(d, "reloaded ")
        d.stop_clean()
        lines = d.log_text().splitlines()
        assert lines, "no log"
        for line in lines:
            if matching:
                assert re.match(r"<[3467]>[a-z]+: ", line), line
            else:
                assert re.match(r"\d{4}-\d\d-\d\dT\S+Z (debug|info|warn|error) ", line), line
        if matching:
            assert any(re.match(r"<6>main: baocaod \S+ listening", x) for x in lines), lines


def test_version(c):
    for prog, name in ((BAOCAOD, "baocaod"), (BAOCAOCTL, "baocaoctl")):
        for opt in ("--version", "-V"):
            r = subprocess.run([prog, opt], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            assert re.fullmatch(rf"{name} \d+\.\d+\.\d+\n", r.stdout), r.stdout
    meson = (ROOT / "meson.build").read_text()
    version = re.search(r"version: '([^']+)'", meson).group(1)
    r = subprocess.run([BAOCAOD, "--version"], capture_output=True, text=True)
    assert r.stdout == f"baocaod {version}\n", r.stdout


if __name__ == "__main__":
    sys.exit(run_tests([test_ready_once_listening, test_watchdog_keeps_coming, test_reload,
                        test_status_follows_the_database, test_stop,
                        test_without_notify_socket, test_journald_prefixes, test_version],
                       setup, teardown))
