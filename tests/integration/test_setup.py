"""baocaoctl setup against a private PostgreSQL (--pg-admin naming its superuser): role and
database created, conninfo written into the configuration (the rest of the file kept), schema
migrated, the Hà Tĩnh example loaded, the first administrator created and able to log in; a
second run changes nothing."""
import configparser
import json
import os
import re
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOCTL, ROOT, Daemon, Postgres, Workdir, run_tests  # noqa: E402

ROLE = "bc_setup"
COMMENT = "; kept by setup: this comment and the keys around it\n"


class Ctx:
    pass


def setup():
    c = Ctx()
    c.work = Workdir("setup")
    c.pg = Postgres(c.work)
    c.admin_conninfo = c.pg.start()
    c.sock = re.search(r"host=(\S+)", c.admin_conninfo).group(1)
    c.d = Daemon(c.work, "dbname=not-set-yet")
    c.d.conf.write_text(COMMENT + c.d.conf.read_text(encoding="utf-8"), encoding="utf-8")
    os.chmod(c.d.conf, 0o640)
    return c


def teardown(c):
    if c is None:
        return
    try:
        c.d.stop_clean()
    finally:
        c.pg.stop()
        c.work.cleanup()


def setup_run(c, *extra):
    return subprocess.run([BAOCAOCTL, "-c", str(c.d.conf), "setup", "--pg-admin",
                           c.admin_conninfo, "--role", ROLE, "--database", ROLE,
                           "--example", "ha-tinh", *extra],
                          capture_output=True, text=True)


def setup_scalar(c, sql):
    out = subprocess.run(["psql", f"host={c.sock} dbname={ROLE} user={ROLE}", "-X", "-q",
                          "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return out.strip()


def test_first_run_sets_everything_up(c):
    r = setup_run(c)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"created the role {ROLE}" in r.stdout, r.stdout
    assert f"created the database {ROLE}" in r.stdout, r.stdout
    assert c.pg.scalar(f"SELECT pg_get_userbyid(datdba) FROM pg_database "
                       f"WHERE datname = '{ROLE}'") == ROLE
    text = c.d.conf.read_text(encoding="utf-8")
    assert f"conninfo = host={c.sock} dbname={ROLE} user={ROLE}\n" in text, text
    assert text.startswith(COMMENT), text
    assert "dbname=not-set-yet" not in text, text
    assert f"series_file = {c.work.path / 'series.conf'}\n" in text, text
    assert stat.S_IMODE(os.stat(c.d.conf).st_mode) == 0o640
    # each key in its own section, no section twice (strict parsing refuses duplicates)
    parsed = configparser.ConfigParser(strict=True, interpolation=None)
    parsed.read_string(text)
    assert parsed["database"]["conninfo"] == f"host={c.sock} dbname={ROLE} user={ROLE}"
    assert parsed["database"]["reconnect_max"] == "1s"
    assert parsed["server"]["series_file"] == str(c.work.path / "series.conf")
    # migrated: every migration of schema/ applied
    applied = int(setup_scalar(c, "SELECT count(*) FROM schema_migration"))
    assert applied == len(list((ROOT / "schema").glob("[0-9]*.sql"))), applied
    units = (ROOT / "config" / "ha-tinh-units.csv").read_text(encoding="utf-8").splitlines()
    assert int(setup_scalar(c, "SELECT count(*) FROM unit")) == len(units) - 1
    assert int(setup_scalar(c, "SELECT count(*) FROM task")) > 0
    assert setup_scalar(c, "SELECT role FROM account WHERE login = 'quantri'") == "admin"
    m = re.search(r"^password: (\S+)$", r.stdout, re.M)
    assert m, r.stdout
    c.password = m.group(1)
    assert "systemctl enable --now baocaod" in r.stdout


def test_admin_logs_in(c):
    c.d.start()
    status, body = c.d.get_json("/readyz")
    assert status == 200, body
    status, _, raw = c.d.request("POST", "/api/v1/session",
                                 {"login": "quantri", "password": c.password})
    assert status == 201, raw
    assert json.loads(raw)["role"] == "admin", raw


def test_second_run_changes_nothing(c):
    before_conf = c.d.conf.read_bytes()
    query = ("SELECT (SELECT count(*) FROM unit) || ' ' || (SELECT count(*) FROM audit_log) "
             "|| ' ' || (SELECT password_hash FROM account WHERE login = 'quantri')")
    before = setup_scalar(c, query)
    r = setup_run(c)
    assert r.returncode == 0, r.stdout + r.stderr
    for said in (f"role {ROLE} exists", f"database {ROLE} exists", "conninfo is set already",
                 "schema is up to date", "example is not loaded again",
                 "account quantri exists; its password is unchanged"):
        assert said in r.stdout, (said, r.stdout)
    assert "password: " not in r.stdout
    assert c.d.conf.read_bytes() == before_conf
    assert setup_scalar(c, query) == before


def test_failures_say_what_to_correct(c):
    r = subprocess.run([BAOCAOCTL, "-c", str(c.d.conf), "setup", "--pg-admin",
                        f"host={c.work.path}/nowhere dbname=postgres"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "cannot connect with --pg-admin" in r.stderr, r.stderr
    r = subprocess.run([BAOCAOCTL, "-c", str(c.d.conf), "setup", "--role", "other"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "--role needs --pg-admin" in r.stderr, r.stderr
    # a name that would change the connection string or the configuration
    r = setup_run(c, "--database", "x host=elsewhere")
    assert r.returncode == 1 and "lower-case letters" in r.stderr, r.stderr
    # an administrator's unit that does not exist
    r = setup_run(c, "--admin", "quantri2", "--admin-unit", "KHONGCO")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no unit with code 'KHONGCO'" in r.stderr and "--admin-unit" in r.stderr, r.stderr
    if os.geteuid() == 0:
        # a copy that nobody may run, wherever the checkout is
        ctl = c.work.path / "baocaoctl"
        shutil.copyfile(BAOCAOCTL, ctl)
        os.chmod(ctl, 0o755)
        r = subprocess.run(["runuser", "-u", "nobody", "--", str(ctl), "-c", "/dev/null",
                            "setup"], capture_output=True, text=True)
        assert r.returncode == 1 and "must run as root" in r.stderr, r.stderr


def test_root_connects_as_the_daemons_user(c):
    """As root, baocaoctl connects as server.user: with peer authentication (Debian's default
    for local connections) `sudo baocaoctl account list` works as the daemon's own connection
    does, where root itself is refused."""
    if os.geteuid() != 0:
        return
    user = c.d.settings["server"]["user"]
    data = c.work.path / "pg" / "data"
    hba, ident = data / "pg_hba.conf", data / "pg_ident.conf"
    saved = hba.read_bytes(), ident.read_bytes()
    try:
        hba.write_bytes(f"local all {ROLE} peer map=bc\n".encode() + saved[0])
        ident.write_bytes(saved[1] + f"bc {user} {ROLE}\n".encode())
        c.pg.psql("SELECT pg_reload_conf()")
        # root itself is refused by peer authentication
        r = subprocess.run(["psql", f"host={c.sock} dbname={ROLE} user={ROLE}", "-X", "-tAc",
                            "SELECT 1"], capture_output=True, text=True)
        assert r.returncode != 0 and "Peer authentication failed" in r.stderr, r.stderr
        r = subprocess.run([BAOCAOCTL, "-c", str(c.d.conf), "account", "list"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "quantri" in r.stdout, r.stdout
    finally:
        hba.write_bytes(saved[0])
        ident.write_bytes(saved[1])
        c.pg.psql("SELECT pg_reload_conf()")


if __name__ == "__main__":
    sys.exit(run_tests([test_first_run_sets_everything_up, test_admin_logs_in,
                        test_second_run_changes_nothing, test_failures_say_what_to_correct,
                        test_root_connects_as_the_daemons_user],
                       setup, teardown))
