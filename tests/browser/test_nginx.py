#!/usr/bin/env python3
"""baocaod behind Debian's nginx over HTTPS, with the site file shipped in config/nginx/.

harness.py starts a private PostgreSQL and baocaod (trusted_proxies, cookie_secure); this test
makes a self-signed certificate with openssl and starts nginx in a folder of its own (its
configuration, temporary files, logs and pid there; high ports on 127.0.0.1, so no privilege),
with the site generated from config/nginx/baocao.conf by replacing only ports and paths, so the
shipped file is what is tested. Then: plain HTTP redirects to HTTPS and serves ACME
challenges; failed logins from 127.0.0.5 (even with a forged X-Forwarded-For) are counted and
logged for 127.0.0.5, not for nginx's 127.0.0.1, so the reporter logging in from 127.0.0.1
right after is not throttled; and the reporter's flow in Chromium (nginx.mjs): the __Host-
cookie, a 10 MiB workbook accepted. nginx and the scenario's node die with this process
(PR_SET_PDEATHSIG), and nginx is stopped in the teardown whatever happens.
"""
import ctypes
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from harness import ROOT, BUILD, free_port, run_tests, wait_for  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"   # Wednesday of 2026-W48; the deadline is Friday 27/11 11:00
SITE = ROOT / "config" / "nginx" / "baocao.conf"
ARTEFACTS = Path(os.environ.get("BROWSER_ARTEFACTS", BUILD / "tests" / "browser" / "screenshots"))
# The workbook sent through nginx: 10 MiB, baocaod's max_upload_size and nginx's
# client_max_body_size as shipped, and the most the reporter's page lets one choose.
UPLOAD_SIZE = 10 * 1024 * 1024
CLIENT = "127.0.0.5"             # the failed logins' source address (nginx sees it)
LOGIN, PASSWORD = "stc.baocao", "mat-khau-thu-nghiem-1"
SCENARIO_TIMEOUT = 300


def die_with_parent():
    """In the child before exec: SIGTERM when the test process dies (PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGTERM, 0, 0, 0) != 0:
        os._exit(127)


def site_config(work, http_port, https_port, daemon_port):
    """The shipped site with this test's ports and paths; fails when one is not where it was."""
    text = SITE.read_text(encoding="utf-8")
    swaps = [
        ("\tlisten [::]:80;\n", ""),
        ("\tlisten [::]:443 ssl http2;\n", ""),
        ("\tlisten 80;", f"\tlisten 127.0.0.1:{http_port};"),
        ("\tlisten 443 ssl http2;", f"\tlisten 127.0.0.1:{https_port} ssl http2;"),
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{daemon_port};"),
        ("/etc/letsencrypt/live/baocao.example.vn/", f"{work}/tls/"),
        ("root /var/www/letsencrypt;", f"root {work}/acme;"),
    ]
    for old, new in swaps:
        assert old in text, f"{SITE} no longer has {old!r}"
        text = text.replace(old, new)
    return text


class Nginx:
    """Debian's nginx in a folder of its own, in front of a daemon."""

    def __init__(self, work, daemon_port):
        """Makes the certificate and configuration in work/nginx and starts nginx."""
        self.dir = work / "nginx"
        self.http_port, self.https_port = free_port(), free_port()
        for sub in ("tls", "tmp", "acme/.well-known/acme-challenge"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        for d in [self.dir, *self.dir.rglob("*")]:
            os.chmod(d, 0o755)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", self.dir / "tls" / "privkey.pem",
                        "-out", self.dir / "tls" / "fullchain.pem"],
                       check=True, capture_output=True)
        (self.dir / "site.conf").write_text(
            site_config(self.dir, self.http_port, self.https_port, daemon_port), encoding="utf-8")
        tmp = self.dir / "tmp"
        (self.dir / "nginx.conf").write_text(f"""worker_processes 1;
events {{ worker_connections 256; }}
http {{
	include /etc/nginx/mime.types;
	client_body_temp_path {tmp}/body;
	proxy_temp_path {tmp}/proxy;
	fastcgi_temp_path {tmp}/fastcgi;
	uwsgi_temp_path {tmp}/uwsgi;
	scgi_temp_path {tmp}/scgi;
	log_format probe '$remote_addr $server_protocol "$request" $status $request_length';
	access_log {self.dir}/access.log probe;
	include {self.dir}/site.conf;
}}
""", encoding="utf-8")
        self.stderr = open(self.dir / "error.log", "wb")
        self.proc = subprocess.Popen(
            ["nginx", "-e", "stderr", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
             "-g", f"daemon off; pid {self.dir}/nginx.pid; error_log stderr;"],
            stdout=self.stderr, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        try:
            wait_for(lambda: self.proc.poll() is None and self.https("GET", "/healthz")[0] == 200,
                     timeout=20, what="nginx in front of baocaod")
        except BaseException:
            self.stop()
            raise

    def https(self, method, path, body=None, headers=None, source=None):
        """One request through nginx over HTTPS (the certificate is not checked), from source
        (an address of 127/8) or 127.0.0.1; returns (status, headers, body)."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, context=ctx, timeout=30,
                                           source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def access_log(self):
        """nginx's access log so far (address, protocol, request, status, length)."""
        return (self.dir / "access.log").read_text(encoding="utf-8", errors="replace")

    def stop(self):
        """Stops nginx (SIGQUIT, then SIGKILL); its workers go with it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def setup():
    """PostgreSQL with the example, baocaod behind a proxy, the reporter, then nginx."""
    if not (HERE / "node_modules" / "playwright-core").is_dir():
        raise AssertionError("playwright-core is missing: run npm ci in tests/browser")
    ex = Example("nginx", NOW, **{"server.trusted_proxies": "127.0.0.1/32 ::1/128",
                                  "server.cookie_secure": "true",
                                  "server.max_upload_size": "10M",
                                  "server.max_bytes_per_period": "100M"})
    ex.nginx = None
    try:
        pw = ex.work.path / "reporter.pw"
        pw.write_text(PASSWORD + "\n", encoding="utf-8")
        r = ex.d.ctl("account", "add", "--login", LOGIN, "--unit", "STC", "--role", "reporter",
                     "--email", f"{LOGIN}@example.vn", "--name", "Nguyễn Thị Lan",
                     "--password-file", pw)
        assert r.returncode == 0, r.stderr
        ex.nginx = Nginx(ex.work.path, ex.d.port)
    except BaseException:
        teardown(ex)
        raise
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ex


def teardown(ex):
    """Stops nginx, then the daemon and PostgreSQL, even when nginx's stop fails."""
    if ex is None:
        return
    try:
        if ex.nginx is not None:
            ex.nginx.stop()
    finally:
        ex.close()


def test_plain_http(ex):
    """Port 80's part: a redirect to HTTPS, except certbot's challenges, served from files."""
    n = ex.nginx
    conn = http.client.HTTPConnection("127.0.0.1", n.http_port, timeout=10)
    try:
        conn.request("GET", "/login.html?next=%2F", headers={"Host": "baocao.example.vn"})
        r = conn.getresponse()
        r.read()
        assert r.status == 301, r.status
        assert r.getheader("Location") == "https://baocao.example.vn/login.html?next=%2F", \
            r.getheader("Location")
        token = n.dir / "acme" / ".well-known" / "acme-challenge" / "tok3n"
        token.write_text("tok3n.thumbprint", encoding="utf-8")
        os.chmod(token, 0o644)
        conn.request("GET", "/.well-known/acme-challenge/tok3n")
        r = conn.getresponse()
        assert (r.status, r.read()) == (200, b"tok3n.thumbprint")
    finally:
        conn.close()


def failed_login(n, headers=None):
    """A wrong password for the reporter from CLIENT; returns (status, code)."""
    status, _, body = n.https("POST", "/api/v1/session",
                              body=json.dumps({"login": LOGIN, "password": "sai-mat-khau"}),
                              headers={"Content-Type": "application/json", **(headers or {})},
                              source=CLIENT)
    return status, json.loads(body).get("error", {}).get("code") if body[:1] == b"{" else body


def test_throttle_sees_client(ex):
    """Failed logins count for the client's address as nginx saw it, whatever the client
    writes in X-Forwarded-For; the throttle then holds that address, not nginx's."""
    n = ex.nginx
    seen = [failed_login(n, {"X-Forwarded-For": "10.9.9.9"})]
    while seen[-1][0] == 401 and len(seen) < 10:
        seen.append(failed_login(n))
    assert seen[-1] == (429, "too_many_logins"), seen
    assert all(s == 401 for s, _ in seen[:-1]) and len(seen) > 2, seen
    log = ex.d.log_text()
    assert f"failed login for '{LOGIN}' from {CLIENT}" in log, log[-3000:]
    for other in ("10.9.9.9", "127.0.0.1"):
        assert f"failed login for '{LOGIN}' from {other}" not in log, other
    # The right password from the throttled client waits too; the reporter elsewhere does not
    # (the Chromium login of test_reporter_https comes from 127.0.0.1, nginx's own address).
    status, _, body = n.https("POST", "/api/v1/session",
                              body=json.dumps({"login": LOGIN, "password": PASSWORD}),
                              headers={"Content-Type": "application/json"}, source=CLIENT)
    assert status == 429 and b"too_many_logins" in body, (status, body)


def test_reporter_https(ex):
    """The reporter's flow in Chromium through nginx: the __Host- cookie, a 10 MiB upload."""
    env = dict(os.environ, BASE_URL=f"https://127.0.0.1:{ex.nginx.https_port}",
               LOGIN=LOGIN, PASSWORD=PASSWORD, ARTEFACTS=str(ARTEFACTS),
               WORK=str(ex.work.path), FILL=str(HERE / "fill_workbook.py"),
               PAD=str(HERE / "pad_workbook.py"), UPLOAD_SIZE=str(UPLOAD_SIZE))
    proc = subprocess.Popen(["node", str(HERE / "nginx.mjs"), "reporter_https"], env=env,
                            cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, preexec_fn=die_with_parent)
    try:
        out, _ = proc.communicate(timeout=SCENARIO_TIMEOUT)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # a browser left behind goes too
        except ProcessLookupError:
            pass
        proc.wait()
    assert proc.returncode == 0, f"reporter_https failed:\n{out}"
    assert f"{LOGIN} logged in from 127.0.0.1" in ex.d.log_text()
    # The workbook went through nginx over HTTP/2 whole, and baocaod took it.
    uploads = [m for m in re.finditer(r'^127\.0\.0\.1 (\S+) "(PUT|POST) (/api/\S+) [^"]*" '
                                      r'(\d+) (\d+)$', ex.nginx.access_log(), re.M)
               if int(m.group(5)) >= UPLOAD_SIZE]
    assert uploads, ex.nginx.access_log()[-3000:]
    assert all(m.group(1) == "HTTP/2.0" and m.group(4).startswith("2") for m in uploads), \
        [m.group(0) for m in uploads]


if __name__ == "__main__":
    sys.exit(run_tests([test_plain_http, test_throttle_sees_client, test_reporter_https],
                       setup, teardown))
