#!/usr/bin/python3
"""Fills a migrated, empty baocao database with UNITS units and WEEKS weeks of one weekly series,
in the proportions of a real week, for the benchmarks (backup and restore, migrations).

    bigdb.py --conninfo 'host=... dbname=baocao' [--units 4000] [--weeks 12]

or, from Python: `import bigdb; bigdb.fill(conninfo, units=4000, weeks=12)`.

What one week of UNITS units makes, set-based in SQL (generate_series), every row valid under
the schema's constraints and foreign keys:
- the period, approved; its roster (every unit, TASKS_PER_UNIT tasks each);
- a report from 96 % of the units, 8 % of them late, 14 % sent twice (the first version
  superseded, its raw file kept: raw_retention 0); each version has its raw workbook
  (FILE_KIB of incompressible bytes, as a zipped .xlsx is), SHA-256, receipt signature and one
  item per task with Vietnamese texts; 80 % of the current reports accepted, 2 % returned;
- the cut-off draft and the final version (workbooks of about 100 bytes per item, as
  baocaoctl consolidate writes them), the snapshot of each (one entry per unit), the assessment;
- the outbox: a receipt per upload, three reminder rounds to the units that had not reported
  yet with the coordinators' digests, the draft notices, the final's deliveries, the return
  notices; all sent;
- the job runs (open, three reminders, cut-off, delivery) and the audit log (uploads, reviews,
  logins of half of the reporters, cut-off, approval).

It writes the columns of v0.1.0's schema (migrations 001 to 010); later migrations' columns
take their defaults. The raw files and the kept consolidated workbooks are drawn from a pool of
256 random blocks, so pg_dump's compression finds nothing to gain in them, as in real (zipped)
workbooks; they have the size of workbooks but are not ones: baocaod and baocaoctl refuse to
serve a kept consolidated workbook of this database ("not a zip"), and the receipts'
signatures have the size of Ed25519 signatures but do not verify. baocaod runs on the filled
database: the board, the reports, the live workbook and the versions' list read as usual, and
the week after the last one opens.
"""
import argparse
import datetime
import subprocess
import sys
import time

SERIES = "nq57-weekly"
CATALOGUE = 120          # tasks in the series' catalogue
DEPARTMENTS = 40         # the first units are departments, the others communes
COORDINATORS = 3
RECIPIENTS = 3
REMINDERS = [("-1d 15:00", "(p.starts_on + 3) + time '15:00'"),
             ("0d 08:30", "(p.starts_on + 4) + time '08:30'"),
             ("-30m", "p.unit_deadline - interval '30 minutes'")]
ITEM_BYTES = 100         # of a consolidated workbook, per item (docs/BENCHMARKS.md)

# A number from 0 to 999 fixed for a unit (u) and week (w): who is late, missing, sends twice.
H = "mod(abs(({u} * 7919 + {w} * 104729) * 2654435761), 1000)"
# The week's index of a period.
W = "((p.starts_on - date '{first}') / 7)"


def psql(conninfo, sql):
    """Runs SQL in one session (Vietnamese time, no wait for each commit's flush); returns the
    output rows as lists of strings."""
    script = ("SET TimeZone = 'Asia/Ho_Chi_Minh';\nSET synchronous_commit = off;\n"
              "SET client_min_messages = warning;\n" + sql)
    r = subprocess.run(["psql", conninfo, "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                        "-f", "-"], input=script, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr.strip()}")
    return [line.split("\t") for line in r.stdout.splitlines() if line]


def steps(units, weeks, tasks_per_unit, file_kib, first):
    """The fill, as (name, SQL) in order."""
    h_pm = H.format(u="m.unit_id", w=W.format(first=first))
    stride = CATALOGUE // tasks_per_unit
    file_blocks = file_kib * 1024 // 16
    att_blocks = max(1, ITEM_BYTES * units * tasks_per_unit // (file_kib * 1024))
    definition = ("title = Báo cáo kết quả thực hiện Nghị quyết số 57-NQ/TW hằng tuần\n"
                  "period = weekly\nunit_deadline = fri 11:00\nconsolidation_deadline = fri 15:30\n"
                  "non_working_day = previous\nconsolidator = SKHCN\nrecipients = VPTU\n"
                  "units = group:so-nganh group:xa-phuong\n"
                  f"reminders = {', '.join(r for r, _ in REMINDERS)}\nheader = state\n")
    yield "units, accounts, series, tasks", f"""
INSERT INTO unit (code, name, unit_group, emails) VALUES
    ('SKHCN', 'Sở Khoa học và Công nghệ', 'so-nganh', ARRAY['skhcn@example.vn']),
    ('VPTU', 'Văn phòng Tỉnh ủy', 'dang-doan-the', ARRAY['vptu@example.vn']);
INSERT INTO unit (code, name, unit_group, emails)
SELECT 'DV-' || lpad(i::text, 5, '0'),
       CASE WHEN i <= {DEPARTMENTS} THEN 'Sở, ngành số ' || i
            ELSE 'Ủy ban nhân dân xã số ' || i END,
       CASE WHEN i <= {DEPARTMENTS} THEN 'so-nganh' ELSE 'xa-phuong' END,
       ARRAY['dv' || lpad(i::text, 5, '0') || '@example.vn',
             'head:lanhdao.dv' || lpad(i::text, 5, '0') || '@example.vn']
FROM generate_series(1, {units}) i;
INSERT INTO account (login, display_name, email, unit_id, role)
SELECT lower(code) || '.baocao', 'Cán bộ ' || name, lower(code) || '.baocao@example.vn', id,
       'reporter'
FROM unit WHERE code LIKE 'DV-%';
INSERT INTO account (login, display_name, email, unit_id, role)
SELECT 'skhcn.dieuphoi' || i, 'Điều phối viên ' || i, 'skhcn.dieuphoi' || i || '@example.vn',
       (SELECT id FROM unit WHERE code = 'SKHCN'), 'coordinator'
FROM generate_series(1, {COORDINATORS}) i
UNION ALL
SELECT 'vptu.nhan' || i, 'Văn thư ' || i, 'vptu.nhan' || i || '@example.vn',
       (SELECT id FROM unit WHERE code = 'VPTU'), 'recipient'
FROM generate_series(1, {RECIPIENTS}) i
UNION ALL
SELECT 'quantri', 'Quản trị', 'quantri@example.vn', (SELECT id FROM unit WHERE code = 'SKHCN'),
       'admin';
INSERT INTO api_token (account_id, token_hash, label)
SELECT id, sha256(convert_to(login, 'UTF8')), 'máy của đơn vị' FROM account WHERE role = 'reporter';
INSERT INTO series (name, title, period_kind, unit_deadline_rule, consolidation_deadline_rule,
                    consolidator_unit_id, reminders, definition)
VALUES ('{SERIES}', 'Báo cáo kết quả thực hiện Nghị quyết số 57-NQ/TW hằng tuần', 'weekly',
        'fri 11:00', 'fri 15:30', (SELECT id FROM unit WHERE code = 'SKHCN'),
        ARRAY[{', '.join(repr(r) for r, _ in REMINDERS)}], $def${definition}$def$);
INSERT INTO series_recipient SELECT s.id, u.id FROM series s, unit u WHERE u.code = 'VPTU';
INSERT INTO series_member SELECT s.id, u.id FROM series s, unit u WHERE u.code LIKE 'DV-%';
INSERT INTO task (series_id, code, ordinal, section, title, lead_text, expected_result, deadline,
                  deadline_text, source_document)
SELECT s.id, 'NQ57-' || lpad(i::text, 3, '0'), i, 'Nhóm nhiệm vụ ' || (i % 6 + 1),
       'Triển khai nhiệm vụ số ' || i || ' về phát triển khoa học, công nghệ, đổi mới sáng tạo '
       || 'và chuyển đổi số', 'Các sở, ban, ngành; UBND các xã, phường',
       'Báo cáo kết quả định kỳ', CASE WHEN i % 3 = 0 THEN date '2026-12-31' END,
       CASE WHEN i % 3 = 0 THEN 'Tháng 12/2026' ELSE 'Thường xuyên' END, 'Kế hoạch số 15-KH/TU'
FROM series s, generate_series(1, {CATALOGUE}) i;
INSERT INTO task_unit (task_id, unit_id, role)
SELECT t.id, u.id, CASE WHEN j = 0 THEN 'lead' ELSE 'cooperator' END
FROM unit u CROSS JOIN generate_series(0, {tasks_per_unit - 1}) j
JOIN task t ON t.ordinal = mod(u.id + j * {stride}, {CATALOGUE}) + 1
WHERE u.code LIKE 'DV-%';
"""
    yield "periods and their rosters", f"""
INSERT INTO period (series_id, period_key, starts_on, ends_on, unit_deadline,
                    consolidation_deadline, state, roster_at, created_at, updated_at)
SELECT s.id, to_char(d, 'IYYY-"W"IW'), d, d + 6, (d + 4) + time '11:00', (d + 4) + time '15:30',
       'approved', d::timestamptz, d - 7, (d + 4) + time '14:00'
FROM series s, generate_series(0, {weeks - 1}) w, LATERAL (SELECT date '{first}' + 7 * w AS d) x;
INSERT INTO period_member (period_id, unit_id)
SELECT p.id, m.unit_id FROM period p JOIN series_member m ON m.series_id = p.series_id;
INSERT INTO period_task (period_id, unit_id, task_id, role)
SELECT m.period_id, m.unit_id, tu.task_id, tu.role
FROM period_member m JOIN task_unit tu ON tu.unit_id = m.unit_id;
INSERT INTO assessment (period_id, body, account_id, written_at)
SELECT p.id, 'Trong tuần, các đơn vị cơ bản hoàn thành nhiệm vụ được giao; đề nghị các đơn vị '
       || 'chậm báo cáo khẩn trương khắc phục.',
       (SELECT id FROM account WHERE login = 'skhcn.dieuphoi1'), (p.starts_on + 4) + time '13:30'
FROM period p;
"""
    yield "submissions (raw files, receipts, reviews)", f"""
CREATE UNLOGGED TABLE bigdb_block AS
SELECT i, (SELECT decode(string_agg(md5(i || ':' || j), ''), 'hex')
           FROM generate_series(1, {file_blocks}) j) AS data
FROM generate_series(0, 255) i;
INSERT INTO submission (period_id, unit_id, version, received_at, account_id, channel, file_name,
                        file, sha256, on_time, superseded, general_difficulties,
                        general_proposals, receipt_signature, raw_size, review, review_comment,
                        reviewed_by, reviewed_at)
SELECT x.period_id, x.unit_id, x.v, x.received, x.account_id, 'xlsx', 'bao-cao-tuan.xlsx',
       x.file, sha256(x.file), x.received <= x.unit_deadline, x.v < x.nv,
       CASE WHEN x.h % 3 = 0 THEN 'Thiếu kinh phí triển khai các nhiệm vụ chuyển đổi số.'
            ELSE '' END,
       CASE WHEN x.h % 4 = 0 THEN 'Đề nghị bổ sung nguồn lực cho cấp xã.' ELSE '' END,
       translate(encode(sha512(x.file), 'base64'), E'\\n', ''), length(x.file),
       r.review, CASE WHEN r.review = 'returned' THEN 'Đề nghị bổ sung số liệu giải ngân.' END,
       CASE WHEN r.review IS NOT NULL THEN c.id END,
       CASE WHEN r.review IS NOT NULL THEN x.unit_deadline + interval '2 hours' END
FROM (
    SELECT p.id AS period_id, m.unit_id, v, nv, h, p.unit_deadline, a.id AS account_id,
           CASE WHEN h >= 920 THEN (p.starts_on + 4) + time '13:00' + h % 60 * interval '1 minute'
                ELSE (p.starts_on + 2) + time '08:00' + (h * 37 % 2700) * interval '1 minute'
           END + (v - 1) * interval '3 hours' AS received,
           b.data || int8send(p.id) || int8send(m.unit_id) || int4send(v) AS file
    FROM period p
    JOIN period_member m ON m.period_id = p.id
    CROSS JOIN LATERAL (SELECT {h_pm} AS h) hh
    CROSS JOIN LATERAL (SELECT CASE WHEN h % 7 = 0 THEN 2 ELSE 1 END AS nv) n
    CROSS JOIN LATERAL generate_series(1, nv) v
    JOIN account a ON a.unit_id = m.unit_id AND a.role = 'reporter'
    JOIN bigdb_block b ON b.i = mod(m.unit_id * 31 + v * 7 + p.id, 256)
    WHERE h >= 40
) x
CROSS JOIN LATERAL (SELECT CASE WHEN x.v < x.nv THEN NULL
                                WHEN x.h % 50 = 1 THEN 'returned'
                                WHEN x.h % 10 < 8 THEN 'accepted' END AS review) r
CROSS JOIN (SELECT id FROM account WHERE login = 'skhcn.dieuphoi1') c
ORDER BY x.period_id, x.unit_id, x.v;
"""
    yield "report items", """
INSERT INTO report_item (submission_id, task_id, status, progress, completed_on, result,
                         difficulties, proposals)
SELECT s.id, pt.task_id, st.status, st.progress,
       CASE WHEN st.status = 'done' THEN s.received_at::date END,
       'Đã triển khai nội dung nhiệm vụ theo kế hoạch; tổ chức quán triệt, phân công cán bộ theo '
       || 'dõi, ước đạt ' || st.progress || '% khối lượng công việc trong tuần.',
       CASE WHEN r % 3 = 0 THEN 'Nguồn nhân lực công nghệ thông tin còn thiếu.' ELSE '' END,
       CASE WHEN r % 4 = 0 THEN 'Đề nghị tỉnh hỗ trợ kinh phí đào tạo.' ELSE '' END
FROM submission s
JOIN period_task pt ON pt.period_id = s.period_id AND pt.unit_id = s.unit_id
CROSS JOIN LATERAL (SELECT mod(s.id * 31 + pt.task_id * 17, 10) AS r) rr
CROSS JOIN LATERAL (SELECT CASE WHEN r < 3 THEN 'done' WHEN r < 8 THEN 'in_progress'
                                ELSE 'not_started' END AS status,
                           CASE WHEN r < 3 THEN 100 WHEN r < 8 THEN 10 + r * 10
                                ELSE 0 END::smallint AS progress) st;
"""
    yield "consolidated workbooks and their snapshots", f"""
INSERT INTO mail_attachment (filename, content_type, data, sha256, created_at)
SELECT 'tong-hop-{SERIES}-' || p.period_key || CASE k WHEN 0 THEN '-du-thao.xlsx'
       ELSE '-chinh-thuc-v1.xlsx' END,
       'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', f.data,
       sha256(f.data), p.unit_deadline + k * interval '3 hours'
FROM period p CROSS JOIN generate_series(0, 1) k
CROSS JOIN LATERAL (SELECT string_agg(b.data, ''::bytea ORDER BY g) AS data
                    FROM generate_series(1, {att_blocks}) g
                    JOIN bigdb_block b ON b.i = mod(g * 13 + p.id * 7 + k, 256)) f
ORDER BY p.id, k;
INSERT INTO consolidation (period_id, kind, version, built_at, attachment_id, sha256,
                           assessment_id, approved_by, approved_at, automatic)
SELECT p.id, k.kind, 1, a.created_at, a.id, a.sha256,
       CASE WHEN k.kind = 'final' THEN (SELECT max(id) FROM assessment WHERE period_id = p.id) END,
       CASE WHEN k.kind = 'final' THEN c.id END,
       CASE WHEN k.kind = 'final' THEN a.created_at END, false
FROM period p
CROSS JOIN (VALUES ('cutoff', '-du-thao.xlsx'), ('final', '-chinh-thuc-v1.xlsx')) k(kind, suffix)
JOIN mail_attachment a ON a.filename = 'tong-hop-{SERIES}-' || p.period_key || k.suffix
CROSS JOIN (SELECT id FROM account WHERE login = 'skhcn.dieuphoi1') c;
INSERT INTO consolidation_entry (consolidation_id, unit_id, submission_id, state)
SELECT c.id, m.unit_id, s.id,
       CASE WHEN s.id IS NULL THEN 'missing' WHEN c.kind = 'cutoff' THEN 'on_time'
            WHEN s.review = 'returned' THEN 'returned' WHEN s.on_time THEN 'on_time'
            ELSE 'late' END
FROM consolidation c
JOIN period p ON p.id = c.period_id
JOIN period_member m ON m.period_id = c.period_id
LEFT JOIN LATERAL (SELECT x.id, x.review, x.on_time FROM submission x
                   WHERE x.period_id = c.period_id AND x.unit_id = m.unit_id
                     AND (c.kind = 'final' AND NOT x.superseded
                          OR c.kind = 'cutoff' AND x.received_at <= p.unit_deadline)
                   ORDER BY x.version DESC LIMIT 1) s ON true;
"""
    reminder_rows = "\nUNION ALL\n".join(
        f"SELECT p.id AS period_id, '{occ}' AS occasion, {at} AS at FROM period p"
        for occ, at in REMINDERS)
    yield "outbox (receipts, reminders, notices, deliveries)", f"""
CREATE UNLOGGED TABLE bigdb_round AS {reminder_rows};
INSERT INTO outbox (dedup_key, kind, channel, recipient, subject, body, attempts,
                    next_attempt_at, created_at, sent_at, state, last_attempt_at)
SELECT 'receipt:' || s.id, 'receipt', 'mail', a.email,
       'Đã nhận báo cáo ' || p.period_key || ' (phiên bản ' || s.version || ')',
       'Hệ thống đã nhận báo cáo của đơn vị ' || u.name || ' lúc '
       || to_char(s.received_at, 'HH24:MI DD/MM/YYYY') || '. Mã SHA-256 của tệp: '
       || encode(s.sha256, 'hex') || '. Chữ ký biên nhận: ' || s.receipt_signature
       || E'.\\nĐây là thư tự động, vui lòng không trả lời.', 1, s.received_at, s.received_at,
       s.received_at + interval '4 seconds', 'sent', s.received_at + interval '4 seconds'
FROM submission s JOIN account a ON a.id = s.account_id JOIN unit u ON u.id = s.unit_id
JOIN period p ON p.id = s.period_id
ORDER BY s.id;
INSERT INTO outbox (dedup_key, kind, series, period, channel, recipient, subject, body, attempts,
                    next_attempt_at, created_at, sent_at, state, last_attempt_at)
SELECT 'reminder:{SERIES}:' || p.period_key || ':' || r.occasion || ':' || u.code || ':'
       || a.email, 'reminder', '{SERIES}', p.period_key, 'mail', a.email,
       'Nhắc gửi báo cáo ' || p.period_key,
       'Đơn vị ' || u.name || ' chưa gửi báo cáo tuần ' || p.period_key || '. Hạn gửi: '
       || to_char(p.unit_deadline, 'HH24:MI DD/MM/YYYY') || '.', 1, r.at, r.at,
       r.at + interval '20 seconds', 'sent', r.at + interval '20 seconds'
FROM bigdb_round r JOIN period p ON p.id = r.period_id
JOIN period_member m ON m.period_id = p.id JOIN unit u ON u.id = m.unit_id
JOIN account a ON a.unit_id = u.id AND a.role = 'reporter'
WHERE NOT EXISTS (SELECT 1 FROM submission s WHERE s.period_id = p.id AND s.unit_id = u.id
                  AND s.received_at <= r.at);
INSERT INTO outbox (dedup_key, kind, series, period, channel, recipient, subject, body, attempts,
                    next_attempt_at, created_at, sent_at, state, last_attempt_at)
SELECT 'reminder-digest:{SERIES}:' || p.period_key || ':' || r.occasion || ':' || a.login,
       'reminder_digest', '{SERIES}', p.period_key, 'mail', a.email,
       'Danh sách đơn vị chưa báo cáo ' || p.period_key,
       'Các đơn vị chưa gửi báo cáo được liệt kê trong trang điều phối.', 1, r.at, r.at,
       r.at + interval '30 seconds', 'sent', r.at + interval '30 seconds'
FROM bigdb_round r JOIN period p ON p.id = r.period_id
CROSS JOIN account a WHERE a.role = 'coordinator';
INSERT INTO outbox (dedup_key, kind, series, period, version, channel, recipient, subject, body,
                    attachment_id, attempts, next_attempt_at, created_at, sent_at, state,
                    last_attempt_at)
SELECT CASE WHEN c.kind = 'cutoff' THEN 'cutoff:{SERIES}:' || p.period_key || ':' || a.login
            ELSE 'final:{SERIES}:' || p.period_key || ':v1:mail:' || a.email END,
       CASE WHEN c.kind = 'cutoff' THEN 'draft_notice' ELSE 'final_delivery' END,
       '{SERIES}', p.period_key, CASE WHEN c.kind = 'final' THEN 1 END, 'mail', a.email,
       CASE WHEN c.kind = 'cutoff' THEN 'Dự thảo báo cáo tổng hợp ' ELSE 'Báo cáo tổng hợp ' END
       || p.period_key, 'Kèm theo thư này là báo cáo tổng hợp tuần ' || p.period_key || '.',
       c.attachment_id, 1, c.built_at, c.built_at, c.built_at + interval '1 minute', 'sent',
       c.built_at + interval '1 minute'
FROM consolidation c JOIN period p ON p.id = c.period_id
JOIN account a ON a.role = CASE WHEN c.kind = 'cutoff' THEN 'coordinator' ELSE 'recipient' END;
INSERT INTO outbox (dedup_key, kind, series, period, version, channel, recipient, subject, body,
                    attachment_id, attempts, next_attempt_at, created_at, sent_at, state,
                    last_attempt_at)
SELECT 'final:{SERIES}:' || p.period_key || ':v1:folder', 'final_delivery', '{SERIES}',
       p.period_key, 1, 'folder', '/srv/baocao/delivery', 'Báo cáo tổng hợp ' || p.period_key, '',
       c.attachment_id, 1, c.built_at, c.built_at, c.built_at + interval '2 seconds', 'sent',
       c.built_at + interval '2 seconds'
FROM consolidation c JOIN period p ON p.id = c.period_id WHERE c.kind = 'final';
INSERT INTO outbox (dedup_key, kind, series, period, channel, recipient, subject, body, attempts,
                    next_attempt_at, created_at, sent_at, state, last_attempt_at)
SELECT 'returned:{SERIES}:' || p.period_key || ':' || u.code || ':' || s.id || ':' || a.email,
       'review_return', '{SERIES}', p.period_key, 'mail', a.email, 'Báo cáo cần bổ sung',
       s.review_comment, 1, s.reviewed_at, s.reviewed_at, s.reviewed_at + interval '5 seconds',
       'sent', s.reviewed_at + interval '5 seconds'
FROM submission s JOIN period p ON p.id = s.period_id JOIN unit u ON u.id = s.unit_id
JOIN account a ON a.id = s.account_id
WHERE s.review = 'returned';
"""
    yield "job runs and the audit log", f"""
INSERT INTO job_run (job, series_id, period_id, slot, due_at, state, attempt, instance,
                     started_at, finished_at, outcome, created_at)
SELECT j.job, p.series_id, p.id, j.slot, j.due, 'done', 1, 'baocao-1:812', j.due,
       j.due + interval '3 seconds', j.outcome, p.created_at
FROM period p CROSS JOIN LATERAL (VALUES
    ('open', 0, p.starts_on::timestamptz, '1 period created; who must report fixed'),
    ('remind', 0, (p.starts_on + 3) + time '15:00', 'reminders queued'),
    ('remind', 1, (p.starts_on + 4) + time '08:30', 'reminders queued'),
    ('remind', 2, p.unit_deadline - interval '30 minutes', 'reminders queued'),
    ('cutoff', 0, p.unit_deadline, 'snapshot taken; draft mailed'),
    ('deliver', 0, p.consolidation_deadline - interval '15 minutes',
     'nothing to do: approved before')) j(job, slot, due, outcome);
INSERT INTO audit_log (at, account_id, actor, action, object_type, object_id, detail, remote_addr)
SELECT s.received_at, a.id, a.login, 'submit', 'submission', s.id::text,
       jsonb_build_object('series', '{SERIES}', 'period', p.period_key, 'unit', u.code,
                          'version', s.version, 'sha256', encode(s.sha256, 'hex'),
                          'channel', s.channel, 'on_time', s.on_time),
       '203.0.113.' || (s.unit_id % 250 + 1)
FROM submission s JOIN account a ON a.id = s.account_id JOIN unit u ON u.id = s.unit_id
JOIN period p ON p.id = s.period_id
UNION ALL
SELECT s.reviewed_at, r.id, r.login,
       CASE s.review WHEN 'returned' THEN 'review_return' ELSE 'review_accept' END,
       'submission', s.id::text,
       jsonb_build_object('series', '{SERIES}', 'period', p.period_key, 'unit', u.code,
                          'version', s.version), '198.51.100.7'
FROM submission s JOIN account r ON r.id = s.reviewed_by JOIN unit u ON u.id = s.unit_id
JOIN period p ON p.id = s.period_id
UNION ALL
SELECT s.received_at - interval '2 minutes', a.id, a.login, 'login', 'account', a.login, '{{}}',
       '203.0.113.' || (s.unit_id % 250 + 1)
FROM submission s JOIN account a ON a.id = s.account_id WHERE s.version = 1 AND s.id % 2 = 0
UNION ALL
SELECT c.built_at, CASE WHEN c.kind = 'final' THEN c.approved_by END,
       CASE WHEN c.kind = 'final' THEN 'skhcn.dieuphoi1' ELSE 'baocaod' END,
       CASE WHEN c.kind = 'final' THEN 'approve' ELSE 'cutoff' END, 'period', p.id::text,
       jsonb_build_object('series', '{SERIES}', 'period', p.period_key,
                          'sha256', encode(c.sha256, 'hex')), ''
FROM consolidation c JOIN period p ON p.id = c.period_id
ORDER BY 1;
DROP TABLE bigdb_block, bigdb_round;
"""
    yield "analyze", "ANALYZE;"


def fill(conninfo, units=4000, weeks=12, tasks_per_unit=6, file_kib=10, last_week=None,
         out=sys.stdout):
    """Fills the database; returns the rows of each table that grows with units and weeks.
    last_week: the Monday of the last week filled (a date; default the Monday of the week
    before this one)."""
    if units < 1 or weeks < 1 or not 1 <= tasks_per_unit <= 20 or file_kib < 1:
        raise ValueError("units, weeks and file_kib must be positive; tasks_per_unit 1 to 20")
    if psql(conninfo, "SELECT to_regclass('outbox') IS NOT NULL "
                      "AND to_regclass('consolidation_entry') IS NOT NULL") != [["t"]]:
        raise RuntimeError("the database has no baocao schema: run baocaoctl migrate first")
    if psql(conninfo, "SELECT count(*) FROM unit") != [["0"]]:
        raise RuntimeError("the database has units already: bigdb fills an empty database")
    if last_week is None:
        today = datetime.date.today()
        last_week = today - datetime.timedelta(days=today.weekday() + 7)
    first = last_week - datetime.timedelta(days=7 * (weeks - 1))
    assert first.weekday() == 0, "last_week must be a Monday"
    started = time.monotonic()
    for name, sql in steps(units, weeks, tasks_per_unit, file_kib, first.isoformat()):
        t = time.monotonic()
        psql(conninfo, sql)
        print(f"bigdb: {name}: {time.monotonic() - t:.1f} s", file=out, flush=True)
    tables = ["period_member", "period_task", "submission", "report_item", "consolidation",
              "consolidation_entry", "mail_attachment", "outbox", "audit_log", "job_run"]
    counts = dict(psql(conninfo, " UNION ALL ".join(
        f"SELECT '{t}', count(*) FROM {t}" for t in tables)))
    counts = {t: int(n) for t, n in counts.items()}
    size = psql(conninfo, "SELECT pg_size_pretty(pg_database_size(current_database()))")[0][0]
    print(f"bigdb: {units} units, {weeks} weeks ({first} to {last_week + datetime.timedelta(6)}) "
          f"in {time.monotonic() - started:.1f} s; database {size}; " +
          ", ".join(f"{t} {n:,}" for t, n in counts.items()), file=out, flush=True)
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conninfo", required=True, help="libpq connection string of the database")
    ap.add_argument("--units", type=int, default=4000)
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--tasks-per-unit", type=int, default=6)
    ap.add_argument("--file-kib", type=int, default=10, help="size of each raw workbook")
    ap.add_argument("--last-week", type=datetime.date.fromisoformat,
                    help="the Monday of the last week (default: of last week)")
    a = ap.parse_args(argv)
    try:
        fill(a.conninfo, a.units, a.weeks, a.tasks_per_unit, a.file_kib, a.last_week)
    except (RuntimeError, ValueError) as e:
        print(f"bigdb: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
