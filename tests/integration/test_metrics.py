#!/usr/bin/env python3
"""GET /metrics: the Prometheus text format (promtool check metrics, prometheus_client's
parser), counters that move with uploads and logins, and who may read it; the alert rules of
docs/alerts.yml pass promtool check rules."""
import json
import re
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, run_tests, wait_for  # noqa: E402
from intake_util import Example  # noqa: E402

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

NOW = "2026-11-25T09:00:00+07:00"	# Wednesday of 2026-W48, before the unit deadline
PERIOD = "2026-W48"
PROMTOOL = "/usr/bin/promtool"
ROUTE = "/api/v1/series/{series}/periods/{period}/submission"


def setup():
    ex = Example("metrics", NOW)
    ex.account("stc.baocao", "STC", "reporter")
    ex.account("quantri", "SKHCN", "admin")
    ex.stc = ex.tasks_of("STC")
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def scrape(ex, headers=None):
    status, hdrs, raw = ex.d.request("GET", "/metrics", headers=headers or {})
    return status, hdrs, raw


def samples(text):
    """{(name, frozenset(labels)): value} of every sample."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(seen, name, **labels):
    return seen.get((name, frozenset(labels.items())), 0.0)


def header(hdrs, name):
    if isinstance(hdrs, dict):
        for k, v in hdrs.items():
            if k.lower() == name.lower():
                return v
        return None
    return hdrs.get(name)


def test_format_and_counters(ex):
    status, hdrs, raw = scrape(ex)
    assert status == 200, raw
    assert header(hdrs, "Content-Type") == "text/plain; version=0.0.4; charset=utf-8", hdrs
    before = samples(raw.decode())
    # An upload accepted, one refused (an empty body), a failed login.
    items = [{"task": c, "status": "in_progress", "progress": 10, "result": "Đang làm"}
             for c, _ in ex.stc]
    status, _, raw = ex.put("stc.baocao", PERIOD, json.dumps({"items": items}).encode(),
                            "application/json")
    assert status == 201, raw
    status, _, raw = ex.put("stc.baocao", PERIOD, b"", "application/json")
    assert status == 400, raw
    status, _, raw = ex.d.request("POST", "/api/v1/session", body=json.dumps(
        {"login": "stc.baocao", "password": "sai mật khẩu"}).encode(),
        headers={"Content-Type": "application/json"})
    assert status == 401, raw
    status, _, raw = ex.d.request("GET", "/khong-co/duong-dan/nay")
    assert status == 404, raw

    status, _, raw = scrape(ex)
    assert status == 200, raw
    text = raw.decode()
    check = subprocess.run([PROMTOOL, "check", "metrics"], input=raw, capture_output=True)
    assert check.returncode == 0, (check.stdout, check.stderr, text)
    after = samples(text)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("baocao_uploads_accepted_total") == 1, text
    assert moved("baocao_uploads_refused_total", reason="empty_body") == 1, text
    assert moved("baocao_login_failures_total") == 1, text
    assert moved("baocao_http_requests_total", route=ROUTE, method="PUT", **{"class": "2xx"}) \
        == 1, text
    assert moved("baocao_http_requests_total", route=ROUTE, method="PUT", **{"class": "4xx"}) \
        == 1, text
    assert moved("baocao_http_requests_total", route="/api/v1/session", method="POST",
                 **{"class": "4xx"}) == 1, text
    assert moved("baocao_http_requests_total", route="none", method="", **{"class": "4xx"}) \
        == 1, text
    # No raw path is ever a label.
    assert "khong-co" not in text and "nq57-weekly/periods" not in text
    # The duration histogram counts every request answered before the scrape.
    assert moved("baocao_http_request_duration_seconds_count") >= 5, text
    assert value(after, "baocao_build_info", version=build_version(), schema=schema(ex)) == 1
    assert value(after, "baocao_ready") == 1
    # STC reported for the open week; every other member of nq57-weekly has not.
    members = int(ex.pg.scalar(
        "SELECT count(*) FROM period p CROSS JOIN LATERAL period_units(p.id) pu "
        "JOIN series s ON s.id = p.series_id WHERE s.name = 'nq57-weekly' "
        f"AND p.period_key = '{PERIOD}'"))
    assert value(after, "baocao_series_units_missing", series="nq57-weekly") == members - 1, \
        (members, ex.pg.psql("SELECT period_key, state, starts_on FROM period"), text)
    assert ("baocao_job_overdue_seconds", frozenset({("job", "cutoff")})) in after, text

    def jobs_as_in_the_table():
        """Job runs as job_run holds them; the last successful "open" as its finished_at
        (scraped again while the scheduler moves a run between the two reads)."""
        seen = samples(scrape(ex)[2].decode())
        rows = ex.pg.psql("SELECT job, state, count(*) FROM job_run GROUP BY job, state")
        last = float(ex.pg.scalar("SELECT extract(epoch FROM max(finished_at)) FROM job_run "
                                  "WHERE job = 'open' AND state = 'done'"))
        return all(value(seen, "baocao_job_runs", job=j, state=st) == int(n)
                   for j, st, n in rows) and \
            value(seen, "baocao_job_last_success_timestamp_seconds", job="open") == last
    wait_for(jobs_as_in_the_table, timeout=10, what="the job figures as job_run holds them")
    assert value(after, "baocao_outbox_messages", state="failed") == 0
    assert ("baocao_worker_queue_length", frozenset({("pool", "main")})) in after
    assert value(after, "baocao_connections_open") >= 1


def build_version():
    """meson.build's project() version."""
    text = (ROOT / "meson.build").read_text()
    return re.search(r"version:\s*'([^']+)'", text).group(1)


def schema(ex):
    return ex.pg.scalar("SELECT max(version) FROM schema_migration")


def test_throttled_login_is_counted(ex):
    before = samples(scrape(ex)[2].decode())
    for _ in range(12):
        status, _, _ = ex.d.request("POST", "/api/v1/session", body=json.dumps(
            {"login": "quantri", "password": "sai"}).encode(),
            headers={"Content-Type": "application/json"})
        if status == 429:
            break
    assert status == 429, status
    after = samples(scrape(ex)[2].decode())
    assert value(after, "baocao_login_throttled_total") > \
        value(before, "baocao_login_throttled_total")


def reload_with(ex, **settings):
    for key, val in settings.items():
        section, name = key.split(".", 1)
        ex.d.settings[section][name] = val
    ex.d.write_config()
    before = ex.d.log_text().count("config: reloaded")
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ex.d.log_text().count("config: reloaded") == before + 1, what="reload")


def test_who_may_read(ex):
    # Forwarded by a peer not in trusted_proxies: not this machine.
    status, _, raw = scrape(ex, {"X-Forwarded-For": "127.0.0.1"})
    assert status == 401, raw
    try:
        reload_with(ex, **{"server.trusted_proxies": "127.0.0.1"})
        far = {"X-Forwarded-For": "203.0.113.7"}
        status, _, raw = scrape(ex, far)
        assert status == 401, raw
        status, _, raw = scrape(ex, dict(far, Authorization=f"Bearer {ex.tokens['stc.baocao']}"))
        assert status == 403 and json.loads(raw)["error"]["code"] == "forbidden_role", raw
        status, _, raw = scrape(ex, dict(far, Authorization=f"Bearer {ex.tokens['quantri']}"))
        assert status == 200 and b"baocao_build_info" in raw, raw
        # The Prometheus server's address, forwarded by the proxy.
        reload_with(ex, **{"server.metrics_allow": "203.0.113.0/24"})
        status, _, raw = scrape(ex, far)
        assert status == 200, raw
        status, _, raw = scrape(ex, {"X-Forwarded-For": "203.0.114.7"})
        assert status == 401, raw
        # This machine itself is no longer in the list.
        status, _, raw = scrape(ex)
        assert status == 401, raw
    finally:
        reload_with(ex, **{"server.trusted_proxies": "", "server.metrics_allow": "127.0.0.1/32"})
    status, _, raw = scrape(ex)
    assert status == 200, raw


def test_connections_counted(ex):
    before = samples(scrape(ex)[2].decode())
    reload_with(ex, **{"server.max_connections_per_address": "2"})
    held = []
    try:
        for _ in range(4):
            held.append(socket.create_connection(("127.0.0.1", ex.d.port), timeout=10,
                                                 source_address=("127.0.0.5", 0)))
        for s in held:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                pass    # refused and closed already

        def seen():
            now = samples(scrape(ex)[2].decode())
            refused = value(now, "baocao_connections_refused_total", cap="per_address") - \
                value(before, "baocao_connections_refused_total", cap="per_address")
            return refused >= 2 and value(now, "baocao_connections_open") >= 3
        wait_for(seen, timeout=10, what="two connections refused, two held and the scrape's")
    finally:
        for s in held:
            s.close()
        reload_with(ex, **{"server.max_connections_per_address": "64"})


def test_database_down_and_back(ex):
    before = samples(scrape(ex)[2].decode())
    ex.pg.stop()
    try:
        status, _, raw = scrape(ex)
        assert status == 200, raw
        check = subprocess.run([PROMTOOL, "check", "metrics"], input=raw, capture_output=True)
        assert check.returncode == 0, (check.stdout, check.stderr, raw)
        down = samples(raw.decode())
        assert value(down, "baocao_ready") == 0, raw
        # What only the database knows is left out rather than made up.
        assert not any(name == "baocao_outbox_messages" for name, _ in down), raw
    finally:
        ex.pg.start()
    wait_for(lambda: ex.d.get("/readyz")[0] == 200, timeout=30, what="readyz 200 again")
    after = samples(scrape(ex)[2].decode())
    assert value(after, "baocao_ready") == 1
    assert value(after, "baocao_db_reconnects_total") > \
        value(before, "baocao_db_reconnects_total"), after


# promtool test rules: series as a scrape would give them, and the alerts expected of them.
RULE_TESTS = """
rule_files: [%(rules)s]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'baocao_job_overdue_seconds{job="cutoff"}'
        values: '0 0 120 240 360 480 600'
      - series: 'baocao_job_overdue_seconds{job="remind"}'
        values: '900x6'
      - series: 'baocao_deliveries_not_arrived'
        values: '0 0 0 1 1 1 1'
      - series: 'baocao_outbox_messages{state="failed"}'
        values: '0 1 1 1 1 1 1 1 1'
      - series: 'baocao_outbox_messages{state="sent"}'
        values: '5x8'
      - series: 'baocao_ready'
        values: '1 0 0 0 0'
      - series: 'baocao_disk_low{dir="spool_dir"}'
        values: '0 1x12'
    alert_rule_test:
      - eval_time: 3m
        alertname: BaocaoCutoffLate
        exp_alerts: []
      - eval_time: 4m
        alertname: BaocaoCutoffLate
        exp_alerts:
          - exp_labels: {severity: critical, job: cutoff}
            exp_annotations:
              summary: "a cut-off has not run five minutes after its time"
      - eval_time: 2m
        alertname: BaocaoDeliveryNotArrived
        exp_alerts: []
      - eval_time: 4m
        alertname: BaocaoDeliveryNotArrived
        exp_alerts:
          - exp_labels: {severity: critical}
            exp_annotations:
              summary: "1 consolidated reports not delivered by the consolidation deadline"
      - eval_time: 4m
        alertname: BaocaoOutboxFailures
        exp_alerts: []
      - eval_time: 7m
        alertname: BaocaoOutboxFailures
        exp_alerts:
          - exp_labels: {severity: warning, state: failed}
            exp_annotations:
              summary: "1 outbox messages failed: see baocaoctl outbox --failed"
      - eval_time: 4m
        alertname: BaocaoNotReady
        exp_alerts:
          - exp_labels: {severity: critical}
            exp_annotations:
              summary: "baocao is not ready: the database does not answer or has no schema"
      - eval_time: 12m
        alertname: BaocaoDiskLow
        exp_alerts:
          - exp_labels: {severity: warning, dir: spool_dir}
            exp_annotations:
              summary: "disk space low under spool_dir (1)"
"""


def test_alert_rules(ex):
    rules = ROOT / "docs" / "alerts.yml"
    check = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True,
                           text=True)
    assert check.returncode == 0, (check.stdout, check.stderr)
    tests = ex.work.path / "alerts_test.yml"
    tests.write_text(RULE_TESTS % {"rules": json.dumps(str(rules))}, encoding="utf-8")
    run = subprocess.run([PROMTOOL, "test", "rules", str(tests)], capture_output=True,
                         text=True)
    assert run.returncode == 0, (run.stdout, run.stderr)


if __name__ == "__main__":
    sys.exit(run_tests([test_format_and_counters, test_throttled_login_is_counted,
                        test_who_may_read, test_connections_counted,
                        test_database_down_and_back, test_alert_rules],
                       setup=setup, teardown=teardown))
