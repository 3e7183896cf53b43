#!/usr/bin/env python3
"""The test clock: an administrator moves the daemon's clock when [testing] clock_control is on."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests, wait_for  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-12-02T09:00:00+07:00"   # Wednesday of week 49


def setup():
    ex = Example("clock", NOW, **{"testing.clock_control": "true"})
    ex.account("quantri", "SKHCN", "admin")
    ex.account("stc.baocao", "STC", "reporter")
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def put_clock(ex, login, body):
    headers = {"Content-Type": "application/json"}
    if login:
        headers["Authorization"] = f"Bearer {ex.tokens[login]}"
    return ex.d.request("PUT", "/api/v1/testing/clock", body=body, headers=headers)


def test_a_test_installation_says_so(ex):
    assert "clock_control is on" in ex.d.log_text()
    status, body = ex.d.get_json("/readyz")
    assert status == 200 and "clock_control" in body["warning"], body
    assert body["now"].startswith("2026-12-02T09:0"), body


def test_only_an_administrator_moves_it(ex):
    when = json.dumps({"now": "2026-12-10T14:59:50+07:00"}).encode()
    assert put_clock(ex, None, when)[0] == 401
    status, _, raw = put_clock(ex, "stc.baocao", when)
    assert status == 403 and json.loads(raw)["error"]["code"] == "forbidden_role", raw
    status, _, raw = put_clock(ex, "quantri", b'{"now":"thu nam"}')
    assert status == 400 and json.loads(raw)["error"]["code"] == "bad_clock_request", raw


def test_the_clock_jumps_and_runs_on(ex):
    status, body = ex.d.get_json("/api/v1/series/nq57-weekly/periods/current")
    assert body["period"] == "2026-W49", body
    assert ex.pg.scalar("SELECT count(*) FROM period WHERE period_key = '2026-W51'") == "0"
    status, _, raw = put_clock(ex, "quantri",
                               json.dumps({"now": "2026-12-10T14:59:50+07:00"}).encode())
    assert status == 200, raw
    answer = json.loads(raw)
    assert answer["now"] == "2026-12-10T14:59:50+07:00", answer
    assert answer["was"].startswith("2026-12-02T09:"), answer
    status, body = ex.d.get_json("/api/v1/series/nq57-weekly/periods/current")
    assert body["period"] == "2026-W50", body
    assert ex.d.get_json("/readyz")[1]["now"] >= "2026-12-10T14:59:50+07:00"
    assert "quantri moved the clock from" in ex.d.log_text()
    # The system follows at once: the new week's next one is created.
    wait_for(lambda: ex.pg.scalar("SELECT count(*) FROM period "
                                  "WHERE period_key = '2026-W51'") == "1",
             what="the period after the new current one")


if __name__ == "__main__":
    sys.exit(run_tests([test_a_test_installation_says_so, test_only_an_administrator_moves_it,
                        test_the_clock_jumps_and_runs_on], setup=setup, teardown=teardown))
