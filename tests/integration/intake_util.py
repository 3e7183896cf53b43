"""Shared set-up of the intake tests: the Hà Tĩnh example, accounts, tokens, workbooks."""
import hashlib
import hmac
import io
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, Daemon, Postgres, Workdir  # noqa: E402

SERIES = ROOT / "config" / "series.conf"
TITLES = ["STT", "Mã nhiệm vụ", "Nội dung nhiệm vụ", "Thời hạn", "Tình trạng", "Tiến độ (%)",
          "Ngày hoàn thành", "Kết quả thực hiện trong kỳ", "Khó khăn, vướng mắc",
          "Kiến nghị, đề xuất", "Ghi chú"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def data_only_series(work):
    """A copy of the example's series file whose reports need no document (require_document
    = no, require_consolidated_document = no): the tests of data alone keep their expectations; test_documents.py tests the
    document with the file as shipped."""
    path = work.path / "series-data-only.conf"
    text = SERIES.read_text(encoding="utf-8")
    assert "require_document = yes" in text
    assert "require_consolidated_document = yes" in text
    text = text.replace("require_consolidated_document = yes",
                        "require_consolidated_document = no")
    path.write_text(text.replace("require_document = yes", "require_document = no"),
                    encoding="utf-8")
    return path


class Example:
    """A database with the example loaded and a daemon whose clock is fixed at `now`. The
    series file is the example's without require_document unless series_file names one."""

    def __init__(self, name, now, series_file=None, **settings):
        self.work = Workdir(name)
        self.pg = Postgres(self.work)
        self.pg.start()
        if series_file is None:
            series_file = data_only_series(self.work)
        self.series_file = series_file
        settings.setdefault("server.uploads_per_minute", 1000)
        self.d = Daemon(self.work, self.pg.conninfo, **{"server.series_file": series_file},
                        **settings)
        for args in (["migrate"], ["import", "units", ROOT / "config" / "ha-tinh-units.csv"],
                     ["import", "calendar", ROOT / "config" / "vn-calendar-2026.csv"],
                     ["import", "aliases", ROOT / "config" / "unit-aliases.csv"],
                     ["import", "tasks", "nq57-weekly", ROOT / "config" / "tasks-nq57-weekly.csv"]):
            r = self.d.ctl(*args)
            assert r.returncode == 0, (args, r.stderr)
        self.d.start(env={"BAOCAO_FAKE_NOW": now})
        self.tokens = {}

    def account(self, login, unit, role):
        """Creates an account with a token; returns the token."""
        r = self.d.ctl("account", "add", "--login", login, "--unit", unit, "--role", role,
                       "--email", f"{login}@example.vn")
        assert r.returncode == 0, r.stderr
        r = self.d.ctl("token", "create", "--login", login)
        assert r.returncode == 0, r.stderr
        self.tokens[login] = r.stdout.strip()
        return self.tokens[login]

    def tasks_of(self, unit):
        """(code, title) of the unit's active nq57-weekly tasks, as the template orders them."""
        return [tuple(row) for row in self.pg.psql(
            "SELECT t.code, t.title FROM task t JOIN series s ON s.id = t.series_id "
            "JOIN task_unit tu ON tu.task_id = t.id JOIN unit u ON u.id = tu.unit_id "
            f"WHERE s.name = 'nq57-weekly' AND u.code = '{unit}' AND t.active "
            "ORDER BY tu.role = 'lead' DESC, t.ordinal, t.code")]

    def mac_key(self):
        return (self.work.path / "data" / "workbook.key").read_bytes()

    def put(self, login, period, body, content_type=XLSX, unit=None, series="nq57-weekly"):
        path = f"/api/v1/series/{series}/periods/{period}/submission"
        if unit:
            path += f"?unit={unit}"
        headers = {"Content-Type": content_type}
        if login:
            headers["Authorization"] = f"Bearer {self.tokens[login]}"
        return self.d.request("PUT", path, body=body, headers=headers)

    def get(self, login, path):
        return self.d.request("GET", path, headers={"Authorization": f"Bearer {self.tokens[login]}"})

    def count_submissions(self):
        return int(self.pg.scalar("SELECT count(*) FROM submission"))

    def close(self):
        try:
            self.d.stop_clean()
        finally:
            self.pg.stop()
            if os.environ.get("BAOCAO_KEEP_TMP") != "1":
                self.work.cleanup()


def meta_for_unit(ex, unit, period, series="nq57-weekly", version=1):
    """The meta sheet's rows of a unit's workbook, with a MAC made with the server's key."""
    return [("unit", unit), ("series", series), ("period", period), ("version", version),
            ("mac", meta_mac(ex.mac_key(), unit, series, period, version))]


def meta_mac(key, unit, series, period, version=1):
    return hmac.new(key, f"{unit}\n{series}\n{period}\n{version}".encode(),
                    hashlib.sha256).hexdigest()


def build_workbook(rows, meta=None, general=None, header_row=5, titles=TITLES, labels=None):
    """A workbook laid out like the template: rows are dicts keyed by column title; labels
    replaces the header's text (same positions)."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    ws["A1"] = "BÁO CÁO KẾT QUẢ THỰC HIỆN NGHỊ QUYẾT 57"
    for i, t in enumerate(labels or titles, 1):
        ws.cell(row=header_row, column=i, value=t)
    for n, row in enumerate(rows, 1):
        r = header_row + n
        ws.cell(row=r, column=1, value=n)
        for title, value in row.items():
            ws.cell(row=r, column=titles.index(title) + 1, value=value)
    if general is not None:
        g = wb.create_sheet("Kiến nghị chung")
        g["A1"] = "KIẾN NGHỊ CHUNG"
        g["A3"] = "Khó khăn, vướng mắc chung"
        g["B3"] = general[0]
        g["A4"] = "Kiến nghị, đề xuất chung"
        g["B4"] = general[1]
    if meta is not None:
        m = wb.create_sheet("baocao_meta")
        for i, (k, v) in enumerate(meta, 1):
            m.cell(row=i, column=1, value=k)
            m.cell(row=i, column=2, value=v)
        m.sheet_state = "veryHidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
