"""Logins apart from the rest: the login pool under a storm, and X-Forwarded-For from a peer
that is not a trusted proxy."""
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"
PERIOD = "2026-W48"
STORM = 150          # logins at once, each from its own address of 127.0.0.0/8
PROMPT_S = 2.0       # what "promptly" means for a request beside the storm


def setup():
    ex = Example("logins", NOW)
    ex.account("stc.baocao", "STC", "reporter")
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def call(ex, method, path, body=None, headers=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", ex.d.port, timeout=60,
                                      source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r, r.read()
    finally:
        conn.close()


def test_untrusted_forwarded_for_is_warned(ex):
    status, body = ex.d.get_json("/readyz")
    assert status == 200 and "untrusted_forwarded_for" not in body, body
    for _ in range(3):
        status, _, _ = call(ex, "GET", "/healthz", headers={"X-Forwarded-For": "10.1.2.3"})
        assert status == 200
    status, body = ex.d.get_json("/readyz")
    assert status == 200 and body.get("untrusted_forwarded_for") is True, body
    log = ex.d.log_text()
    # Once a minute at most, naming the peer and what to do.
    assert log.count("carry X-Forwarded-For") == 1, log[-3000:]
    assert "127.0.0.1 is not in [server] trusted_proxies" in log


def test_login_storm_leaves_uploads_alone(ex):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 10,
             "Kết quả thực hiện trong kỳ": "Gửi trong lúc có bão đăng nhập"}
            for code, _ in ex.tasks_of("STC")]
    upload = build_workbook(rows, meta=meta_for_unit(ex, "STC", PERIOD))
    results = [None] * STORM
    start = threading.Barrier(STORM + 1)

    def storm(i):
        source = f"127.0.{1 + i // 200}.{1 + i % 200}"
        body = json.dumps({"login": f"ten{i}.bao", "password": "sai-mat-khau"})
        start.wait()
        try:
            status, resp, raw = call(ex, "POST", "/api/v1/session", body,
                                     {"Content-Type": "application/json"}, source=source)
            results[i] = (status, resp.getheader("Retry-After"), raw, time.monotonic())
        except OSError as e:
            results[i] = (None, None, repr(e).encode(), time.monotonic())

    threads = [threading.Thread(target=storm, args=(i,)) for i in range(STORM)]
    for t in threads:
        t.start()
    try:
        start.wait()
        # Once the login queue is full, the storm is at its height.
        wait_for(lambda: any(r and r[0] == 503 for r in results), timeout=30,
                 what="a login refused for a full login queue")
        timings = {}
        t0 = time.monotonic()
        status, _, raw = call(ex, "GET", "/readyz")
        timings["readyz"] = time.monotonic() - t0
        assert status == 200, raw
        t0 = time.monotonic()
        status, _, raw = call(ex, "PUT", f"/api/v1/series/nq57-weekly/periods/{PERIOD}/submission",
                              upload, {"Authorization": f"Bearer {ex.tokens['stc.baocao']}",
                                       "Content-Type": XLSX})
        timings["upload"] = time.monotonic() - t0
        assert status == 201, raw
        t0 = time.monotonic()
        status, _, raw = call(ex, "GET", "/api/v1/me",
                              headers={"Authorization": f"Bearer {ex.tokens['stc.baocao']}"})
        timings["me"] = time.monotonic() - t0
        assert status == 200, raw
        measured = time.monotonic()
    finally:
        for t in threads:
            t.join(120)
    print(f"# beside the storm: {timings}, refused {sum(1 for r in results if r[0] == 503)}")
    assert all(v < PROMPT_S for v in timings.values()), timings
    statuses = [r[0] for r in results]
    # Still checking passwords when the other requests had been answered.
    assert max(r[3] for r in results if r[0] == 401) > measured, "the storm was over too soon"
    assert set(statuses) <= {401, 503}, sorted(set(map(str, statuses)))
    refused = [r for r in results if r[0] == 503]
    assert 0 < len(refused) < STORM and statuses.count(401) >= 20, \
        (len(refused), statuses.count(401))
    for status, after, raw, _ in refused:
        assert json.loads(raw)["error"]["code"] == "login_overloaded", raw
        assert after is not None and int(after) >= 1
    log = ex.d.log_text()
    assert "login queue full, refusing POST /api/v1/session" in log
    # One line for the storm, not one per refusal (the next comes a minute later at the
    # earliest, with the count).
    assert log.count("login queue full") == 1, log.count("login queue full")


def test_one_address_cannot_hold_the_login_queue(ex):
    # Twelve tries at once from one address: at most four are checked at a time, the others
    # are answered 429 at once; a person at another address logs in meanwhile.
    pw = ex.work.path / "logins-pw.txt"
    pw.write_text("Mat-khau-dung-1\n", encoding="utf-8")
    r = ex.d.ctl("account", "add", "--login", "stc.nguoi", "--unit", "STC", "--role",
                 "reporter", "--email", "nguoi@example.vn", "--password-file", pw)
    assert r.returncode == 0, r.stderr
    start = threading.Barrier(13)
    results = []

    def attempt(i):
        body = json.dumps({"login": f"bia{i}.bao", "password": "sai-mat-khau"})
        start.wait()
        status, resp, raw = call(ex, "POST", "/api/v1/session", body,
                                 headers={"Content-Type": "application/json"},
                                 source="127.0.0.77")
        results.append((status, resp.getheader("Retry-After"), raw))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    start.wait()
    status, _, raw = call(ex, "POST", "/api/v1/session",
                          json.dumps({"login": "stc.nguoi", "password": "Mat-khau-dung-1"}),
                          headers={"Content-Type": "application/json"}, source="127.0.0.78")
    for t in threads:
        t.join(60)
    assert status in (200, 201), (status, raw[:300])
    statuses = sorted(r[0] for r in results)
    assert set(statuses) <= {401, 429}, statuses
    busy = [r for r in results if r[0] == 429]
    assert len(busy) >= 4 and statuses.count(401) >= 1, statuses
    for _, after, raw in busy:
        assert json.loads(raw)["error"]["code"] == "login_busy", raw
        assert after is not None and int(after) >= 1


TESTS = [
    test_untrusted_forwarded_for_is_warned,
    test_login_storm_leaves_uploads_alone,
    test_one_address_cannot_hold_the_login_queue,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
