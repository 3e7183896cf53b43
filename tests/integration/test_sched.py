#!/usr/bin/env python3
"""The job scheduler: the open job of each period runs once, on time or late, across restarts,
interrupted runs and two daemons on one database."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, Workdir, run_tests, wait_for  # noqa: E402
from intake_util import Example  # noqa: E402

NOW = "2026-12-02T09:00:00+07:00"   # Wednesday of week 49
SETTINGS = {"testing.clock_control": "true"}


def setup():
    ex = Example("sched", NOW, **SETTINGS)
    ex.account("quantri", "SKHCN", "admin")
    ex.others = []
    return ex


def teardown(ex):
    if ex is None:
        return
    try:
        for d, work in ex.others:
            try:
                d.stop_clean()
            finally:
                work.cleanup()
    finally:
        ex.close()


def move_clock(ex, when):
    status, _, raw = ex.d.request(
        "PUT", "/api/v1/testing/clock", body=json.dumps({"now": when}).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": f"Bearer {ex.tokens['quantri']}"})
    assert status == 200, raw


def open_run(ex, period):
    """(state, late, attempt, instance, outcome, due, started) of a period's open run."""
    rows = ex.pg.psql(
        "SELECT j.state, j.late, j.attempt, coalesce(j.instance, ''), coalesce(j.outcome, ''), "
        "  extract(epoch FROM j.due_at)::bigint, "
        "  coalesce(extract(epoch FROM j.started_at)::bigint, 0) "
        "FROM job_run j JOIN period p ON p.id = j.period_id JOIN series s ON s.id = j.series_id "
        f"WHERE j.job = 'open' AND s.name = 'nq57-weekly' AND p.period_key = '{period}'")
    assert len(rows) <= 1, rows
    return rows[0] if rows else None


def wait_done(ex, period, attempt="1", timeout=30):
    return wait_for(lambda: (r := open_run(ex, period)) and r[0] == "done" and r[2] == attempt
                    and r, timeout=timeout, what=f"the open run of {period} done")


def period_exists(ex, period):
    return ex.pg.scalar("SELECT count(*) FROM period p JOIN series s ON s.id = p.series_id "
                        f"WHERE s.name = 'nq57-weekly' AND p.period_key = '{period}'") == "1"


def test_the_current_and_next_periods_are_planned(ex):
    wait_for(lambda: open_run(ex, "2026-W50"), what="the open run of the next period")
    state, late, attempt, *_ = open_run(ex, "2026-W50")
    assert (state, late, attempt) == ("due", "f", "0")
    # The current week began before the daemon ever ran: its open runs late, once.
    state, late, attempt, *_ = wait_done(ex, "2026-W49")
    assert late == "t" and "is late" in ex.d.log_text()


def test_open_runs_on_time_at_monday_midnight(ex):
    move_clock(ex, "2026-12-06T23:59:57+07:00")
    state, late, attempt, instance, outcome, due, started = wait_done(ex, "2026-W50")
    assert late == "f" and attempt == "1", (late, attempt)
    assert 0 <= int(started) - int(due) < 60, (due, started)
    assert re.fullmatch(r"\d+ periods? created; who must report fixed", outcome), outcome
    assert instance.endswith(f":{ex.d.proc.pid}"), instance
    wait_for(lambda: period_exists(ex, "2026-W51"), what="the period after the new one")
    r = ex.d.ctl("jobs", "nq57-weekly")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "JOB", "SERIES", "PERIOD"], lines[0]
    w50 = [line for line in lines if "2026-W50" in line and " open " in line]
    assert len(w50) == 1 and " open " in w50[0] and " done " in w50[0], r.stdout
    assert lines[0].index("STATE") == w50[0].index("done"), r.stdout  # aligned columns
    r = ex.d.ctl("jobs", "nq57-weekly", "2026-W49")
    w49 = r.stdout.splitlines()[1:]
    assert r.returncode == 0 and w49 and all("2026-W49" in line for line in w49), r.stdout
    assert len([line for line in w49 if " open " in line]) == 1, r.stdout
    r = ex.d.ctl("jobs", "no-such-series")
    assert r.returncode == 1 and "no series" in r.stderr, r.stderr


def test_moving_the_clock_back_and_forth_runs_nothing_twice(ex):
    move_clock(ex, "2026-12-06T23:00:00+07:00")
    move_clock(ex, "2026-12-07T00:00:30+07:00")
    # A run left with an expired lease (its daemon died) is interrupted, then run again.
    ex.pg.psql("UPDATE job_run SET state = 'running', locked_by = 'gone:1', instance = 'gone:1', "
               "lease_until = '2026-12-01T00:00:00+07', finished_at = NULL "
               "WHERE job = 'open' AND period_id = (SELECT id FROM period "
               "WHERE period_key = '2026-W50')")
    move_clock(ex, "2026-12-07T00:01:00+07:00")
    state, late, attempt, instance, *_ = wait_done(ex, "2026-W50", attempt="2")
    assert instance.endswith(f":{ex.d.proc.pid}"), instance
    assert "lease expired: the daemon that ran it stopped" in ex.d.log_text()
    # Every other run ran once.
    rows = ex.pg.psql("SELECT j.job, p.period_key, j.attempt FROM job_run j "
                      "JOIN period p ON p.id = j.period_id JOIN series s ON s.id = j.series_id "
                      "WHERE j.state = 'done' AND s.name = 'nq57-weekly'")
    opened = sorted(r[1:] for r in rows if r[0] == "open")
    assert opened == [["2026-W49", "1"], ["2026-W50", "2"]], rows
    # Week 49's cut-off, delivery and acknowledgement check, passed by the jump, ran once each.
    assert sorted(r[:2] for r in rows if r[0] != "open") == \
        [["ack_by", "2026-W49"], ["cutoff", "2026-W49"], ["deliver", "2026-W49"]], rows
    assert all(r[2] == "1" for r in rows if r[0] != "open"), rows
    done_lines = re.findall(r"\(open nq57-weekly 2026-W50, attempt \d\) done", ex.d.log_text())
    assert len(done_lines) == 2, done_lines


def test_a_missed_open_runs_once_late_after_a_restart(ex):
    assert open_run(ex, "2026-W51")[0] == "due"
    assert ex.d.stop() == 0
    ex.d.start(env={"BAOCAO_FAKE_NOW": "2026-12-14T08:00:00+07:00"})
    state, late, attempt, instance, *_ = wait_done(ex, "2026-W51")
    assert late == "t" and attempt == "1", (late, attempt)
    assert instance.endswith(f":{ex.d.proc.pid}"), instance
    assert re.search(r"\(open nq57-weekly 2026-W51\) is late: it was due at "
                     r"2026-12-14T00:00:00\+07:00", ex.d.log_text()), ex.d.log_text()[-3000:]
    assert "as expected with a test clock" in ex.d.log_text()


def test_two_daemons_run_each_open_once(ex):
    assert ex.d.stop() == 0
    work = Workdir("sched-2")
    other = Daemon(work, ex.pg.conninfo, **{"server.series_file": ex.series_file}, **SETTINGS)
    ex.others.append((other, work))
    before = "2026-12-20T23:59:58+07:00"
    ex.d.start(env={"BAOCAO_FAKE_NOW": before}, wait=False)
    other.start(env={"BAOCAO_FAKE_NOW": before}, wait=False)
    for d in (ex.d, other):
        wait_for(lambda: d.proc.poll() is None and d.get("/healthz")[0] == 200,
                 what="baocaod /healthz")
    wait_done(ex, "2026-W52")
    wait_for(lambda: period_exists(ex, "2026-W53"), what="the period after 2026-W52")
    rows = ex.pg.psql("SELECT j.job, p.period_key, j.slot, j.attempt, j.state, j.instance, "
                      "  s.name FROM job_run j JOIN period p ON p.id = j.period_id "
                      "JOIN series s ON s.id = j.series_id ORDER BY p.period_key")
    keys = [(r[0], r[6], r[1], r[2]) for r in rows]
    assert len(keys) == len(set(keys)), rows
    assert all(r[3] == "1" for r in rows if r[4] == "done" and r[1] != "2026-W50"), rows
    w52 = [r for r in rows if r[6] == "nq57-weekly" and r[1] == "2026-W52" and r[0] == "open"]
    assert len(w52) == 1 and w52[0][3] == "1", w52
    pids = {f":{ex.d.proc.pid}", f":{other.proc.pid}"}
    assert any(w52[0][5].endswith(p) for p in pids), w52
    logs = ex.d.log_text() + other.log_text()
    assert len(re.findall(r"\(open nq57-weekly 2026-W52, attempt 1\) done", logs)) == 1, logs


def cutoff_due(ex, period):
    return ex.pg.scalar("SELECT to_char(j.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', "
                        "'YYYY-MM-DD HH24:MI') FROM job_run j JOIN period p ON p.id = j.period_id "
                        f"WHERE j.job = 'cutoff' AND p.period_key = '{period}' AND j.series_id = "
                        "(SELECT id FROM series WHERE name = 'nq57-weekly')")


def test_an_override_moves_the_jobs_at_once(ex):
    # baocaoctl announces the change; the daemons plan again at once, not at the next minute.
    assert cutoff_due(ex, "2026-W52") == "2026-12-25 11:00"
    for unit, cons in (("2026-12-24T10:00:00+07:00", "2026-12-24T15:00:00+07:00"),
                       ("2026-12-23T09:00:00+07:00", "2026-12-23T16:00:00+07:00")):
        r = ex.d.ctl("period", "override", "nq57-weekly", "2026-W52", "--unit-deadline", unit,
                     "--consolidation-deadline", cons, "--note", "Thử nghiệm")
        assert r.returncode == 0, r.stderr
        want = unit[:10] + " " + unit[11:16]
        wait_for(lambda: cutoff_due(ex, "2026-W52") == want, timeout=5,
                 what=f"the cut-off moved to {want}")


if __name__ == "__main__":
    sys.exit(run_tests(
        [test_the_current_and_next_periods_are_planned, test_open_runs_on_time_at_monday_midnight,
         test_moving_the_clock_back_and_forth_runs_nothing_twice,
         test_a_missed_open_runs_once_late_after_a_restart, test_two_daemons_run_each_open_once,
         test_an_override_moves_the_jobs_at_once],
        setup=setup, teardown=teardown))
