#!/usr/bin/env python3
"""A schema migrated by a newer baocao: the daemon refuses to start on it, with or without
migrate_on_start, and baocaoctl migrate refuses it too; each says both versions and what to
do, and nothing in the database changes. Without migrate_on_start, a database that cannot be
reached at start does not keep the daemon from starting."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, Daemon, Postgres, Workdir, run_tests, wait_for  # noqa: E402

# A migration a newer baocao would have; the database records it as applied.
FUTURE = (998, "998_from_a_newer_release.sql")
# A migration this test's schema folder has and the database has not: a migrate that went on
# after the check would create its table.
PENDING = "997_pending_here.sql"


class Ctx:
    pass


def setup():
    c = Ctx()
    c.work = Workdir("schema-newer")
    c.pg = Postgres(c.work)
    c.pg.start()
    try:
        # The daemon's schema folder: the real migrations and one more, not yet applied.
        c.schema = c.work.path / "schema-here"
        shutil.copytree(ROOT / "schema", c.schema)
        c.d = Daemon(c.work, c.pg.conninfo, **{"server.schema_dir": c.schema})
        r = c.d.ctl("migrate")
        assert r.returncode == 0, r.stderr
        (c.schema / PENDING).write_text("CREATE TABLE pending_here (id integer);\n")
        for f in [c.schema, *c.schema.iterdir()]:
            os.chmod(f, 0o755 if f.is_dir() else 0o644)
        c.pg.psql("INSERT INTO schema_migration (version, name, sha256) VALUES "
                  f"({FUTURE[0]}, '{FUTURE[1]}', repeat('0', 64))")
        c.known = max(int(p.name[:3]) for p in (ROOT / "schema").glob("[0-9][0-9][0-9]_*.sql"))
    except Exception:
        teardown(c)
        raise
    return c


def teardown(c):
    try:
        c.pg.stop()
    finally:
        if os.environ.get("BAOCAO_KEEP_TMP") != "1":
            c.work.cleanup()


def database_state(c):
    """What a migration could change: the recorded migrations, the tables and the columns."""
    return (c.pg.psql("SELECT version, name, sha256 FROM schema_migration ORDER BY version"),
            c.pg.psql("SELECT table_name, column_name, data_type FROM information_schema.columns "
                      "WHERE table_schema = 'public' ORDER BY 1, 2"))


def says_what_to_do(text):
    """The refusal names the database's version, the newest this binary knows, and the ways
    out."""
    assert f"{FUTURE[0]:03d} ({FUTURE[1]})" in text, text
    assert "newer than this baocao" in text, text
    assert "997 (997_pending_here.sql)" in text, text
    assert "Install that baocao" in text and "restore a backup" in text, text
    assert "nothing was changed" in text, text


def test_migrate_refuses_a_newer_schema(c):
    before = database_state(c)
    r = c.d.ctl("migrate")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    says_what_to_do(r.stderr)
    assert "applying" not in r.stdout, r.stdout
    assert database_state(c) == before
    assert c.pg.scalar("SELECT to_regclass('pending_here')") in ("", None)


def refuses_to_start(c, settings):
    """Starts the daemon with the settings; it must exit 78 on its own (the status
    baocaod.service does not restart on) and log the refusal."""
    before = database_state(c)
    for key, value in settings.items():
        section, name = key.split(".", 1)
        c.d.settings[section][name] = value
    c.d.write_config()
    start = len(c.d.log_text()) if c.d.logfile.exists() else 0
    c.d.start(wait=False)
    wait_for(lambda: c.d.proc.poll() is not None, timeout=30, what="baocaod to exit")
    rc = c.d.stop()
    assert rc == 78, rc
    log = c.d.log_text()[start:]
    assert "refusing to start" in log, log
    says_what_to_do(log)
    assert "listening on" not in log, log
    assert database_state(c) == before
    assert c.pg.scalar("SELECT to_regclass('pending_here')") in ("", None)


def test_daemon_refuses_a_newer_schema(c):
    refuses_to_start(c, {"database.migrate_on_start": "false"})


def test_daemon_with_migrate_on_start_refuses_a_newer_schema(c):
    refuses_to_start(c, {"database.migrate_on_start": "true"})


def test_the_known_schema_starts_again(c):
    # Without the newer migration's row, the same daemon migrates what is pending and runs.
    c.pg.psql(f"DELETE FROM schema_migration WHERE version = {FUTURE[0]}")
    c.d.start()
    try:
        status, body = c.d.get_json("/readyz")
        assert status == 200 and body["schema_version"] == 997, body
        assert c.pg.scalar("SELECT to_regclass('pending_here')") == "pending_here"
        assert c.known < 997
    finally:
        c.d.stop_clean()


def test_starts_without_the_database(c):
    # Without migrate_on_start, an unreachable database is not a reason not to start: the
    # check is left (a warning says so) and the daemon waits for the database.
    c.d.settings["database"]["migrate_on_start"] = "false"
    c.d.write_config()
    c.pg.stop()
    try:
        start = len(c.d.log_text())
        c.d.start()
        assert "cannot check the schema's version now" in c.d.log_text()[start:]
        status, body = c.d.get_json("/readyz")
        assert status == 503 and body["error"]["code"] == "database_unavailable", body
        c.d.stop_clean()
    finally:
        c.pg.start()


if __name__ == "__main__":
    sys.exit(run_tests(
        [test_migrate_refuses_a_newer_schema, test_daemon_refuses_a_newer_schema,
         test_daemon_with_migrate_on_start_refuses_a_newer_schema,
         test_the_known_schema_starts_again, test_starts_without_the_database],
        setup, teardown))
