"""Integration test harness: a private PostgreSQL, the real baocaod and baocaoctl, TAP output.

Run with Debian's /usr/bin/python3 (stdlib only). meson passes the binaries' paths in
BAOCAOD and BAOCAOCTL; without them the default build folder is used.
"""
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BAOCAO_BUILD", ROOT / "build"))
BAOCAOD = os.environ.get("BAOCAOD", str(BUILD / "daemon" / "baocaod"))
BAOCAOCTL = os.environ.get("BAOCAOCTL", str(BUILD / "daemon" / "baocaoctl"))
IS_ROOT = os.geteuid() == 0
# Words that start a sanitizer's report in the daemon's log: any of them fails the test.
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "ThreadSanitizer", "runtime error:")
# Every daemon started by this process, so that a failed test can show their state and logs.
DAEMONS = []
# How many of a daemon's last log lines a failed test shows.
LOG_TAIL_LINES = 60


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.1, what="condition"):
    """Polls predicate until it returns a true value; raises after timeout seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, http.client.HTTPException) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Workdir:
    """A temporary folder that the daemon's unprivileged user can enter."""

    def __init__(self, name):
        self.path = Path(tempfile.mkdtemp(prefix=f"baocao-{name}-"))
        os.chmod(self.path, 0o755)
        # A watchdog in a session of its own: if this test process dies without its teardown
        # (SIGKILL, its process group killed), it stops the daemons and the cluster of this
        # folder and its standbys (pg-*). (The daemons cannot die with their parent: switching
        # user clears that.)
        self.watchdog = subprocess.Popen(
            ["sh", "-c", 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; '
             'pkill -TERM -f -- "-c $1/baocaod.conf" ; '
             'for d in "$1"/pg "$1"/pg-*; do [ -d "$d/data" ] && "$2" stop "$d"; done; exit 0',
             str(os.getpid()), str(self.path), str(ROOT / "scripts" / "pg")],
            env=dict(os.environ, BAOCAO_PG_FAST="1"), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def copy(self, src):
        """Copies a file into the folder, readable by everyone, and returns the copy's path;
        a file already in the folder is returned as it is."""
        src = Path(src)
        if src.resolve().parent == self.path.resolve():
            return src
        dst = self.path / src.name
        if dst.exists() and dst.read_bytes() != src.read_bytes():
            raise AssertionError(f"{dst} already exists with other contents than {src}")
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o644)
        return dst

    def copy_tree(self, src):
        """Copies a folder of files into this one (readable by everyone) once; returns it."""
        src = Path(src)
        dst = self.path / src.name
        if not dst.exists():
            shutil.copytree(src, dst)
            for f in [dst, *dst.rglob("*")]:
                os.chmod(f, 0o755 if f.is_dir() else 0o644)
        return dst

    def cleanup(self):
        self.watchdog.kill()
        self.watchdog.wait()
        shutil.rmtree(self.path, ignore_errors=True)


class Postgres:
    """A throw-away cluster made by scripts/pg in its own folder."""

    def __init__(self, workdir):
        self.dir = workdir.path / "pg"
        self.env = dict(os.environ, BAOCAO_PG_FAST="1")
        self.conninfo = None

    def _pg(self, cmd):
        return subprocess.run([str(ROOT / "scripts" / "pg"), cmd, str(self.dir)], env=self.env,
                              check=True, capture_output=True, text=True).stdout.strip()

    def start(self):
        self.conninfo = self._pg("start").splitlines()[-1]
        return self.conninfo

    def stop(self):
        self._pg("stop")

    def psql(self, sql):
        """Runs SQL and returns the rows as lists of strings."""
        out = subprocess.run(["psql", self.conninfo, "-X", "-q", "-tA", "-F", "\t",
                              "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def scalar(self, sql):
        rows = self.psql(sql)
        return rows[0][0] if rows else None


# Settings naming files that the daemon reads after it has switched to server.user (on SIGHUP,
# or when it sends mail). The daemon gets copies in its work folder, which that user can read
# wherever the checkout is: from a checkout inside a folder only root may enter, it could not
# read the originals.
FILE_SETTINGS = ("server.series_file", "mail.password_file", "signatures.trusted_roots")


class Daemon:
    """The real baocaod with a configuration of its own. Files named by FILE_SETTINGS are
    copied into the work folder and the configuration names the copies."""

    def __init__(self, workdir, conninfo, **settings):
        self.workdir = workdir
        self.port = free_port()
        self.conf = workdir.path / "baocaod.conf"
        self.logfile = workdir.path / "baocaod.log"
        self.proc = None
        self.last_rc = None  # the exit status the latest stop() saw
        self.settings = {
            "server": {
                "listen": "127.0.0.1",
                "port": str(self.port),
                "workers": "2",
                "data_dir": str(workdir.path / "data"),
                "spool_dir": str(workdir.path / "spool"),
                # migrate_on_start reads it after the switch to server.user
                "schema_dir": str(workdir.copy_tree(ROOT / "schema")),
                # the web pages, read at start and on SIGHUP (after the switch too)
                "web_dir": str(workdir.copy_tree(ROOT / "daemon" / "web")),
                "shutdown_timeout": "10s",
                "log_level": "info",
            },
            "database": {"conninfo": conninfo, "reconnect_max": "1s"},
        }
        if IS_ROOT:
            self.settings["server"]["user"] = "nobody"
        for key, value in settings.items():
            section, name = key.split(".", 1)
            if key in FILE_SETTINGS and str(value):
                value = workdir.copy(value)
            self.settings.setdefault(section, {})[name] = str(value)
        self.write_config()

    def write_config(self, text=None):
        if text is None:
            text = ""
            for section, values in self.settings.items():
                text += f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items())
        self.conf.write_text(text, encoding="utf-8")
        os.chmod(self.conf, 0o644)

    def ctl(self, *args, input=None, check=False, env=None):
        """Runs baocaoctl with this daemon's configuration and, once the daemon runs, its test
        clock (BAOCAO_FAKE_NOW), so that both read the same time."""
        run_env = dict(os.environ, **getattr(self, "run_env", {}), **(env or {}))
        return subprocess.run([BAOCAOCTL, "-c", str(self.conf), *map(str, args)], input=input,
                              capture_output=True, text=True, check=check, env=run_env)

    def start(self, env=None, wait=True):
        self.run_env = {k: v for k, v in (env or {}).items() if k == "BAOCAO_FAKE_NOW"}
        if self not in DAEMONS:
            DAEMONS.append(self)
        self.log = open(self.logfile, "ab")
        # Its temporary files in the work folder: what a daemon killed mid-workbook leaves
        # there goes with the folder (under systemd, PrivateTmp= does that).
        tmp = self.workdir.path / "tmp"
        tmp.mkdir(exist_ok=True)
        os.chmod(tmp, 0o1777)
        self.proc = subprocess.Popen([BAOCAOD, "-c", str(self.conf)], stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **{"TMPDIR": str(tmp), **(env or {})}))
        if wait:
            wait_for(lambda: self.proc.poll() is None and self.get("/healthz")[0] == 200,
                     timeout=30, what="baocaod /healthz")
        return self

    def stop_clean(self):
        """Stops the daemon and raises unless it exited 0 without a sanitizer report."""
        rc = self.stop()
        log = self.log_text()
        for marker in SANITIZER_MARKERS:
            at = log.find(marker)
            if at >= 0:
                start = log.rfind("\n", 0, at) + 1  # from the line of the first such report
                raise AssertionError(f"baocaod log has a {marker} report:\n"
                                     f"{log[start:start + 6000]}")
        if rc not in (0, None):
            raise AssertionError(f"baocaod exited with {rc}:\n{log[-2000:]}")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Signals the daemon and returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        self.proc = None
        self.last_rc = rc
        return rc

    def state(self):
        """Whether the daemon runs, and how it ended if it does not, in words."""
        if self.proc is None:
            return ("stopped by the test" if self.last_rc is None else
                    f"stopped by the test, exit status {exit_status(self.last_rc)}")
        rc = self.proc.poll()
        if rc is None:
            return f"running (pid {self.proc.pid})"
        return f"EXITED by itself (pid {self.proc.pid}), exit status {exit_status(rc)}"

    def report(self, lines=LOG_TAIL_LINES):
        """The daemon's state and the last lines of its log, for a failed test's output."""
        out = [f"baocaod on port {self.port} ({self.conf}): {self.state()}"]
        try:
            tail = self.log_text().splitlines()[-lines:]
        except OSError as e:
            tail = [f"(no log: {e})"]
        out.append(f"last {len(tail)} lines of {self.logfile}:")
        out.extend("  " + line for line in tail)
        return out

    def log_text(self):
        return self.logfile.read_text(encoding="utf-8", errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=30):
        """Returns (status, headers dict with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def get_json(self, path, **kw):
        status, _, body = self.get(path, **kw)
        return status, json.loads(body)


def exit_status(rc):
    """A returncode in words: negative ones are the signal that ended the process."""
    if rc is not None and rc < 0:
        try:
            return f"{rc} ({signal.Signals(-rc).name})"
        except ValueError:
            return f"{rc} (signal {-rc})"
    return str(rc)


def report_daemons():
    """Prints, as TAP comments, the state and log tail of every daemon that may still have
    a log (its work folder not yet removed)."""
    for d in DAEMONS:
        if d.logfile.exists():
            for line in d.report():
                print(f"# {line}", flush=True)


def uid_of(pid):
    """The real user id of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


def nobody_uid():
    return pwd.getpwnam("nobody").pw_uid


class Skip(Exception):
    """Raised by a test that cannot run on this machine (a tool it needs is refused here); its
    message says why. The test is reported "ok N - name # SKIP why"."""


def run_tests(tests, setup=None, teardown=None):
    """Runs test functions in order and prints TAP; each gets the object setup() returned.
    The teardown counts as one more test: the daemon must stop cleanly (exit 0, and no
    sanitizer report in its log). A failed test is followed by the state (running, or its
    exit status) and the log's last lines of every daemon this process started."""
    print(f"1..{len(tests) + 1}", flush=True)
    failed = 0
    ctx = None
    try:
        ctx = setup() if setup else None
    except Exception:
        for i, t in enumerate(tests, 1):
            print(f"not ok {i} - {t.__name__} # setup failed", flush=True)
        print(f"not ok {len(tests) + 1} - clean_shutdown # setup failed", flush=True)
        traceback.print_exc()
        report_daemons()
        return 1
    try:
        for i, t in enumerate(tests, 1):
            started = time.monotonic()
            try:
                t(ctx)
                print(f"ok {i} - {t.__name__} ({time.monotonic() - started:.1f}s)", flush=True)
            except Skip as e:
                print(f"ok {i} - {t.__name__} # SKIP {e}", flush=True)
            except Exception:
                failed += 1
                print(f"not ok {i} - {t.__name__}", flush=True)
                for line in traceback.format_exc().splitlines():
                    print(f"# {line}", flush=True)
                report_daemons()
    finally:
        try:
            if teardown:
                teardown(ctx)
            print(f"ok {len(tests) + 1} - clean_shutdown", flush=True)
        except Exception:
            failed += 1
            print(f"not ok {len(tests) + 1} - clean_shutdown", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"# {line}", flush=True)
    return 1 if failed else 0
