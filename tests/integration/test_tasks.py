"""The task catalogue: aliases, the 282 appendix from CSV and .xlsx, re-imports, the weekly list."""
import csv
import io
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, Daemon, Postgres, Workdir, run_tests  # noqa: E402

SERIES = ROOT / "config" / "series.conf"
UNITS = ROOT / "config" / "ha-tinh-units.csv"
ALIASES = ROOT / "config" / "unit-aliases.csv"
APPENDIX = ROOT / "config" / "tasks-282-khubnd.csv"
WEEKLY = ROOT / "config" / "tasks-nq57-weekly.csv"
YEARLY = "ngoai-vu-282-yearly"
SO_NGANH = ["SKHCN", "SNV", "STC", "SXD", "SNNMT", "STP", "SNGV", "SGDDT", "SCT", "SVHTTDL",
            "SYT", "TTT", "VPUBND"]


class Ctx:
    pass


def setup():
    c = Ctx()
    c.work = Workdir("tasks")
    c.pg = Postgres(c.work)
    c.pg.start()
    # Only baocaoctl is used: the daemon's configuration without the daemon.
    c.d = Daemon(c.work, c.pg.conninfo, **{"server.series_file": SERIES})
    for args in (["migrate"], ["import", "units", UNITS], ["series", "sync"]):
        r = c.d.ctl(*args)
        assert r.returncode == 0, (args, r.stderr)
    return c


def teardown(c):
    if c is None:
        return
    c.pg.stop()
    if os.environ.get("BAOCAO_KEEP_TMP") != "1":
        c.work.cleanup()


def write(c, name, text):
    p = c.work.path / name
    p.write_text(text, encoding="utf-8")
    return p


def ctl_ok(c, *args):
    r = c.d.ctl(*args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def counts(out):
    """The numbers of "FILE: N tasks: a added, u updated, s unchanged, d deactivated"."""
    m = re.search(r": (\d+) tasks: (\d+) added, (\d+) updated, (\d+) unchanged, "
                  r"(\d+) deactivated$", out.strip())
    assert m, out
    return tuple(int(x) for x in m.groups())


def tasks(c, series=YEARLY, active_only=True):
    """code -> (active, deadline or None, section, title) of a series' tasks."""
    rows = c.pg.psql(
        "SELECT t.code, t.active, coalesce(t.deadline::text, 'none'), t.section, t.title "
        "FROM task t JOIN series s ON s.id = t.series_id "
        f"WHERE s.name = '{series}'" + (" AND t.active" if active_only else ""))
    return {r[0]: (r[1] == "t", None if r[2] == "none" else r[2], r[3], r[4]) for r in rows}


def units_of(c, code, role, series=YEARLY):
    return sorted(r[0] for r in c.pg.psql(
        "SELECT u.code FROM task t JOIN series s ON s.id = t.series_id "
        "JOIN task_unit tu ON tu.task_id = t.id JOIN unit u ON u.id = tu.unit_id "
        f"WHERE s.name = '{series}' AND t.code = '{code}' AND tu.role = '{role}'"))


def snapshot(c):
    """Everything an import may change, to show that a refused one changed nothing."""
    return (c.pg.psql("SELECT series_id, code, ordinal, section, title, lead_text, "
                      "cooperators_text, expected_result, deadline, deadline_text, "
                      "source_document, active, updated_at FROM task ORDER BY id"),
            c.pg.psql("SELECT * FROM task_unit ORDER BY task_id, unit_id"),
            c.pg.psql("SELECT phrase, label, targets, updated_at FROM unit_alias ORDER BY 1"),
            c.pg.scalar("SELECT count(*) FROM audit_log"))


def appendix_rows():
    with open(APPENDIX, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def rows_to_csv(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_aliases_import(c):
    before = snapshot(c)
    bad = write(c, "aliases-bad.csv",
                "phrase,units\n"
                "Các sở mới,SKHCN NOPE\n"
                "Các ban,group:khong-co\n"
                "\"Các sở, ban, ngành\",group:so-nganh\n"
                "\"Các sở , ban, ngành\",group:so-nganh\n"
                "Sở Y tế,SYT\n")
    r = c.d.ctl("import", "aliases", bad)
    assert r.returncode == 1, r.stderr
    for want in ("line 2: the phrase 'Các sở mới': no unit has the code 'NOPE'",
                 "line 3: the phrase 'Các ban': no unit is in group 'khong-co'",
                 "line 5: the phrase 'Các sở , ban, ngành' is the phrase 'Các sở, ban, ngành' already",
                 "line 6: the phrase 'Sở Y tế' is the name of unit SYT",
                 "nothing was imported"):
        assert want in r.stderr, r.stderr
    assert snapshot(c) == before

    n = sum(1 for _ in csv.reader(open(ALIASES, encoding="utf-8"))) - 1
    out = ctl_ok(c, "import", "aliases", ALIASES)
    assert out.strip().endswith(f"{n} aliases: {n} added, 0 updated, 0 unchanged"), out
    out = ctl_ok(c, "import", "aliases", ALIASES)
    assert out.strip().endswith(f"{n} aliases: 0 added, 0 updated, {n} unchanged"), out
    assert c.pg.scalar("SELECT count(*) FROM unit_alias") == str(n)
    row = c.pg.psql("SELECT label, targets FROM unit_alias "
                    "WHERE phrase = 'cac so chuyen nganh ve cac linh vuc: khoa hoc, cong nghe, "
                    "nong nghiep, cong nghiep'")
    assert row == [["Các sở chuyên ngành về các lĩnh vực: khoa học, công nghệ, nông nghiệp, "
                    "công nghiệp", "{SKHCN,SNNMT,SCT}"]], row
    assert c.pg.scalar("SELECT targets FROM unit_alias WHERE phrase = 'ubnd cac phuong, xa'") \
        == "{group:xa-phuong}"
    assert c.pg.scalar("SELECT targets FROM unit_alias WHERE phrase = 'cac so, nganh lien quan'") \
        == "{}"
    assert c.pg.scalar("SELECT count(*) FROM audit_log WHERE object_type = 'unit_alias'") == "2"


def test_unknown_series(c):
    r = c.d.ctl("import", "tasks", "khong-co", APPENDIX)
    assert r.returncode == 1
    assert "unknown series 'khong-co': define it in the series file and run baocaoctl " \
        "series sync" in r.stderr, r.stderr
    r = c.d.ctl("tasks", "list", "khong-co")
    assert r.returncode == 1 and "unknown series 'khong-co'" in r.stderr
    r = c.d.ctl("import", "tasks", YEARLY)
    assert r.returncode == 1 and "usage:" in r.stderr


def test_import_appendix_282(c):
    out = ctl_ok(c, "import", "tasks", YEARLY, APPENDIX, "--source", "282/KH-UBND")
    assert counts(out) == (17, 17, 0, 0, 0), out
    t = tasks(c)
    assert sorted(t) == sorted(["I.1", "I.2", "II.1", "II.2", "II.3"] +
                               [f"III.{i}" for i in range(1, 9)] +
                               [f"IV.{i}" for i in range(1, 5)]), sorted(t)
    # Deadlines: "Năm 2026 và những năm tiếp theo" and "Thường xuyên" have none.
    assert t["I.1"][1] is None and t["I.2"][1] is None and t["IV.4"][1] is None
    assert t["II.1"][1] is None and t["III.8"][1] is None
    assert t["III.3"][1] == "2027-12-31"
    assert sum(1 for v in t.values() if v[1] is not None) == 1
    assert t["III.8"][2].startswith("III. Nâng cao chất lượng, hiệu quả hội nhập quốc tế")
    assert t["II.3"][3].endswith("các ngành khoa học và công nghệ")
    # Lead units.
    assert units_of(c, "I.1", "lead") == ["SCT", "SKHCN", "SNNMT"]
    assert units_of(c, "I.1", "cooperator") == []
    assert units_of(c, "I.2", "lead") == sorted(SO_NGANH)
    assert units_of(c, "I.2", "cooperator") == []
    assert units_of(c, "II.1", "lead") == ["SNGV"]
    assert units_of(c, "III.8", "lead") == ["SNNMT"]
    assert len(units_of(c, "III.8", "cooperator")) == 12 + 69
    assert units_of(c, "III.5", "cooperator") == ["SKHCN"]
    assert units_of(c, "IV.2", "lead") == ["SYT"]
    assert units_of(c, "IV.3", "lead") == ["SGDDT"]
    row = c.pg.psql("SELECT lead_text, cooperators_text, expected_result, deadline_text, "
                    "source_document, ordinal FROM task WHERE code = 'III.3'")
    assert row == [["Sở Khoa học và Công nghệ", "Các sở, ban, ngành cấp tỉnh; UBND các phường, xã",
                    "Các văn bản, quyết định", "Năm 2026-2027", "282/KH-UBND", "8"]], row
    audit = c.pg.psql("SELECT actor, object_id, detail->>'added', detail->>'tasks', "
                      "detail->>'file' FROM audit_log WHERE object_type = 'task'")
    assert len(audit) == 1 and audit[0][1:] == [YEARLY, "17", "17", "tasks-282-khubnd.csv"], audit
    assert audit[0][0].startswith("baocaoctl (")


def test_reimport_changes_nothing(c):
    ids = c.pg.psql("SELECT id, code, updated_at FROM task ORDER BY id")
    links = c.pg.psql("SELECT * FROM task_unit ORDER BY 1, 2")
    out = ctl_ok(c, "import", "tasks", YEARLY, APPENDIX)
    assert counts(out) == (17, 0, 0, 17, 0), out
    assert c.pg.psql("SELECT id, code, updated_at FROM task ORDER BY id") == ids
    assert c.pg.psql("SELECT * FROM task_unit ORDER BY 1, 2") == links
    assert c.pg.scalar("SELECT count(*) FROM task") == "17"
    # Without --source the source document stays.
    assert c.pg.scalar("SELECT count(*) FROM task WHERE source_document = '282/KH-UBND'") == "17"


def test_removed_task_is_deactivated(c):
    rows = [r for r in appendix_rows() if r[0] != "5" or "xúc tiến đầu tư ở nước ngoài" not in r[1]]
    assert len(rows) == len(appendix_rows()) - 1
    edited = write(c, "tasks-282-edited.csv", rows_to_csv(rows))
    task_id = c.pg.scalar("SELECT t.id FROM task t JOIN series s ON s.id = t.series_id "
                          f"WHERE s.name = '{YEARLY}' AND t.code = 'III.5'")
    out = ctl_ok(c, "import", "tasks", YEARLY, edited)
    n, added, updated, unchanged, gone = counts(out)
    assert (n, added, gone) == (16, 0, 1), out
    # The tasks below it moved up one place: their ordinal changed.
    assert unchanged == 9 and updated == 7, out
    assert "III.5" not in tasks(c)
    allt = tasks(c, active_only=False)
    assert allt["III.5"][0] is False and len(allt) == 17
    assert units_of(c, "III.5", "lead") == ["SNGV"]      # its units stay for old reports
    assert "III.5" not in ctl_ok(c, "tasks", "list", YEARLY)
    last = c.pg.psql("SELECT detail->>'deactivated_codes' FROM audit_log "
                     "WHERE object_type = 'task' ORDER BY id DESC LIMIT 1")
    assert last == [['["III.5"]']], last
    # Back in the file, it is active again, under the same id.
    out = ctl_ok(c, "import", "tasks", YEARLY, APPENDIX)
    assert counts(out) == (17, 0, 8, 9, 0), out
    assert len(tasks(c)) == 17 and c.pg.scalar("SELECT count(*) FROM task") == "17"
    assert c.pg.scalar("SELECT t.id FROM task t JOIN series s ON s.id = t.series_id "
                       f"WHERE s.name = '{YEARLY}' AND t.code = 'III.5' AND t.active") == task_id


def test_unknown_unit_changes_nothing(c):
    before = snapshot(c)
    rows = appendix_rows()
    rows[7][2] = "Sở Bí ẩn"                                   # II.3 lead, line 8
    rows[12][3] = "Sở Ngoại vụ và Sở Huyền bí"                # III.4 cooperators, line 13
    rows[13][5] = "Khi nào xong"                              # III.5 deadline, line 14
    bad = write(c, "tasks-282-bad.csv", rows_to_csv(rows))
    r = c.d.ctl("import", "tasks", YEARLY, bad)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "3 problems" in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert lines[1].startswith("  line 8: task II.3: Cơ quan chủ trì: unknown unit 'Sở Bí ẩn' ("), \
        r.stderr
    assert lines[2].startswith("  line 13: task III.4: Cơ quan phối hợp: unknown unit "
                               "'Sở Huyền bí' ("), r.stderr
    assert lines[3].startswith("  line 14: task III.5: Thời gian hoàn thành: unrecognised "
                               "deadline 'Khi nào xong'"), r.stderr
    assert "nothing was imported" in r.stderr
    assert snapshot(c) == before
    # A lead given as a phrase that names no particular unit.
    rows = appendix_rows()
    rows[2][2] = "Các sở, ngành liên quan"
    r = c.d.ctl("import", "tasks", YEARLY, write(c, "tasks-282-bad2.csv", rows_to_csv(rows)))
    assert r.returncode == 1
    assert "line 3: task I.1: Cơ quan chủ trì: 'Các sở, ngành liên quan' names no particular " \
        "unit" in r.stderr, r.stderr
    assert snapshot(c) == before


def write_xlsx(path, rows):
    """Saves the appendix as Excel would hold it: title rows, the header, merged headings."""
    script = r"""
import csv, sys
from openpyxl import Workbook
from openpyxl.styles import Alignment
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
wb = Workbook()
ws = wb.active
ws.title = "Phụ lục"
ws.append(["PHỤ LỤC"])
ws.merge_cells("A1:F1")
ws.append(["DANH MỤC CÁC NHIỆM VỤ HỢP TÁC QUỐC TẾ VỀ KHOA HỌC, CÔNG NGHỆ, ĐỔI MỚI SÁNG TẠO "
           "VÀ CHUYỂN ĐỔI SỐ NĂM 2026 VÀ NHỮNG NĂM TIẾP THEO"])
ws.merge_cells("A2:F2")
ws.append([])
for r in rows:
    if r[0].isdigit():
        r = [int(r[0])] + r[1:]
    ws.append(r)
    if r[2:] == ["", "", "", ""]:
        ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=6)
for row in ws.iter_rows():
    for cell in row:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
notes = wb.create_sheet("Ghi chú", 0)
notes["A1"] = "TT"
notes.sheet_state = "hidden"
wb.active = 1
wb.save(sys.argv[2])
"""
    src = path.with_suffix(".csv")
    src.write_text(rows_to_csv(rows), encoding="utf-8")
    subprocess.run(["/usr/bin/python3", "-c", script, str(src), str(path)], check=True)


def test_xlsx_imports_identically(c):
    book = c.work.path / "tasks-282.xlsx"
    write_xlsx(book, appendix_rows())
    out = ctl_ok(c, "import", "tasks", YEARLY, book)
    assert counts(out) == (17, 0, 0, 17, 0), out
    # The same into another series gives the same tasks, units and deadlines.
    out = ctl_ok(c, "import", "tasks", "ngoai-vu-282-half-yearly", book, "--source", "282/KH-UBND")
    assert counts(out) == (17, 17, 0, 0, 0), out
    q = ("SELECT t.code, t.ordinal, t.section, t.title, t.lead_text, t.cooperators_text, "
         "t.expected_result, t.deadline, t.deadline_text, t.source_document, "
         "(SELECT string_agg(u.code || ':' || tu.role, ' ' ORDER BY u.code, tu.role) "
         " FROM task_unit tu JOIN unit u ON u.id = tu.unit_id WHERE tu.task_id = t.id) "
         "FROM task t JOIN series s ON s.id = t.series_id WHERE s.name = '{}' ORDER BY t.code")
    assert c.pg.psql(q.format(YEARLY)) == c.pg.psql(q.format("ngoai-vu-282-half-yearly"))
    # An unknown unit in a workbook is named by its cell.
    rows = appendix_rows()
    rows[7][2] = "Sở Bí ẩn"                                   # II.3, row 11 of the sheet
    bad = c.work.path / "tasks-282-bad.xlsx"
    write_xlsx(bad, rows)
    r = c.d.ctl("import", "tasks", YEARLY, bad)
    assert r.returncode == 1
    assert "cell C11: task II.3: Cơ quan chủ trì: unknown unit 'Sở Bí ẩn'" in r.stderr, r.stderr


def test_tasks_list(c):
    lines = ctl_ok(c, "tasks", "list", YEARLY).splitlines()
    assert len(lines) == 17, lines
    by_code = {line.split()[0]: line for line in lines}
    assert re.match(r"^I\.2 +- +group:so-nganh +Tiếp tục rà soát", by_code["I.2"]), by_code["I.2"]
    assert re.match(r"^III\.3 +2027-12-31 +SKHCN +Xây dựng, hoàn thiện", by_code["III.3"])
    assert re.match(r"^I\.1 +- +SKHCN,SNNMT,SCT +Rà soát", by_code["I.1"]), by_code["I.1"]
    assert lines[0].startswith("I.1 ") and lines[-1].startswith("IV.4 ")
    mine = ctl_ok(c, "tasks", "list", YEARLY, "--unit", "SGDDT").splitlines()
    want = c.pg.scalar(
        "SELECT count(*) FROM task t JOIN series s ON s.id = t.series_id "
        "JOIN task_unit tu ON tu.task_id = t.id JOIN unit u ON u.id = tu.unit_id "
        f"WHERE s.name = '{YEARLY}' AND t.active AND u.code = 'SGDDT'")
    assert len(mine) == int(want) and any(line.startswith("IV.3 ") for line in mine), mine
    # A commune cooperates in the tasks that name "UBND các phường, xã".
    commune = ctl_ok(c, "tasks", "list", YEARLY, "--unit", "X-KY-ANH").splitlines()
    assert len(commune) == 10, commune
    r = c.d.ctl("tasks", "list", YEARLY, "--unit", "NOPE")
    assert r.returncode == 1 and "unknown unit 'NOPE'" in r.stderr


def test_weekly_list_covers_every_unit(c):
    out = ctl_ok(c, "import", "tasks", "nq57-weekly", WEEKLY,
                 "--source", "Thông báo số 15-TB/BCĐ")
    n = counts(out)[0]
    assert counts(out) == (n, n, 0, 0, 0) and n >= 15, out
    missing = c.pg.psql(
        "SELECT u.code FROM unit u WHERE u.active AND NOT EXISTS ("
        "  SELECT 1 FROM task_unit tu JOIN task t ON t.id = tu.task_id "
        "  JOIN series s ON s.id = t.series_id "
        "  WHERE tu.unit_id = u.id AND s.name = 'nq57-weekly' AND t.active) ORDER BY u.id")
    assert missing == [["VPTU"]], missing
    # Every unit that must report in the series leads at least one task.
    no_lead = c.pg.psql(
        "SELECT u.code FROM series_member m JOIN series s ON s.id = m.series_id "
        "JOIN unit u ON u.id = m.unit_id WHERE s.name = 'nq57-weekly' AND NOT EXISTS ("
        "  SELECT 1 FROM task_unit tu JOIN task t ON t.id = tu.task_id "
        "  WHERE tu.unit_id = u.id AND t.series_id = s.id AND tu.role = 'lead')")
    assert no_lead == [], no_lead
    assert units_of(c, "NQ57-10", "lead", "nq57-weekly") == ["SKHCN", "STC"]
    assert units_of(c, "NQ57-12", "cooperator", "nq57-weekly").count("SVHTTDL") == 1
    assert c.pg.scalar("SELECT count(*) FROM task t JOIN series s ON s.id = t.series_id "
                       "WHERE s.name = 'nq57-weekly' AND t.code !~ '^NQ57-[0-9]{2}$'") == "0"
    out = ctl_ok(c, "import", "tasks", "nq57-weekly", WEEKLY)
    assert counts(out) == (n, 0, 0, n, 0), out


if __name__ == "__main__":
    sys.exit(run_tests([test_aliases_import, test_unknown_series, test_import_appendix_282,
                        test_reimport_changes_nothing, test_removed_task_is_deactivated,
                        test_unknown_unit_changes_nothing, test_xlsx_imports_identically,
                        test_tasks_list, test_weekly_list_covers_every_unit],
                       setup, teardown))
