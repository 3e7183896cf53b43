"""Series, periods and deadlines: the Vietnamese calendar, shifts, skipped weeks, overrides."""
import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOCTL, ROOT, Daemon, Postgres, Workdir, run_tests, wait_for  # noqa: E402

SERIES = ROOT / "config" / "series.conf"
CALENDAR = ROOT / "config" / "vn-calendar-2026.csv"
UNITS = ROOT / "config" / "ha-tinh-units.csv"


class Ctx:
    pass


def setup():
    c = Ctx()
    c.work = Workdir("calendar")
    c.pg = Postgres(c.work)
    c.pg.start()
    c.d = Daemon(c.work, c.pg.conninfo, **{"server.series_file": SERIES})
    for args in (["migrate"], ["import", "units", UNITS], ["import", "calendar", CALENDAR]):
        r = c.d.ctl(*args)
        assert r.returncode == 0, r.stderr
    # The daemon's clock says Tuesday of week 18, 2026.
    c.d.start(env={"BAOCAO_FAKE_NOW": "2026-04-28T09:00:00+07:00"})
    return c


def teardown(c):
    if c is None:
        return
    try:
        c.d.stop_clean()
    finally:
        c.pg.stop()
    if os.environ.get("BAOCAO_KEEP_TMP") != "1":
        c.work.cleanup()


def show(c, series, period, ctl=None):
    r = (ctl or c.d.ctl)("period", "show", series, period)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def api(c, series, period):
    return c.d.get_json(f"/api/v1/series/{series}/periods/{period}")


def test_w18_moves_to_wednesday(c):
    p = show(c, "nq57-weekly", "2026-W18")
    assert p["unit_deadline"] == "2026-04-29T11:00:00+07:00", p
    assert p["consolidation_deadline"] == "2026-04-29T15:30:00+07:00", p
    assert p["starts"] == "2026-04-27T00:00:00+07:00" and p["ends"] == "2026-05-04T00:00:00+07:00"
    assert p["state"] == "open" and p["skipped"] is False
    assert p["reason_code"] == "shifted_previous" and "01/05/2026" in p["reason"]
    status, body = api(c, "nq57-weekly", "2026-W18")
    assert status == 200
    assert body == p


def test_w01_moves_into_previous_year(c):
    p = show(c, "nq57-weekly", "2026-W01")
    assert p["unit_deadline"] == "2025-12-31T11:00:00+07:00", p
    assert p["consolidation_deadline"] == "2025-12-31T15:30:00+07:00", p


def test_tet_week_is_skipped(c):
    p = show(c, "nq57-weekly", "2026-W08")
    assert p["skipped"] is True and p["state"] == "skipped", p
    assert p["unit_deadline"] is None and p["consolidation_deadline"] is None
    assert p["reason_code"] == "no_working_day"
    assert "không yêu cầu báo cáo" in p["reason"]
    assert c.pg.scalar("SELECT state FROM period WHERE period_key = '2026-W08'") == "skipped"


def test_week_53_exists(c):
    p = show(c, "nq57-weekly", "2026-W53")
    assert p["starts"] == "2026-12-28T00:00:00+07:00"
    r = c.d.ctl("period", "show", "nq57-weekly", "2027-W53")
    assert r.returncode == 1 and "2027 has 52 ISO weeks" in r.stderr, r.stderr
    status, body = api(c, "nq57-weekly", "2027-W53")
    assert status == 400 and body["error"]["code"] == "invalid_period"
    assert "2026-W47" in body["error"]["message"]


def test_ordinary_week(c):
    p = show(c, "nq57-weekly", "2026-W48")
    assert p["unit_deadline"] == "2026-11-27T11:00:00+07:00"
    assert p["unit_deadline_text"] == "11 giờ 00, thứ Sáu, ngày 27/11/2026"
    assert p["reason"] is None and p["reason_code"] is None


def test_current_period_follows_the_clock(c):
    status, body = api(c, "nq57-weekly", "current")
    assert status == 200, body
    assert body["period"] == "2026-W18"
    status, body = api(c, "ngoai-vu-nq59-yearly", "current")
    assert status == 200 and body["period"] == "2026"
    assert body["unit_deadline"] == "2026-11-04T17:00:00+07:00"
    # 14/11/2026 is a Saturday: the consolidation deadline moves to Friday 13/11.
    assert body["consolidation_deadline"] == "2026-11-13T17:00:00+07:00"


def test_reads_never_create_periods(c):
    rows = c.pg.scalar("SELECT count(*) FROM period")
    # Before the series' first period (first_period = 2026-W01) or after the next one: 404,
    # naming the periods there are, and nothing stored.
    for week in ("1901-W01", "2999-W01", "2031-W10", "2025-W52"):
        status, body = api(c, "nq57-weekly", week)
        assert status == 404 and body["error"]["code"] == "unknown_period", body
        assert "2026-W01" in body["error"]["message"], body
    assert c.pg.scalar("SELECT count(*) FROM period") == rows
    # A week in range that the calendar knows is shown as computed.
    status, body = api(c, "nq57-weekly", "2026-W18")
    assert status == 200 and body["unit_deadline"] == "2026-04-29T11:00:00+07:00", body
    assert c.pg.scalar("SELECT count(*) FROM period") == rows


def test_api_errors(c):
    status, body = api(c, "no-such-series", "2026-W18")
    assert status == 404 and body["error"]["code"] == "unknown_series"
    status, body = api(c, "nq57-weekly", "2026-13")
    assert status == 400
    status, body = api(c, "dot-xuat", "bao-cao-chua-tao")
    assert status == 404 and body["error"]["code"] == "unknown_period"


def test_rule_next(c):
    # Another database of the same cluster, with the weekly series shifting forward.
    subprocess.run(["createdb", "-h", str(c.pg.dir / "run"), "-U", "baocao", "baocao_next"],
                   check=True)
    series = c.work.path / "series-next.conf"
    series.write_text(SERIES.read_text(encoding="utf-8").replace(
        "non_working_day = previous\nconsolidator = SKHCN",
        "non_working_day = next\nconsolidator = SKHCN", 1), encoding="utf-8")
    conf = c.work.path / "next.conf"
    daemon_series = c.d.settings["server"]["series_file"]  # the daemon's copy of SERIES
    conf.write_text(c.d.conf.read_text().replace("dbname=baocao", "dbname=baocao_next")
                    .replace(daemon_series, str(series)), encoding="utf-8")

    def ctl(*args):
        return subprocess.run([BAOCAOCTL, "-c", str(conf), *map(str, args)],
                              capture_output=True, text=True)
    for args in (["migrate"], ["import", "units", UNITS], ["import", "calendar", CALENDAR]):
        r = ctl(*args)
        assert r.returncode == 0, r.stderr
    p = show(c, "nq57-weekly", "2026-W18", ctl=ctl)
    assert p["unit_deadline"] == "2026-05-04T11:00:00+07:00", p
    assert p["reason_code"] == "shifted_next"
    # A week with no working day is skipped whatever the rule.
    assert show(c, "nq57-weekly", "2026-W08", ctl=ctl)["skipped"] is True


def test_override_changes_one_period_and_is_audited(c):
    before46 = show(c, "nq57-weekly", "2026-W46")
    r = c.d.ctl("period", "override", "nq57-weekly", "2026-W47",
                "--unit-deadline", "2026-11-20 16:00",
                "--consolidation-deadline", "2026-11-21T10:00:00+07:00",
                "--note", "Gia hạn do bão số 12")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["unit_deadline"] == "2026-11-20T16:00:00+07:00"
    assert p["consolidation_deadline"] == "2026-11-21T10:00:00+07:00"
    assert p["overridden"] is True and "Gia hạn do bão số 12" in p["reason"]
    assert show(c, "nq57-weekly", "2026-W46") == before46
    assert show(c, "nq57-weekly", "2026-W48")["overridden"] is False
    status, body = api(c, "nq57-weekly", "2026-W47")
    assert status == 200 and body["unit_deadline"] == "2026-11-20T16:00:00+07:00"
    rows = c.pg.psql("SELECT action, object_id, detail->>'old_unit_deadline', "
                     "detail->>'unit_deadline', detail->>'note' FROM audit_log "
                     "WHERE object_type = 'period' ORDER BY id")
    assert rows == [["override", "nq57-weekly/2026-W47", "2026-11-20T11:00:00+07:00",
                     "2026-11-20T16:00:00+07:00", "Gia hạn do bão số 12"]], rows
    # Clearing it brings back the computed deadlines, also audited.
    r = c.d.ctl("period", "override", "nq57-weekly", "2026-W47", "--clear")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["overridden"] is False and p["unit_deadline"] == "2026-11-20T11:00:00+07:00"
    assert c.pg.scalar("SELECT count(*) FROM audit_log WHERE action = 'clear_override'") == "1"


def test_override_gives_a_skipped_week_deadlines(c):
    r = c.d.ctl("period", "override", "nq57-weekly", "2026-W08",
                "--unit-deadline", "2026-02-24 11:00", "--consolidation-deadline", "2026-02-24 15:30")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["skipped"] is False and p["state"] == "open"
    assert p["unit_deadline"] == "2026-02-24T11:00:00+07:00"


def test_override_errors(c):
    r = c.d.ctl("period", "override", "nq57-weekly", "2026-W49",
                "--unit-deadline", "2026-12-04 11:00", "--consolidation-deadline", "2026-12-03 11:00")
    assert r.returncode == 1 and "must not be before" in r.stderr, r.stderr
    r = c.d.ctl("period", "override", "nq57-weekly", "2026-W49",
                "--unit-deadline", "thứ Sáu", "--consolidation-deadline", "2026-12-03 11:00")
    assert r.returncode == 1 and "cannot read the time" in r.stderr
    r = c.d.ctl("period", "override", "nq57-weekly", "2026-W49")
    assert r.returncode == 1 and "usage" in r.stderr
    c.pg.psql("UPDATE period SET state = 'cut_off' WHERE period_key = '2026-W48'")
    r = c.d.ctl("period", "override", "nq57-weekly", "2026-W48",
                "--unit-deadline", "2026-11-27 16:00", "--consolidation-deadline", "2026-11-27 17:00")
    assert r.returncode == 1 and "already cut_off" in r.stderr, r.stderr
    c.pg.psql("UPDATE period SET state = 'open' WHERE period_key = '2026-W48'")
    assert c.pg.scalar("SELECT count(*) FROM audit_log WHERE object_id LIKE '%W49%' "
                       "OR (object_id LIKE '%W48%' AND object_type = 'period')") == "0"


def test_ad_hoc_period_is_created_by_its_deadlines(c):
    r = c.d.ctl("period", "override", "dot-xuat", "bao-cao-5990",
                "--unit-deadline", "2026-05-08 17:00", "--consolidation-deadline", "2026-05-12 17:00",
                "--note", "Văn bản số 5990/UBND-VX")
    assert r.returncode == 0, r.stderr
    status, body = api(c, "dot-xuat", "bao-cao-5990")
    assert status == 200, body
    assert body["unit_deadline"] == "2026-05-08T17:00:00+07:00"
    assert body["starts"] is None and body["title"].startswith("Báo cáo đột xuất")
    r = c.d.ctl("period", "show", "dot-xuat", "current")
    assert r.returncode == 1 and "ad hoc" in r.stderr


def test_new_holiday_moves_an_open_deadline(c):
    assert show(c, "nq57-weekly", "2026-W50")["unit_deadline"] == "2026-12-11T11:00:00+07:00"
    extra = c.work.path / "extra.csv"
    extra.write_text("date,kind,note\n2026-12-11,holiday,ngày nghỉ thử nghiệm\n", encoding="utf-8")
    r = c.d.ctl("import", "calendar", extra)
    assert r.returncode == 0 and "1 added" in r.stdout, r.stdout
    assert show(c, "nq57-weekly", "2026-W50")["unit_deadline"] == "2026-12-10T11:00:00+07:00"
    assert api(c, "nq57-weekly", "2026-W50")[1]["unit_deadline"] == "2026-12-10T11:00:00+07:00"


def test_calendar_import_errors(c):
    before = c.pg.scalar("SELECT count(*) FROM calendar_day")
    bad = c.work.path / "bad-cal.csv"
    bad.write_text("date,kind,note\n2026-12-24,holiday,a\n2026-12-25,vacation,b\n",
                   encoding="utf-8")
    r = c.d.ctl("import", "calendar", bad)
    assert r.returncode == 1 and "line 3" in r.stderr and "nothing was imported" in r.stderr, \
        r.stderr
    assert c.pg.scalar("SELECT count(*) FROM calendar_day") == before
    r = c.d.ctl("calendar", "list", "2026")
    assert r.returncode == 0 and "2026-09-02" in r.stdout


def test_series_errors(c):
    bad = c.work.path / "bad-series.conf"
    bad.write_text("[series x]\ntitle = X\nperiod = weekly\nunit_deadline = 11-05 17:00\n",
                   encoding="utf-8")
    conf = c.work.path / "bad-series-main.conf"
    daemon_series = c.d.settings["server"]["series_file"]  # the test's copy of SERIES
    conf.write_text(c.d.conf.read_text().replace(daemon_series, str(bad)), encoding="utf-8")
    r = subprocess.run([BAOCAOCTL, "-c", str(conf), "series", "sync"], capture_output=True,
                       text=True)
    assert r.returncode == 1
    assert f"{bad}:2: series x:" in r.stderr, r.stderr
    bad.write_text("[series x]\ntitle = X\nperiod = fortnightly\n", encoding="utf-8")
    r = subprocess.run([BAOCAOCTL, "-c", str(conf), "series", "sync"], capture_output=True,
                       text=True)
    assert r.returncode == 1 and f"{bad}:3: invalid period 'fortnightly'" in r.stderr, r.stderr
    # Nothing of the bad file reached the database.
    r = c.d.ctl("series", "list")
    assert r.returncode == 0 and "nq57-weekly" in r.stdout and "\nx " not in r.stdout
    members = c.pg.scalar("SELECT count(*) FROM series_member m JOIN series s ON s.id = m.series_id "
                          "WHERE s.name = 'nq57-weekly'")
    assert members == "87", members  # 88 units but the recipient VPTU
    assert c.pg.scalar("SELECT count(*) FROM series_member m JOIN series s ON s.id = m.series_id "
                       "JOIN unit u ON u.id = m.unit_id WHERE s.name = 'nq57-weekly' "
                       "AND u.code IN ('SKHCN', 'VPTU')") == "1"


def test_daemons_read_series_from_the_database(c):
    status, _ = api(c, "thu-nghiem", "current")
    assert status == 404
    extra = c.work.path / "series-extra.conf"
    extra.write_text(SERIES.read_text(encoding="utf-8") +
                     "\n[series thu-nghiem]\ntitle = Báo cáo thử nghiệm\nperiod = weekly\n"
                     "unit_deadline = fri 16:00\nconsolidation_deadline = fri 17:00\n"
                     "consolidator = SKHCN\nrecipients = VPTU\nunits = STC\n",
                     encoding="utf-8")
    conf = c.work.path / "series-extra-main.conf"
    daemon_series = c.d.settings["server"]["series_file"]  # the test's copy of SERIES
    conf.write_text(c.d.conf.read_text().replace(daemon_series, str(extra)), encoding="utf-8")
    r = subprocess.run([BAOCAOCTL, "-c", str(conf), "series", "sync"], capture_output=True,
                       text=True, env=dict(os.environ, **c.d.run_env))
    assert r.returncode == 0, r.stderr
    assert "Báo cáo thử nghiệm" in c.pg.scalar(
        "SELECT definition FROM series WHERE name = 'thu-nghiem'")
    # The daemon's own series_file never named it: it reads the database (at once on SIGHUP).
    c.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: api(c, "thu-nghiem", "current")[0] == 200, what="the new series")
    body = api(c, "thu-nghiem", "current")[1]
    assert body["unit_deadline"] == "2026-04-29T16:00:00+07:00", body  # Friday 01/05 is a holiday
    assert "read from the database" in c.d.log_text()
    # Synced away again: gone from the daemon too.
    r = c.d.ctl("series", "sync")
    assert r.returncode == 0, r.stderr
    c.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: api(c, "thu-nghiem", "current")[0] == 404, what="the series gone")


TESTS = [
    test_w18_moves_to_wednesday,
    test_w01_moves_into_previous_year,
    test_tet_week_is_skipped,
    test_week_53_exists,
    test_ordinary_week,
    test_current_period_follows_the_clock,
    test_reads_never_create_periods,
    test_api_errors,
    test_rule_next,
    test_override_changes_one_period_and_is_audited,
    test_override_gives_a_skipped_week_deadlines,
    test_override_errors,
    test_ad_hoc_period_is_created_by_its_deadlines,
    test_new_holiday_moves_an_open_deadline,
    test_calendar_import_errors,
    test_series_errors,
    test_daemons_read_series_from_the_database,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
