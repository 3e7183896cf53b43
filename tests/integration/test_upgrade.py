#!/usr/bin/env python3
"""The upgrade from the previous release: v0.1.0 is built from the clone's history (git archive,
meson, ninja; kept under the build folder for the next run), a week is played with it (uploads
with receipts, a review, an approval, the final delivered), then this build migrates the
database and runs on it: every receipt verifies, the final workbook downloads with the same
SHA-256, the reviews, approval and deliveries read as before, and the next week runs."""
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
from harness import ROOT, Daemon, Postgres, Workdir, run_tests, wait_for  # noqa: E402
from intake_util import XLSX, build_workbook, meta_mac  # noqa: E402

# The previous release, and its commit for a clone that lacks the tag.
TAG = "v0.1.0"
TAG_COMMIT = "eda7a3742ea38b4aadcd398e1f647b8404b7f92f"
# Where the previous release's build is kept between runs: under this build's folder.
BUILD_ROOT = Path(harness.BAOCAOD).resolve().parents[1]

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
NEXT = "2026-W51"
BASE = "/api/v1/series/nq57-weekly/periods"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao"}
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
ADMIN = "quantri"
RETURNED = "Đề nghị bổ sung số liệu giải ngân."


def git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)


def release_commit():
    """The commit of TAG, or TAG_COMMIT when the clone has no such tag."""
    r = git("rev-parse", "--verify", "-q", f"{TAG}^{{commit}}")
    commit = r.stdout.strip() if r.returncode == 0 else TAG_COMMIT
    if git("cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        raise AssertionError(f"{TAG} ({TAG_COMMIT}) is not in this clone's history: clone with "
                             "history (not --depth) to run the upgrade test")
    return commit


def build_release():
    """Builds baocaod and baocaoctl of the previous release once; returns its folder, which
    holds src/ (the release's files) and build/."""
    commit = release_commit()
    home = BUILD_ROOT / "upgrade-from" / f"{TAG}-{commit[:12]}"
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = home / "built"
        if stamp.exists() and stamp.read_text() == commit:
            return home
        shutil.rmtree(home, ignore_errors=True)
        (home / "src").mkdir(parents=True)
        archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", commit],
                                   stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(home / "src")], stdin=archive.stdout, check=True)
        archive.stdout.close()
        assert archive.wait() == 0, "git archive failed"
        for cmd in (["meson", "setup", str(home / "build"), str(home / "src"),
                     "-Dbuildtype=debugoptimized", "-Dsanitize=false", "-Dtsan=false"],
                    ["ninja", "-C", str(home / "build"), "daemon/baocaod", "daemon/baocaoctl"]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            assert r.returncode == 0, (cmd, r.stdout[-3000:], r.stderr[-3000:])
        stamp.write_text(commit)
        return home


def config_keys(example):
    """The (section, key) pairs a release's example configuration names."""
    keys, section = set(), None
    for line in example.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"\[(\w+)\]", line):
            section = m.group(1)
        elif m := re.match(r"(\w+)\s*=", line):
            keys.add((section, m.group(1)))
    return keys


class Release(Daemon):
    """baocaod and baocaoctl of the previous release, with its own schema and web pages, and
    only the settings that release knows."""

    def __init__(self, workdir, conninfo, home, **settings):
        self.binaries = (str(home / "build" / "daemon" / "baocaod"),
                         str(home / "build" / "daemon" / "baocaoctl"))
        src = home / "src"
        settings["server.schema_dir"] = copy_as(workdir, src / "schema", "release-schema")
        settings["server.web_dir"] = copy_as(workdir, src / "daemon" / "web", "release-web")
        super().__init__(workdir, conninfo, **settings)
        known = config_keys(src / "config" / "baocaod.conf.example")
        for section, values in self.settings.items():
            for name in [n for n in values if (section, n) not in known]:
                del values[name]
        self.write_config()

    def _as_release(self, call, *args, **kw):
        saved = harness.BAOCAOD, harness.BAOCAOCTL
        harness.BAOCAOD, harness.BAOCAOCTL = self.binaries
        try:
            return call(*args, **kw)
        finally:
            harness.BAOCAOD, harness.BAOCAOCTL = saved

    def start(self, *args, **kw):
        return self._as_release(super().start, *args, **kw)

    def ctl(self, *args, **kw):
        return self._as_release(super().ctl, *args, **kw)


def copy_as(workdir, src, name):
    """Copies a folder into the work folder under another name, readable by everyone."""
    dst = workdir.path / name
    shutil.copytree(src, dst)
    for f in [dst, *dst.rglob("*")]:
        os.chmod(f, 0o755 if f.is_dir() else 0o644)
    return dst


class Ctx:
    pass


def setup():
    c = Ctx()
    c.home = build_release()
    c.work = Workdir("upgrade")
    c.pg = Postgres(c.work)
    c.d = None
    try:
        c.pg.start()
        src = c.home / "src" / "config"
        c.settings = {"server.series_file": c.work.copy(src / "series.conf"),
                      "server.uploads_per_minute": "1000",
                      "testing.clock_control": "true",
                      "report.delivery_dir": c.work.path / "delivered"}
        c.d = Release(c.work, c.pg.conninfo, c.home, **c.settings)
        for args in (["migrate"], ["import", "units", src / "ha-tinh-units.csv"],
                     ["import", "calendar", src / "vn-calendar-2026.csv"],
                     ["import", "aliases", src / "unit-aliases.csv"],
                     ["import", "tasks", "nq57-weekly", src / "tasks-nq57-weekly.csv"]):
            r = c.d.ctl(*args)
            assert r.returncode == 0, (args, r.stderr)
        c.d.start(env={"BAOCAO_FAKE_NOW": NOW})
        c.tokens = {}
        for unit, login in REPORTERS.items():
            account(c, login, unit, "reporter")
        account(c, COORDINATOR, "SKHCN", "coordinator")
        account(c, RECIPIENT, "VPTU", "recipient")
        account(c, ADMIN, "SKHCN", "admin")
        c.receipts = []
    except Exception:
        teardown(c)
        raise
    return c


def teardown(c):
    try:
        if c.d is not None:
            c.d.stop_clean()
    finally:
        c.pg.stop()
        if os.environ.get("BAOCAO_KEEP_TMP") != "1":
            c.work.cleanup()


def account(c, login, unit, role):
    r = c.d.ctl("account", "add", "--login", login, "--unit", unit, "--role", role,
                "--email", f"{login}@example.vn")
    assert r.returncode == 0, r.stderr
    r = c.d.ctl("token", "create", "--login", login)
    assert r.returncode == 0, r.stderr
    c.tokens[login] = r.stdout.strip()


def call(c, login, method, path, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {c.tokens[login]}"}
    if content_type:
        headers["Content-Type"] = content_type
    return c.d.request(method, path, body=body, headers=headers)


def call_json(c, login, method, path, body=None, want=200):
    status, _, raw = call(c, login, method, path, body)
    assert status == want, (method, path, status, raw[:500])
    return json.loads(raw)


def set_clock(c, when):
    call_json(c, ADMIN, "PUT", "/api/v1/testing/clock", {"now": when})


def tasks_of(c, unit):
    return [r[0] for r in c.pg.psql(
        "SELECT t.code FROM task t JOIN series s ON s.id = t.series_id "
        "JOIN task_unit tu ON tu.task_id = t.id JOIN unit u ON u.id = tu.unit_id "
        f"WHERE s.name = 'nq57-weekly' AND u.code = '{unit}' AND t.active "
        "ORDER BY tu.role = 'lead' DESC, t.ordinal, t.code")]


def upload(c, unit, period=PERIOD, word="Đang thực hiện"):
    """Uploads a workbook of the unit and keeps its receipt in a file."""
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": word, "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": f"Kết quả của {unit} ({period})"}
            for code in tasks_of(c, unit)]
    key = (c.work.path / "data" / "workbook.key").read_bytes()
    meta = [("unit", unit), ("series", "nq57-weekly"), ("period", period), ("version", 1),
            ("mac", meta_mac(key, unit, "nq57-weekly", period))]
    status, _, raw = call(c, REPORTERS[unit], "PUT", f"{BASE}/{period}/submission",
                          build_workbook(rows, meta=meta), XLSX)
    assert status == 201, raw
    path = c.work.path / f"receipt-{len(c.receipts) + 1}.json"
    path.write_bytes(raw)
    c.receipts.append(path)
    return json.loads(raw)


def job_state(c, kind, period, slot=None):
    rows = c.pg.psql("SELECT j.state, coalesce(j.outcome, '') FROM job_run j "
                     "JOIN period p ON p.id = j.period_id JOIN series s ON s.id = j.series_id "
                     f"WHERE s.name = 'nq57-weekly' AND j.job = '{kind}' "
                     f"AND p.period_key = '{period}'" +
                     (f" AND j.slot = {slot}" if slot is not None else "") + " ORDER BY j.slot")
    return rows


def wait_job(c, kind, period):
    return wait_for(lambda: (r := job_state(c, kind, period)) and
                    all(x[0] in ("done", "failed", "skipped") for x in r) and r,
                    timeout=60, what=f"the {kind} run of {period}")


def unsent(c):
    return int(c.pg.scalar("SELECT count(*) FROM outbox WHERE state IN "
                           "('queued', 'sending', 'deferred', 'unknown')"))


def table_counts(c):
    """Rows in every table of the schema but the list of migrations."""
    tables = [r[0] for r in c.pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = "
                                      "'public' AND tablename <> 'schema_migration' ORDER BY 1")]
    return {t: int(c.pg.scalar(f"SELECT count(*) FROM {t}")) for t in tables}


def readable(c):
    """What the week looks like through the API: the board, each unit's report, the versions
    of the consolidated report, and the bytes of the cut-off draft and the final."""
    seen = {"status": call_json(c, COORDINATOR, "GET", f"{BASE}/{PERIOD}/status"),
            "versions": call_json(c, COORDINATOR, "GET", f"{BASE}/{PERIOD}/consolidated/versions"),
            "assessment": call_json(c, COORDINATOR, "GET", f"{BASE}/{PERIOD}/assessment")}
    for unit, login in REPORTERS.items():
        seen[unit] = call_json(c, login, "GET", f"{BASE}/{PERIOD}/submission")
    for version, login in (("final", RECIPIENT), ("cutoff", COORDINATOR)):
        status, hdrs, raw = call(c, login, "GET", f"{BASE}/{PERIOD}/consolidated?version={version}")
        assert status == 200, (version, raw[:300])
        seen[version] = hashlib.sha256(raw).hexdigest()
        if version == "final":
            assert hdrs["x-content-sha256"] == seen[version], hdrs
    return seen


def same_as_before(before, after, where="answer"):
    """Every field the old release answered is there, the same; new fields may be added."""
    if isinstance(before, dict):
        assert isinstance(after, dict), (where, before, after)
        for k, v in before.items():
            assert k in after, f"{where}.{k} is gone"
            same_as_before(v, after[k], f"{where}.{k}")
    elif isinstance(before, list):
        assert isinstance(after, list) and len(after) == len(before), (where, before, after)
        for i, (b, a) in enumerate(zip(before, after)):
            same_as_before(b, a, f"{where}[{i}]")
    else:
        assert before == after, (where, before, after)


def test_a_week_with_the_previous_release(c):
    upload(c, "STC")
    upload(c, "SNV")
    set_clock(c, "2026-12-11T11:00:05+07:00")
    assert wait_job(c, "cutoff", PERIOD)[0][0] == "done"
    set_clock(c, "2026-12-11T12:00:00+07:00")
    upload(c, "SXD")                                # late
    version = call_json(c, COORDINATOR, "GET", f"{BASE}/{PERIOD}/submission?unit=STC")
    call_json(c, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=STC",
              {"version": version["receipt"]["version"], "decision": "accepted"})
    version = call_json(c, COORDINATOR, "GET", f"{BASE}/{PERIOD}/submission?unit=SNV")
    call_json(c, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=SNV",
              {"version": version["receipt"]["version"], "decision": "returned",
               "comment": RETURNED})
    call_json(c, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment",
              {"text": "Các đơn vị cơ bản hoàn thành nhiệm vụ trong tuần."})
    set_clock(c, "2026-12-11T14:00:00+07:00")
    c.approved = call_json(c, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve", want=201)
    wait_for(lambda: unsent(c) == 0, what="the final delivered")
    c.delivered = sorted(p.name for p in (c.work.path / "delivered").iterdir())
    assert c.delivered == [f"tong-hop-nq57-weekly-{PERIOD}-chinh-thuc-v1.xlsx"], c.delivered
    c.before = readable(c)
    assert c.before["final"] == c.approved["sha256"]
    units = {u["unit"]: u for u in c.before["status"]["units"]}
    assert units["STC"]["review"] == "accepted" and units["SNV"]["state"] == "returned"
    assert units["SXD"]["state"] == "late", units["SXD"]
    c.jobs = c.pg.psql("SELECT id, job, period_id, slot, state, attempt, coalesce(outcome, '') "
                       "FROM job_run ORDER BY id")
    c.outbox = c.pg.psql("SELECT id, dedup_key, state FROM outbox ORDER BY id")
    assert c.d.stop() == 0


def test_this_build_migrates_and_reads_the_week_back(c):
    counts = table_counts(c)
    # baocaoctl migrate of this build, with its own schema folder.
    c.d = Daemon(c.work, c.pg.conninfo, **c.settings)
    r = c.d.ctl("migrate")
    assert r.returncode == 0, r.stderr
    known = sorted(p.name for p in (ROOT / "schema").glob("[0-9][0-9][0-9]_*.sql"))
    recorded = [row[0] for row in c.pg.psql("SELECT name FROM schema_migration ORDER BY version")]
    assert recorded == known, (recorded, known)
    after = table_counts(c)
    assert {t: after[t] for t in counts} == counts, "rows lost or added by the migration"
    c.d.start(env={"BAOCAO_FAKE_NOW": "2026-12-11T14:30:00+07:00"})
    status, ready = c.d.get_json("/readyz")
    assert status == 200 and ready["schema_version"] == int(known[-1][:3]), ready
    same_as_before(c.before, readable(c))
    for path in c.receipts:
        r = c.d.ctl("receipt", "verify", path)
        assert r.returncode == 0 and r.stdout.startswith("valid:"), (path, r.stdout, r.stderr)
    # What ran and what was sent stays as it was, and nothing is sent again.
    jobs = {row[0]: row for row in c.pg.psql(
        "SELECT id, job, period_id, slot, state, attempt, coalesce(outcome, '') FROM job_run")}
    for row in c.jobs:
        if row[4] in ("done", "skipped", "failed"):
            assert jobs[row[0]] == row, (row, jobs.get(row[0]))
    outbox = {row[0]: row for row in c.pg.psql("SELECT id, dedup_key, state FROM outbox")}
    for row in c.outbox:
        assert outbox[row[0]] == row, (row, outbox.get(row[0]))
    assert sorted(p.name for p in (c.work.path / "delivered").iterdir()) == c.delivered


def test_the_next_week_runs(c):
    # The automatic delivery of the approved week finds the approval and sends nothing.
    set_clock(c, "2026-12-11T15:15:05+07:00")
    state, outcome = wait_job(c, "deliver", PERIOD)[0]
    assert state == "done" and "approved before" in outcome, (state, outcome)
    set_clock(c, "2026-12-14T08:00:00+07:00")
    assert wait_job(c, "open", NEXT)[0][0] == "done"
    receipt = upload(c, "STC", period=NEXT)
    assert receipt["on_time"] is True, receipt
    r = c.d.ctl("receipt", "verify", c.receipts[-1])
    assert r.returncode == 0 and r.stdout.startswith("valid:"), (r.stdout, r.stderr)
    # The reminder the day before the deadline (15:00) goes to those who have not reported.
    set_clock(c, "2026-12-17T15:00:05+07:00")
    wait_for(lambda: any(s == "done" for s, _ in job_state(c, "remind", NEXT)),
             what="the reminder of the next week")
    wait_for(lambda: unsent(c) == 0, what="the reminders sent")
    reminded = [r[0] for r in c.pg.psql("SELECT recipient FROM outbox WHERE kind = 'reminder' "
                                        f"AND period = '{NEXT}'")]
    assert reminded and "stc.baocao@example.vn" not in reminded, reminded
    set_clock(c, "2026-12-18T11:00:05+07:00")
    assert wait_job(c, "cutoff", NEXT)[0][0] == "done"
    wait_for(lambda: unsent(c) == 0, what="the draft sent")
    # Nothing of the upgraded week was sent twice.
    keys = [r[0] for r in c.pg.psql("SELECT dedup_key FROM outbox")]
    assert len(keys) == len(set(keys))
    assert c.pg.scalar("SELECT count(*) FROM consolidation c JOIN period p ON p.id = c.period_id "
                       f"WHERE p.period_key = '{PERIOD}' AND c.kind = 'final'") == "1"


if __name__ == "__main__":
    sys.exit(run_tests(
        [test_a_week_with_the_previous_release, test_this_build_migrates_and_reads_the_week_back,
         test_the_next_week_runs],
        setup, teardown))
