#!/usr/bin/env python3
"""Reminders through a week, with the test clock and a real SMTP server (aiosmtpd): Thursday's
reminder reaches exactly the units without a report, each address once; a unit that then
reports gets no Friday reminder; moving the clock back and forth sends nothing twice; a
coordinator's reminder by hand, and again within ten minutes."""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, Workdir, free_port, run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import Mailbox  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; the deadline is Friday 11/12 11:00
PERIOD = "2026-W50"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao"}


class Handler(Mailbox):
    """Keeps every message it is given; tells the reminders apart."""

    def reminders(self, address):
        """The reminders (not the receipts) an address got."""
        return [m for m in self.to(address) if m["Subject"].startswith("Nhắc gửi báo cáo")]


def setup():
    handler = Handler()
    port = free_port()
    ex = Example("remind", NOW, **{"mail.smtp_url": f"smtp://127.0.0.1:{port}",
                                   "testing.clock_control": "true"})
    ex.handler = handler
    ex.smtp = Controller(handler, hostname="127.0.0.1", port=port)
    try:
        ex.smtp.start()
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account("skhcn.dieuphoi", "SKHCN", "coordinator")
        ex.account("quantri", "SKHCN", "admin")
        # Sở Xây dựng's contact, and its head, copied once it has missed two deadlines.
        units = ex.work.path / "sxd.csv"
        units.write_text("code,name,group,emails\nSXD,Sở Xây dựng,so-nganh,"
                         "vanthu@sxd.example.vn; head:giamdoc@sxd.example.vn\n",
                         encoding="utf-8")
        r = ex.d.ctl("import", "units", units)
        assert r.returncode == 0, r.stderr
    except Exception:
        teardown(ex)
        raise
    return ex


def teardown(ex):
    if ex is None:
        return
    try:
        ex.smtp.stop()
    finally:
        ex.close()


def upload(ex, unit):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40}
            for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))
    status, _, raw = ex.put(REPORTERS[unit], PERIOD, body, content_type=XLSX)
    assert status == 201, raw


def set_clock(ex, when):
    status, _, raw = ex.d.request("PUT", "/api/v1/testing/clock",
                                  body=json.dumps({"now": when}).encode(),
                                  headers={"Authorization": f"Bearer {ex.tokens['quantri']}",
                                           "Content-Type": "application/json"})
    assert status == 200, raw


def run_state(ex, slot):
    return ex.pg.scalar("SELECT j.state FROM job_run j JOIN period p ON p.id = j.period_id "
                        f"WHERE j.job = 'remind' AND p.period_key = '{PERIOD}' AND j.slot = {slot} "
                        "AND j.series_id = (SELECT id FROM series WHERE name = 'nq57-weekly')")


def unsent(ex):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE state IN "
                            "('queued', 'sending', 'deferred')"))


def test_thursday_reaches_exactly_the_units_missing(ex):
    upload(ex, "STC")
    wait_for(lambda: run_state(ex, 0) == "due", what="the Thursday reminder planned")
    due = ex.pg.scalar("SELECT to_char(j.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', "
                       "'YYYY-MM-DD HH24:MI') FROM job_run j JOIN period p ON p.id = j.period_id "
                       f"WHERE j.job = 'remind' AND p.period_key = '{PERIOD}' AND j.slot = 0 "
                       "AND j.series_id = (SELECT id FROM series WHERE name = 'nq57-weekly')")
    assert due == "2026-12-10 15:00", due      # the day before the deadline, at 15:00
    set_clock(ex, "2026-12-10T14:59:50+07:00")
    assert run_state(ex, 0) == "due"
    set_clock(ex, "2026-12-10T15:00:05+07:00")
    wait_for(lambda: run_state(ex, 0) == "done", what="the Thursday reminder run")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    # Sở Nội vụ and Sở Xây dựng have not reported: their reporters are reminded, once each.
    for login in ("snv.baocao", "sxd.baocao"):
        got = ex.handler.reminders(f"{login}@example.vn")
        assert len(got) == 1, (login, len(got))
        assert got[0]["Subject"].startswith("Nhắc gửi báo cáo:"), got[0]["Subject"]
        text = got[0].get_body(preferencelist=("plain",)).get_content()
        assert "11 giờ 00, thứ Sáu, ngày 11/12/2026" in text, text
        assert f"/periods/{PERIOD}/template" in text, text
    # Sở Xây dựng's contact too; and its head, since it missed weeks 48 and 49.
    assert len(ex.handler.reminders("vanthu@sxd.example.vn")) == 1
    assert len(ex.handler.reminders("giamdoc@sxd.example.vn")) == 1
    # Sở Tài chính has: nothing for it.
    assert ex.handler.reminders("stc.baocao@example.vn") == []
    # The coordinator's digest names the missing units, not the one that reported.
    digest = [m for m in ex.handler.to("skhcn.dieuphoi@example.vn")
              if m["Subject"].startswith("Đơn vị chưa gửi")]
    assert len(digest) == 1
    body = digest[0].get_body(preferencelist=("plain",)).get_content()
    assert "Sở Nội vụ (SNV)" in body and "Sở Xây dựng (SXD)" in body and "(STC)" not in body
    outcome = ex.pg.scalar("SELECT outcome FROM job_run WHERE job = 'remind' AND slot = 0 "
                           "AND state = 'done' ORDER BY id LIMIT 1")
    assert "units missing" in outcome and "messages queued" in outcome, outcome


def test_a_unit_that_reports_gets_no_friday_reminder(ex):
    upload(ex, "SNV")
    set_clock(ex, "2026-12-11T08:30:05+07:00")
    wait_for(lambda: run_state(ex, 1) == "done", what="the Friday reminder run")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    assert len(ex.handler.reminders("snv.baocao@example.vn")) == 1  # Thursday's only
    assert len(ex.handler.reminders("sxd.baocao@example.vn")) == 2  # Thursday and Friday


def test_the_clock_back_and_forth_sends_nothing_twice(ex):
    before = ex.handler.count()
    runs = ex.pg.scalar("SELECT count(*) FROM job_run WHERE job = 'remind'")
    set_clock(ex, "2026-12-10T14:00:00+07:00")
    set_clock(ex, "2026-12-11T08:31:00+07:00")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    assert ex.handler.count() == before
    assert ex.pg.scalar("SELECT count(*) FROM job_run WHERE job = 'remind'") == runs
    assert ex.pg.scalar("SELECT max(attempt) FROM job_run WHERE job = 'remind'") == "1"


def test_remind_by_hand(ex):
    path = f"/api/v1/series/nq57-weekly/periods/{PERIOD}/remind"
    headers = {"Authorization": f"Bearer {ex.tokens['skhcn.dieuphoi']}"}
    status, _, raw = ex.d.request("POST", path, headers=headers)
    assert status == 200, raw
    first = json.loads(raw)
    assert first["queued_now"] is True and first["messages"] >= 2, first
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    assert len(ex.handler.reminders("sxd.baocao@example.vn")) == 3
    assert len(ex.handler.reminders("snv.baocao@example.vn")) == 1  # reported: not again
    # Again within ten minutes: nothing new.
    status, _, raw = ex.d.request("POST", path, headers=headers)
    second = json.loads(raw)
    assert status == 200 and second["queued_now"] is False and second["messages"] == 0, second
    status, _, raw = ex.d.request("POST", path,
                                  headers={"Authorization": f"Bearer {ex.tokens['sxd.baocao']}"})
    assert status == 403, raw


def test_after_the_deadline(ex):
    # Past Friday 11:00: the 10:30 reminder, never run, is skipped (its deadline has passed);
    # the units still missing get one late notice.
    set_clock(ex, "2026-12-11T11:01:30+07:00")
    wait_for(lambda: run_state(ex, 2) == "skipped", what="the 10:30 reminder skipped")
    late = lambda: ex.pg.scalar(  # noqa: E731
        "SELECT j.state FROM job_run j JOIN period p ON p.id = j.period_id "
        f"WHERE j.job = 'late_notice' AND p.period_key = '{PERIOD}' AND j.series_id = "
        "(SELECT id FROM series WHERE name = 'nq57-weekly')")
    wait_for(lambda: late() == "done", what="the late notice")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    notices = [m for m in ex.handler.to("sxd.baocao@example.vn")
               if m["Subject"].startswith("Quá hạn gửi báo cáo")]
    assert len(notices) == 1, notices
    text = notices[0].get_body(preferencelist=("plain",)).get_content()
    assert "gửi muộn" in text and "(đã qua)" in text, text
    for login in ("stc.baocao", "snv.baocao"):
        assert not [m for m in ex.handler.to(f"{login}@example.vn")
                    if m["Subject"].startswith("Quá hạn")], login


def remind_runs(ex, period):
    return ex.pg.psql("SELECT j.slot, j.state, j.late, j.attempt FROM job_run j "
                      "JOIN period p ON p.id = j.period_id WHERE j.job = 'remind' "
                      f"AND p.period_key = '{period}' AND j.series_id = "
                      "(SELECT id FROM series WHERE name = 'nq57-weekly') ORDER BY j.slot")


def test_daemon_down_across_a_reminder_runs_it_once_late(ex):
    # Down from before Thursday 17/12 15:00 (week 51) until 16:00: the reminder runs once, late.
    ex.d.stop_clean()
    ex.d.start(env={"BAOCAO_FAKE_NOW": "2026-12-17T16:00:00+07:00"})
    wait_for(lambda: remind_runs(ex, "2026-W51")[0][1] == "done", what="the late reminder")
    slot, state, late, attempt = remind_runs(ex, "2026-W51")[0]
    assert late == "t" and attempt == "1", remind_runs(ex, "2026-W51")
    assert [r[1] for r in remind_runs(ex, "2026-W51")[1:]] == ["due", "due"]
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    for login in REPORTERS.values():
        week51 = [m for m in ex.handler.reminders(f"{login}@example.vn")
                  if "Tuần 51" in m["Subject"]]
        assert len(week51) == 1, (login, len(week51))


def test_killed_mid_run_sends_nothing_twice(ex):
    # The Friday 08:30 reminder of week 51 starts, and the daemon is killed at once.
    set_clock(ex, "2026-12-18T08:30:01+07:00")
    ex.d.stop(sig=signal.SIGKILL)
    # Back ten minutes later (past the run's lease): it finishes once, whatever it had done.
    ex.d.start(env={"BAOCAO_FAKE_NOW": "2026-12-18T08:40:00+07:00"})
    wait_for(lambda: remind_runs(ex, "2026-W51")[1][1] == "done", what="the Friday reminder")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    for login in REPORTERS.values():
        week51 = [m for m in ex.handler.reminders(f"{login}@example.vn")
                  if "Tuần 51" in m["Subject"]]
        assert len(week51) == 2, (login, len(week51))     # Thursday's and Friday's, once each
    ids = [m["Message-ID"] for t, m in ex.handler.messages]
    assert len(ids) == len(set(ids)), "a message was sent twice"


def test_two_daemons_send_each_reminder_once(ex):
    # Two daemons on one database reach Thursday 24/12 15:00 (week 52) together.
    ex.d.stop_clean()
    work = Workdir("remind-2")
    other = Daemon(work, ex.pg.conninfo, **{"server.series_file": ex.series_file,
                                            "mail.smtp_url": f"smtp://127.0.0.1:{ex.smtp.port}",
                                            "testing.clock_control": "true",
                                            "server.uploads_per_minute": 1000})
    try:
        before = "2026-12-24T14:59:55+07:00"
        ex.d.start(env={"BAOCAO_FAKE_NOW": before})
        other.start(env={"BAOCAO_FAKE_NOW": before})
        wait_for(lambda: remind_runs(ex, "2026-W52") and
                 remind_runs(ex, "2026-W52")[0][1] == "done", what="the week 52 reminder")
        slot, state, late, attempt = remind_runs(ex, "2026-W52")[0]
        assert attempt == "1", remind_runs(ex, "2026-W52")
        wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
        for login in REPORTERS.values():
            week52 = [m for m in ex.handler.reminders(f"{login}@example.vn")
                      if "Tuần 52" in m["Subject"]]
            assert len(week52) == 1, (login, len(week52))
        logs = ex.d.log_text() + other.log_text()
        assert logs.count("(remind nq57-weekly 2026-W52, attempt 1) done") == 1, logs[-3000:]
    finally:
        try:
            other.stop_clean()
        finally:
            work.cleanup()


if __name__ == "__main__":
    sys.exit(run_tests([test_thursday_reaches_exactly_the_units_missing,
                        test_a_unit_that_reports_gets_no_friday_reminder,
                        test_the_clock_back_and_forth_sends_nothing_twice,
                        test_remind_by_hand,
                        test_after_the_deadline,
                        test_daemon_down_across_a_reminder_runs_it_once_late,
                        test_killed_mid_run_sends_nothing_twice,
                        test_two_daemons_send_each_reminder_once], setup=setup, teardown=teardown))
