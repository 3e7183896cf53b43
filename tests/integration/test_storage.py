#!/usr/bin/env python3
"""Bounded storage: versions and bytes per unit and period (429, 413, a repeated file still
free), the retention of old raw files (the current version and snapshotted ones kept, receipts
still valid), and the disk and database warnings of /readyz and the log."""
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import run_tests, wait_for  # noqa: E402
from intake_util import XLSX, Example, build_workbook, meta_for_unit  # noqa: E402

NOW = "2026-12-09T09:00:00+07:00"   # Wednesday of week 50; units' deadline Friday 11/12 11:00
PERIOD = "2026-W50"
BASE = f"/api/v1/series/nq57-weekly/periods/{PERIOD}"
REPORTERS = {"STC": "stc.baocao", "SNV": "snv.baocao", "SXD": "sxd.baocao"}


def setup():
    ex = Example("storage", NOW, **{
        "testing.clock_control": "true",
        "server.max_versions_per_period": "3",
        "server.max_bytes_per_period": "10M",
        "server.disk_free_min": "1K",
        "server.disk_free_min_percent": "0"})
    try:
        for unit, login in REPORTERS.items():
            ex.account(login, unit, "reporter")
        ex.account("quantri", "SKHCN", "admin")
        ex.coordinator = ex.pg.scalar(
            "SELECT u.name FROM unit u JOIN series s ON s.consolidator_unit_id = u.id "
            "WHERE s.name = 'nq57-weekly'")
        assert ex.coordinator, "nq57-weekly has no consolidating unit"
    except Exception:
        ex.close()
        raise
    return ex


def teardown(ex):
    if ex is not None:
        ex.close()


def reload(ex, **settings):
    """Rewrites the configuration with these settings ("section.key": value) and waits until
    the daemon has read it and run the housekeeping round a reload asks for."""
    for key, value in settings.items():
        section, name = key.split(".", 1)
        ex.d.settings.setdefault(section, {})[name] = str(value)
    ex.d.write_config()
    rounds = housekeeping_rounds(ex)
    reloaded = ex.d.log_text().count("reloaded")
    ex.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ex.d.log_text().count("reloaded") == reloaded + 1, what="reload")
    wait_for(lambda: housekeeping_rounds(ex) > rounds, what="a housekeeping round")


def housekeeping_rounds(ex):
    """Rounds started with the series read again (each reload asks for one)."""
    return ex.d.log_text().count("series read from the database")


def json_report(ex, unit, text):
    items = [{"task": code, "status": "in_progress", "progress": 30, "result": text}
             for code, _ in ex.tasks_of(unit)]
    return json.dumps({"items": items}, ensure_ascii=False).encode()


def workbook(ex, unit, text):
    rows = [{"Mã nhiệm vụ": code, "Tình trạng": "Đang thực hiện", "Tiến độ (%)": 40,
             "Kết quả thực hiện trong kỳ": text} for code, _ in ex.tasks_of(unit)]
    return build_workbook(rows, meta=meta_for_unit(ex, unit, PERIOD))


def put(ex, unit, body, content_type=XLSX):
    status, _, raw = ex.put(REPORTERS[unit], PERIOD, body, content_type)
    return status, json.loads(raw)


def versions_of(ex, unit):
    return int(ex.pg.scalar("SELECT count(*) FROM submission s JOIN unit u ON u.id = s.unit_id "
                            f"JOIN period p ON p.id = s.period_id WHERE u.code = '{unit}' "
                            f"AND p.period_key = '{PERIOD}'"))


def refused(answer, status, want_status, code):
    assert status == want_status, (status, answer)
    error = answer["error"]
    assert error["code"] == code, answer
    return error["message"]


def says_whom_to_contact(ex, message):
    assert "liên hệ" in message and ex.coordinator in message, message


def test_versions_beyond_the_limit_are_refused(ex):
    """max_versions_per_period = 3: the fourth new version gets 429; the current file again is
    still answered as a repeat, any other file is not."""
    bodies = [json_report(ex, "STC", f"Lần gửi {n}") for n in range(1, 5)]
    receipts = []
    for n, body in enumerate(bodies[:3], 1):
        status, answer = put(ex, "STC", body, "application/json")
        assert status == 201 and answer["version"] == n, (status, answer)
        receipts.append(answer)
    status, answer = put(ex, "STC", bodies[3], "application/json")
    message = refused(answer, status, 429, "too_many_versions")
    assert "đã gửi 3 phiên bản" in message and "(3)" in message, message
    says_whom_to_contact(ex, message)
    assert versions_of(ex, "STC") == 3
    # The current version's bytes again: the same receipt, as before any limit.
    status, answer = put(ex, "STC", bodies[2], "application/json")
    assert status == 200 and answer == receipts[2], (status, answer)
    # An older version's bytes would be a new version.
    status, answer = put(ex, "STC", bodies[0], "application/json")
    refused(answer, status, 429, "too_many_versions")
    assert versions_of(ex, "STC") == 3
    assert "refused, the period's versions are used up" in ex.d.log_text()


def test_concurrent_uploads_cannot_both_pass(ex):
    """One version left (limit 4, three stored): of four uploads sent at once exactly one is
    stored."""
    reload(ex, **{"server.max_versions_per_period": 4})
    bodies = [json_report(ex, "STC", f"Cùng lúc {n}") for n in range(4)]
    answers = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def send(n):
        start.wait()
        answers[n] = put(ex, "STC", bodies[n], "application/json")

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 429, 429, 429], answers
    assert versions_of(ex, "STC") == 4


def test_bytes_beyond_the_limit_are_refused(ex):
    """max_bytes_per_period counts workbooks and JSON bodies by the bytes received: a version
    that would pass it gets 413, a smaller one still fits, the current file again is free."""
    first, second = workbook(ex, "SNV", "Bản 1"), workbook(ex, "SNV", "Bản 2")
    big = json_report(ex, "SNV", "Một báo cáo dài hơn " + "rất " * 40)
    small = json_report(ex, "SNV", "Ngắn")
    assert len(small) < len(big)
    limit = len(first) + len(second) + len(big) - 1
    reload(ex, **{"server.max_versions_per_period": 20, "server.max_bytes_per_period": limit})
    assert put(ex, "SNV", first)[0] == 201
    status, second_receipt = put(ex, "SNV", second)
    assert status == 201, second_receipt
    status, answer = put(ex, "SNV", big, "application/json")
    message = refused(answer, status, 413, "period_storage_full")
    assert "dung lượng" in message and "KiB" in message, message
    says_whom_to_contact(ex, message)
    assert versions_of(ex, "SNV") == 2
    # At the limit, the current workbook again is answered as before.
    status, answer = put(ex, "SNV", second)
    assert status == 200 and answer == second_receipt, (status, answer)
    # A JSON body small enough still fits; after it, nothing does.
    status, answer = put(ex, "SNV", small, "application/json")
    assert status == 201 and answer["version"] == 3, (status, answer)
    stored = int(ex.pg.scalar("SELECT sum(raw_size) FROM submission s JOIN unit u "
                              "ON u.id = s.unit_id WHERE u.code = 'SNV'"))
    assert stored == len(first) + len(second) + len(small), stored
    status, answer = put(ex, "SNV", workbook(ex, "SNV", "Bản 4"))
    refused(answer, status, 413, "period_storage_full")
    reload(ex, **{"server.max_bytes_per_period": "10M"})


def file_of(ex, unit, version):
    status, _, raw = ex.get(REPORTERS[unit], f"{BASE}/submission/file?version={version}")
    return status, raw


def file_kept(ex, submission):
    return ex.pg.scalar(f"SELECT file IS NOT NULL FROM submission WHERE id = {submission}") == "t"


def set_clock(ex, when):
    status, _, raw = ex.d.request("PUT", "/api/v1/testing/clock", body={"now": when},
                                  headers={"Authorization": f"Bearer {ex.tokens['quantri']}"})
    assert status == 200, raw


def cutoff_state(ex):
    return ex.pg.scalar("SELECT j.state FROM job_run j JOIN period p ON p.id = j.period_id "
                        f"WHERE j.job = 'cutoff' AND p.period_key = '{PERIOD}' AND j.series_id = "
                        "(SELECT id FROM series WHERE name = 'nq57-weekly')")


def test_retention_removes_old_raw_files_only(ex):
    """SXD: version 1 in the cut-off snapshot, 2 old, 3 recent, 4 current. With raw_retention
    0 every file stays; with 2h only version 2's goes, its data and receipt staying valid."""
    bodies = {n: workbook(ex, "SXD", f"Phiên bản {n}") for n in range(1, 5)}
    receipts = {}
    status, receipts[1] = put(ex, "SXD", bodies[1])
    assert status == 201, receipts[1]
    set_clock(ex, "2026-12-11T11:00:05+07:00")
    wait_for(lambda: cutoff_state(ex) in ("done", "failed"), timeout=60, what="the cut-off")
    assert cutoff_state(ex) == "done"
    for n, when in ((2, None), (3, "2026-12-11T13:30:00+07:00"), (4, None)):
        if when:
            set_clock(ex, when)
        status, receipts[n] = put(ex, "SXD", bodies[n])
        assert status == 201 and receipts[n]["version"] == n, receipts[n]
    ids = {n: r["submission"] for n, r in receipts.items()}
    snapshotted = ex.pg.scalar(f"SELECT count(*) FROM consolidation_entry WHERE "
                               f"submission_id = {ids[1]}")
    assert snapshotted == "1", snapshotted
    # The default keeps every raw file, however old (two rounds: the first has ended).
    reload(ex)
    reload(ex)
    assert all(file_kept(ex, ids[n]) for n in bodies)
    items_before = ex.pg.scalar(f"SELECT count(*) FROM report_item WHERE submission_id = {ids[2]}")

    reload(ex, **{"server.raw_retention": "2h"})
    wait_for(lambda: not file_kept(ex, ids[2]), what="version 2's raw file removed")
    # One statement decided for all: the snapshotted, the recent and the current ones stay.
    for n in (1, 3, 4):
        status, raw = file_of(ex, "SXD", n)
        assert status == 200 and raw == bodies[n], (n, status)
    status, raw = file_of(ex, "SXD", 2)
    answer = json.loads(raw)
    assert status == 404 and answer["error"]["code"] == "file_removed", (status, answer)
    assert "thời hạn lưu trữ" in answer["error"]["message"], answer
    assert ex.pg.scalar(f"SELECT count(*) FROM report_item WHERE submission_id = {ids[2]}") == \
        items_before
    status, _, raw = ex.get(REPORTERS["SXD"], f"{BASE}/submissions")
    listed = {v["version"]: v for v in json.loads(raw)["submissions"]}
    assert [listed[n]["file"] for n in (1, 2, 3, 4)] == [True, False, True, True], listed
    assert listed[2]["sha256"] == receipts[2]["sha256"]
    removed = ex.pg.scalar("SELECT count(*) FROM submission WHERE file_removed_at IS NOT NULL")
    assert f"removed the raw files of {removed} old versions" in ex.d.log_text(), removed
    # The receipt of the version whose file went still verifies.
    path = ex.work.path / "receipt-v2.json"
    path.write_text(json.dumps(receipts[2], ensure_ascii=False), encoding="utf-8")
    r = ex.d.ctl("receipt", "verify", path)
    assert r.returncode == 0 and r.stdout.startswith("valid:"), (r.stdout, r.stderr)
    reload(ex, **{"server.raw_retention": "0"})


def readyz_warnings(ex):
    status, body = ex.d.get_json("/readyz")
    assert status == 200, body
    return {(w["code"], w.get("dir")): w for w in body.get("storage_warnings", [])}


def test_disk_warning(ex):
    """Free space below disk_free_min (or its share below disk_free_min_percent) is in /readyz
    and logged once, not per request; it goes when the limit does."""
    assert readyz_warnings(ex) == {}
    assert "disk space low" not in ex.d.log_text()
    reload(ex, **{"server.disk_free_min": "1000000G"})     # more than any disk here
    warnings = wait_for(lambda: readyz_warnings(ex), what="the disk warning in /readyz")
    for d in ("data_dir", "spool_dir"):
        w = warnings[("disk_space_low", d)]
        assert w["min_bytes"] == 1000000 * 1024 ** 3 and 0 < w["free_bytes"] < w["min_bytes"], w
    for _ in range(5):
        readyz_warnings(ex)
    reload(ex)                                              # one more round
    log = ex.d.log_text()
    assert log.count("disk space low") == 2, log[-3000:]   # data_dir and spool_dir, once each
    reload(ex, **{"server.disk_free_min": "1K", "server.disk_free_min_percent": 100})
    warnings = readyz_warnings(ex)
    assert warnings[("disk_space_low", "data_dir")]["free_percent"] < 100, warnings
    reload(ex, **{"server.disk_free_min_percent": 0})
    assert readyz_warnings(ex) == {}
    assert "back within the limit" in ex.d.log_text()


def test_database_size_warning(ex):
    """A database larger than database.size_max is in /readyz and the log."""
    assert ("database_size_high", None) not in readyz_warnings(ex)
    reload(ex, **{"database.size_max": "1K"})
    warnings = readyz_warnings(ex)
    w = warnings[("database_size_high", None)]
    size = int(ex.pg.scalar("SELECT pg_database_size(current_database())"))
    assert w["max_bytes"] == 1024 and abs(w["size_bytes"] - size) < size // 2, (w, size)
    assert "database size high" in ex.d.log_text()
    reload(ex, **{"database.size_max": "0"})
    assert readyz_warnings(ex) == {}


if __name__ == "__main__":
    sys.exit(run_tests([test_versions_beyond_the_limit_are_refused,
                        test_concurrent_uploads_cannot_both_pass,
                        test_bytes_beyond_the_limit_are_refused,
                        test_retention_removes_old_raw_files_only,
                        test_disk_warning, test_database_size_warning],
                       setup=setup, teardown=teardown))
