#!/usr/bin/env python3
"""Backup and restore with a real PostgreSQL and a real SMTP server (aiosmtpd): a week is
played (uploads with receipts, a reminder, the cut-off, a review, an approval delivering the
final report), backed up, the database dropped and data_dir deleted, restored; then every
receipt verifies, the final report has the same SHA-256, every table has as many rows, and
the next week's reminder and cut-off run without sending anything twice. A damaged file, a
missing manifest or file, an unfinished (.partial) backup, a newer schema and a database that
is not empty are refused; --keep keeps that many backups and nothing else is touched; a backup
of an older schema is migrated forward."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BAOCAOCTL, IS_ROOT, ROOT, free_port, nobody_uid, run_tests,  # noqa: E402
                     wait_for)
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402
from smtp_util import Mailbox  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
NEXT = "2026-W51"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao"}
COORDINATOR = "skhcn.dieuphoi"
RECIPIENT = "vptu.nhan"
BASE = "/api/v1/series/nq57-weekly/periods"
FILES = ["baocaod.conf", "database.dump", "manifest.json", "receipt.key", "workbook.key"]


def setup():
    handler = Mailbox()
    port = free_port()
    ex = Example("backup", NOW, **{"mail.smtp_url": f"smtp://127.0.0.1:{port}",
                                   "testing.clock_control": "true",
                                   "server.workers": "4"})
    ex.handler = handler
    ex.smtp = Controller(handler, hostname="127.0.0.1", port=port)
    ex.receipts = []
    ex.out = ex.work.path / "backups"
    ex.out.mkdir()
    give(ex.out)
    try:
        ex.smtp.start()
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account(COORDINATOR, "SKHCN", "coordinator")
        ex.account(RECIPIENT, "VPTU", "recipient")
        ex.account("quantri", "SKHCN", "admin")
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


def call(ex, login, method, path, body=None):
    return ex.d.request(method, path, body=body,
                        headers={"Authorization": f"Bearer {ex.tokens[login]}"})


def set_clock(ex, when):
    status, _, raw = call(ex, "quantri", "PUT", "/api/v1/testing/clock", {"now": when})
    assert status == 200, raw


def upload(ex, unit, period=PERIOD, note=""):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": f"Kết quả của {unit}{note}"}
            for code, _ in ex.tasks_of(unit)]
    body = build_workbook(rows, meta=meta_for_unit(ex, unit, period))
    status, _, raw = ex.put(REPORTERS[unit], period, body, content_type=XLSX)
    assert status == 201, raw
    ex.receipts.append(json.loads(raw))
    return ex.receipts[-1]


def job_state(ex, kind, period, slot=None):
    where = f" AND j.slot = {slot}" if slot is not None else ""
    return ex.pg.scalar("SELECT j.state FROM job_run j JOIN period p ON p.id = j.period_id "
                        f"WHERE j.job = '{kind}' AND p.period_key = '{period}'{where} AND "
                        "j.series_id = (SELECT id FROM series WHERE name = 'nq57-weekly')")


def unsent(ex):
    return int(ex.pg.scalar("SELECT count(*) FROM outbox WHERE state IN "
                            "('queued', 'sending', 'deferred', 'unknown')"))


def table_counts(ex):
    """Rows of every table of the schema, by table name."""
    tables = [r[0] for r in ex.pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = "
                                       "'public' ORDER BY 1")]
    assert len(tables) > 15, tables
    rows = ex.pg.psql(" UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables))
    return {t: int(n) for t, n in rows}


def final_sha(ex):
    """The final report's SHA-256: as recorded, and of the bytes the recipient downloads."""
    recorded = ex.pg.scalar("SELECT encode(c.sha256, 'hex') FROM consolidation c JOIN period p "
                            f"ON p.id = c.period_id WHERE p.period_key = '{PERIOD}' AND "
                            "c.kind = 'final' AND c.version = 1")
    status, _, raw = call(ex, RECIPIENT, "GET", f"{BASE}/{PERIOD}/consolidated?version=final")
    assert status == 200, raw
    return recorded, hashlib.sha256(raw).hexdigest()


def sent(ex):
    """(recipient, subject) of every mail the SMTP server got, in order."""
    with ex.handler.lock:
        return [(to, str(m["Subject"])) for to, m in ex.handler.messages]


def verify_receipts(ex):
    """Runs baocaoctl receipt verify on every receipt of the week; the failures."""
    bad = []
    for i, receipt in enumerate(ex.receipts):
        path = ex.work.path / f"receipt-{i}.json"
        path.write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
        r = ex.d.ctl("receipt", "verify", path)
        if r.returncode != 0 or not r.stdout.startswith("valid:"):
            bad.append((i, r.stdout, r.stderr))
    return bad


def play_week(ex):
    """Uploads, Thursday's reminder, the cut-off, a late upload, a review returned and
    corrected, an acceptance, the assessment and the approval delivering the final."""
    upload(ex, "STC")
    upload(ex, "SNV")
    wait_for(lambda: job_state(ex, "remind", PERIOD, 0) == "due", what="the reminder planned")
    set_clock(ex, "2026-12-10T15:00:05+07:00")
    wait_for(lambda: job_state(ex, "remind", PERIOD, 0) == "done", what="Thursday's reminder")
    wait_for(lambda: unsent(ex) == 0, what="the reminders sent")
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    wait_for(lambda: job_state(ex, "cutoff", PERIOD) == "done", what="the cut-off")
    set_clock(ex, "2026-12-11T12:00:00+07:00")
    assert upload(ex, "SXD")["on_time"] is False
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=SNV",
                          {"version": 1, "decision": "returned",
                           "comment": "Đề nghị bổ sung số liệu giải ngân."})
    assert status == 200, raw
    assert upload(ex, "SNV", note=", đã bổ sung số liệu")["version"] == 2
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/review?unit=STC",
                          {"version": 1, "decision": "accepted"})
    assert status == 200, raw
    status, _, raw = call(ex, COORDINATOR, "PUT", f"{BASE}/{PERIOD}/assessment",
                          {"text": "Các đơn vị cơ bản hoàn thành nhiệm vụ trong tuần."})
    assert status == 200, raw
    set_clock(ex, "2026-12-11T14:00:00+07:00")
    status, _, raw = call(ex, COORDINATOR, "POST", f"{BASE}/{PERIOD}/approve")
    assert status == 201, raw
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    assert len(ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")) == 1
    assert ex.handler.to("sxd.baocao@example.vn", "Nhắc gửi báo cáo"), sent(ex)
    assert ex.handler.to(f"{COORDINATOR}@example.vn", "Dự thảo báo cáo tổng hợp")


def give(path):
    """Gives a folder and what it holds to the daemon's user, as the package's
    /var/lib/baocao/backups is: baocaoctl started by root does its backups as that user."""
    if IS_ROOT:
        uid = nobody_uid()
        for p in [path, *Path(path).rglob("*")]:
            os.lchown(p, uid, -1)
    return path


def backup(ex, *extra):
    """Runs baocaoctl backup into ex.out; returns (completed process, the new folder)."""
    before = set(os.listdir(ex.out)) if ex.out.exists() else set()
    r = ex.d.ctl("backup", "--output", ex.out, *extra)
    assert r.returncode == 0, (r.stdout, r.stderr)
    new = [n for n in set(os.listdir(ex.out)) - before if not n.endswith(".partial")]
    assert len(new) == 1, (new, r.stdout)
    return r, ex.out / new[0]


def drop_database(ex):
    admin = ex.pg.conninfo.replace("dbname=baocao", "dbname=postgres")
    for sql in ("DROP DATABASE baocao", "CREATE DATABASE baocao"):
        subprocess.run(["psql", admin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       check=True, capture_output=True, text=True)


def test_a_week_survives_backup_and_restore(ex):
    play_week(ex)
    # Backed up while the daemon runs, as the nightly timer does.
    r, folder = backup(ex)
    ex.folder = folder
    lines = r.stdout.splitlines()
    assert lines[-1].startswith(f"backup done: {folder} (") and " in " in lines[-1], lines
    # The folder and every file in it are for the owner only; the manifest lists them all.
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    if IS_ROOT:     # started by root, made as the daemon's user, who owns the backups
        assert folder.stat().st_uid == nobody_uid(), folder.stat().st_uid
        assert r.stdout.startswith("running as nobody"), r.stdout
    assert sorted(os.listdir(folder)) == FILES, os.listdir(folder)
    for name in FILES:
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["schema_version"] == int(ex.pg.scalar("SELECT max(version) FROM "
                                                          "schema_migration"))
    assert manifest["postgresql_version"].startswith(ex.pg.scalar("SHOW server_version")[:4])
    for f in manifest["files"]:
        data = (folder / f["name"]).read_bytes()
        assert len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"], f
    assert (folder / "receipt.key").read_bytes() == (ex.work.path / "data" /
                                                     "receipt.key").read_bytes()
    # The daemon stopped, the state of the week is taken down.
    ex.d.stop_clean()
    counts = table_counts(ex)
    assert counts["submission"] == 4 and counts["consolidation"] == 2, counts
    mails = sent(ex)
    assert verify_receipts(ex) == []
    # The machine dies: the database and data_dir are gone. Nothing verifies any more.
    drop_database(ex)
    shutil.rmtree(ex.work.path / "data")
    assert len(verify_receipts(ex)) == len(ex.receipts)
    started = time.monotonic()
    r = ex.d.ctl("restore", folder)
    ex.restore_seconds = time.monotonic() - started
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stdout.splitlines()[-1].startswith(f"restore done: {folder}"), r.stdout
    print(f"# {lines[-1]}; restore took {ex.restore_seconds:.1f} s", flush=True)
    # The keys are back, the daemon's user's and its own only; the receipts verify.
    for key in ("receipt.key", "workbook.key"):
        st = (ex.work.path / "data" / key).stat()
        assert stat.S_IMODE(st.st_mode) == 0o600, key
        if IS_ROOT:
            assert st.st_uid == nobody_uid(), (key, st.st_uid)
    assert verify_receipts(ex) == []
    assert table_counts(ex) == counts
    # The daemon runs on the restored data: the final report is the same file.
    ex.d.start(env={"BAOCAO_FAKE_NOW": "2026-12-11T15:20:00+07:00"})
    recorded, downloaded = final_sha(ex)
    delivered = ex.handler.to(f"{RECIPIENT}@example.vn", "Báo cáo tổng hợp")[0]
    atts = list(delivered.iter_attachments())
    assert len(atts) == 1, [a.get_filename() for a in atts]
    assert recorded == downloaded == hashlib.sha256(atts[0].get_content()).hexdigest()
    # Week 50 is not sent again; week 51's reminder and cut-off run once.
    assert job_state(ex, "deliver", PERIOD) in ("done", "due"), job_state(ex, "deliver", PERIOD)
    set_clock(ex, "2026-12-14T09:00:00+07:00")
    upload(ex, "STC", NEXT)
    wait_for(lambda: job_state(ex, "remind", NEXT, 0) == "due", what="week 51's reminder")
    set_clock(ex, "2026-12-17T15:00:05+07:00")
    wait_for(lambda: job_state(ex, "remind", NEXT, 0) == "done", what="week 51's reminder run")
    wait_for(lambda: unsent(ex) == 0, what="week 51's reminders sent")
    set_clock(ex, "2026-12-18T11:00:05+07:00")
    wait_for(lambda: job_state(ex, "cutoff", NEXT) == "done", what="week 51's cut-off")
    wait_for(lambda: unsent(ex) == 0, what="the outbox emptied")
    after = sent(ex)[len(mails):]
    assert after, "nothing sent in week 51"
    repeated = [m for m in after if m in mails]
    assert repeated == [], repeated
    assert len(after) == len(set(after)), after
    assert len([m for m in after if m[0] == "sxd.baocao@example.vn" and
                m[1].startswith("Nhắc gửi báo cáo")]) == 1, after
    assert len([m for m in after if m[0] == f"{COORDINATOR}@example.vn" and
                m[1].startswith("Dự thảo báo cáo tổng hợp")]) == 1, after
    assert [m for m in after if m[0] == "stc.baocao@example.vn" and
            m[1].startswith("Nhắc gửi báo cáo")] == [], after
    assert verify_receipts(ex) == []


def damaged_copy(ex, name):
    """A copy of the backup folder to damage."""
    dst = ex.work.path / name
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(ex.folder, dst)
    return give(dst)


def refused(ex, folder, *words, args=()):
    """Restores folder, which must be refused saying every word; nothing changes."""
    before = ex.pg.scalar("SELECT count(*) FROM submission")
    r = ex.d.ctl("restore", folder, *args)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert ex.pg.scalar("SELECT count(*) FROM submission") == before
    return r


def test_a_damaged_file_is_refused_by_name(ex):
    for name in ("database.dump", "receipt.key", "baocaod.conf"):
        folder = damaged_copy(ex, "damaged")
        data = bytearray((folder / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (folder / name).write_bytes(bytes(data))
        refused(ex, folder, f"{folder}/{name}", "SHA-256", "another backup", args=["--force"])
    folder = damaged_copy(ex, "damaged")
    (folder / "workbook.key").unlink()
    refused(ex, folder, f"{folder}/workbook.key", "missing", args=["--force"])


def test_an_incomplete_backup_is_refused(ex):
    folder = damaged_copy(ex, "no-manifest")
    (folder / "manifest.json").unlink()
    refused(ex, folder, "manifest.json", "incomplete", args=["--force"])
    partial = damaged_copy(ex, ex.folder.name + ".partial")
    refused(ex, partial, ".partial", "did not finish", args=["--force"])


def test_a_newer_schema_is_refused(ex):
    folder = damaged_copy(ex, "newer")
    manifest = json.loads((folder / "manifest.json").read_text())
    known = manifest["schema_version"]
    manifest["schema_version"] = known + 1
    manifest["baocao_version"] = "9.9.0"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    refused(ex, folder, f"version {known + 1}", f"up to {known}", "install baocao 9.9.0",
            args=["--force"])


def test_a_database_not_empty_needs_force(ex):
    # Not while a daemon uses the database, even with --force.
    refused(ex, ex.folder, "stop every baocaod", args=["--force"])
    ex.d.stop_clean()
    refused(ex, ex.folder, "not empty", "--force")
    # A key of data_dir that is not the backup's is not replaced without --force.
    key = ex.work.path / "data" / "workbook.key"
    key.write_bytes(b"x" * 32)
    refused(ex, ex.folder, str(key), "--force")
    counts_before = table_counts(ex)
    r = ex.d.ctl("restore", ex.folder, "--force")
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert key.read_bytes() == (ex.folder / "workbook.key").read_bytes()
    aside = [n for n in os.listdir(key.parent) if n.startswith("workbook.key.replaced-")]
    assert len(aside) == 1 and (key.parent / aside[0]).read_bytes() == b"x" * 32, aside
    # What week 51 added is gone: the database is the backup's again.
    counts = table_counts(ex)
    assert counts["submission"] == 4 < counts_before["submission"], counts
    assert verify_receipts(ex) == []
    # The backup's configuration is written only where asked, never over a file.
    (ex.work.path / "restored").mkdir()
    target = give(ex.work.path / "restored") / "restored.conf"
    r = ex.d.ctl("restore", ex.folder, "--force", "--config-to", target)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert target.read_bytes() == (ex.folder / "baocaod.conf").read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    r = ex.d.ctl("restore", ex.folder, "--force", "--config-to", target)
    assert r.returncode != 0 and str(target) in r.stderr, r.stderr


def test_keep_removes_only_old_complete_backups(ex):
    ex.out = ex.work.path / "kept"
    ex.out.mkdir()
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        shutil.copytree(ex.folder, ex.out / f"baocao-{stamp}")
    (ex.out / "baocao-20200104T000000Z").mkdir()            # no manifest: not ours to judge
    (ex.out / "baocao-keepme").mkdir()                      # not a backup's name
    (ex.out / "baocao-20200105T000000Z").write_text("x")    # a file, not a folder
    old = ex.out / "baocao-20200106T000000Z.partial"        # left by a crash two days ago
    old.mkdir()
    (old / "database.dump").write_bytes(b"half")
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    (ex.out / "baocao-20200107T000000Z.partial").mkdir()    # maybe another backup running
    give(ex.out)
    r, new = backup(ex, "--keep", "2")
    assert f"removed {ex.out}/baocao-20200101T000000Z" in r.stdout, r.stdout
    assert sorted(os.listdir(ex.out)) == sorted([
        "baocao-20200103T000000Z", new.name, "baocao-20200104T000000Z", "baocao-keepme",
        "baocao-20200105T000000Z", "baocao-20200107T000000Z.partial"]), os.listdir(ex.out)
    r = ex.d.ctl("backup", "--output", ex.out, "--keep", "0")
    assert r.returncode == 1 and "--keep" in r.stderr, r.stderr
    # A folder that cannot be made is refused with what to do, leaving nothing behind.
    r = ex.d.ctl("backup", "--output", ex.out / "baocao-20200105T000000Z" / "sub")
    assert r.returncode == 1 and "--output" in r.stderr, r.stderr


def test_an_older_schema_is_migrated_forward(ex):
    # A backup of a database one migration behind, restored by this baocao into an empty one.
    old_schema = ex.work.path / "schema-old"
    old_schema.mkdir()
    newest = sorted((ROOT / "schema").glob("[0-9][0-9][0-9]_*.sql"))
    for f in newest[:-1]:
        shutil.copy(f, old_schema / f.name)
    admin = ex.pg.conninfo.replace("dbname=baocao", "dbname=postgres")

    def ctl(name, schema, *args):
        subprocess.run(["psql", admin, "-X", "-q", "-c", f"CREATE DATABASE {name}"],
                       check=True, capture_output=True)
        conf = ex.work.path / f"{name}.conf"
        conninfo = ex.pg.conninfo.replace("dbname=baocao", f"dbname={name}")
        conf.write_text(f"[server]\ndata_dir = {ex.work.path / name}\nschema_dir = {schema}\n"
                        f"[database]\nconninfo = {conninfo}\n")
        return subprocess.run([BAOCAOCTL, "-c", conf, *args], capture_output=True, text=True)

    r = ctl("baocao_old", old_schema, "migrate")
    assert r.returncode == 0, r.stderr
    out = ex.work.path / "old-backups"
    r = subprocess.run([BAOCAOCTL, "-c", ex.work.path / "baocao_old.conf", "backup", "--output",
                        out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    folder = next(out.iterdir())
    assert json.loads((folder / "manifest.json").read_text())["schema_version"] == \
        int(newest[-2].name[:3])
    r = ctl("baocao_new", ROOT / "schema", "restore", folder)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert f"applying {newest[-1].name}" in r.stdout and "1 migration applied" in r.stdout, r.stdout
    newdb = ex.pg.conninfo.replace("dbname=baocao", "dbname=baocao_new")
    got = subprocess.run(["psql", newdb, "-X", "-tA", "-c", "SELECT max(version) FROM "
                          "schema_migration"], check=True, capture_output=True, text=True)
    assert int(got.stdout) == int(newest[-1].name[:3]), got.stdout


TESTS = [
    test_a_week_survives_backup_and_restore,
    test_a_damaged_file_is_refused_by_name,
    test_an_incomplete_backup_is_refused,
    test_a_newer_schema_is_refused,
    test_a_database_not_empty_needs_force,
    test_keep_removes_only_old_complete_backups,
    test_an_older_schema_is_migrated_forward,
]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, setup, teardown))
