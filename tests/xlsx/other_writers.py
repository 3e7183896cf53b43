#!/usr/bin/python3
"""Reads workbooks saved by LibreOffice and gnumeric, made at test time; prints TAP.

usage: other_writers.py DUMP_PROGRAM

A source workbook with Vietnamese text, numbers, dates, a boolean, an error and formulas (without
cached values) is written with openpyxl; LibreOffice (soffice --headless --convert-to xlsx) and
gnumeric (ssconvert) open it, compute the formulas and save it as .xlsx. Our dump of each must
give exactly the expected sheets and cells, and agree with openpyxl's reading of the same file.
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conformance  # noqa: E402

ROWS = [
    ('Sở Tài chính', 12, 1500.5, datetime.datetime(2026, 11, 20, 8, 30), 'Đúng hạn'),
    ('Sở Y tế', 7, 0.25, datetime.datetime(2026, 11, 19, 17, 45, 5), 'Trễ 1 ngày'),
    ('UBND huyện Kỳ Anh', 21, 1234567.5, datetime.datetime(2026, 11, 21), 'Ghi chú: “đã duyệt”'),
]


def make_source(path):
    """Writes the source workbook with openpyxl; formulas carry no cached values."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = 'Báo cáo tuần'
    ws.append(['Đơn vị', 'Số hồ sơ', 'Đơn giá', 'Thành tiền', 'Ngày nộp', 'Ghi chú'])
    for i, (unit, n, price, when, note) in enumerate(ROWS, 2):
        ws.append([unit, n, price, '=B%d*C%d' % (i, i), when, note])
        ws.cell(i, 5).number_format = 'dd/mm/yyyy hh:mm:ss'
    ws.append(['Tổng cộng', '=SUM(B2:B4)', None, '=SUM(D2:D4)', '=MAX(E2:E4)',
               '=IF(B5>30,"Vượt chỉ tiêu","Đạt")'])
    ws['E5'].number_format = 'dd/mm/yyyy'
    ws['A7'] = 'Kiểm tra'
    ws['B7'] = '=B5>30'
    ws['C7'] = '=1/0'
    ws['D7'] = datetime.date(2026, 11, 20)
    ws['D7'].number_format = 'dd/mm/yyyy'
    ws['E7'] = -0.25
    hidden = wb.create_sheet('Ẩn')
    hidden['A1'] = 'Dữ liệu ẩn'
    hidden['B2'] = 3.14159
    hidden.sheet_state = 'hidden'
    wb.save(path)


def expected(tool):
    """The sheets and cells the writer's file must give, in the dump's terms. The numbers are
    exact in binary so that the writers' 15-digit output cannot change them."""
    cells = {'A1': ('s', 'Đơn vị'), 'B1': ('s', 'Số hồ sơ'), 'C1': ('s', 'Đơn giá'),
             'D1': ('s', 'Thành tiền'), 'E1': ('s', 'Ngày nộp'), 'F1': ('s', 'Ghi chú')}
    for i, (unit, n, price, when, note) in enumerate(ROWS, 2):
        cells['A%d' % i] = ('s', unit)
        cells['B%d' % i] = ('n', float(n))
        cells['C%d' % i] = ('n', price)
        cells['D%d' % i] = ('n', n * price)
        cells['E%d' % i] = ('d', conformance.fmt_dt(when))
        cells['F%d' % i] = ('s', note)
    total = sum(r[1] for r in ROWS)
    cells.update({
        'A5': ('s', 'Tổng cộng'), 'B5': ('n', float(total)),
        'D5': ('n', sum(r[1] * r[2] for r in ROWS)),
        'E5': ('d', conformance.fmt_dt(max(r[3] for r in ROWS))),
        'F5': ('s', 'Vượt chỉ tiêu' if total > 30 else 'Đạt'),
        'A7': ('s', 'Kiểm tra'), 'B7': ('b', total > 30), 'C7': ('e', '#DIV/0!'),
        'D7': ('d', '2026-11-20T00:00:00'), 'E7': ('n', -0.25),
    })
    return [{'name': 'Báo cáo tuần', 'state': 'visible', 'cells': cells},
            # gnumeric 1.12.55 does not keep the state of sheets it imports from .xlsx.
            {'name': 'Ẩn', 'state': 'visible' if tool == 'gnumeric' else 'hidden',
             'cells': {'A1': ('s', 'Dữ liệu ẩn'), 'B2': ('n', 3.14159)}}]


def convert(tool, src, outdir):
    """Has LibreOffice or gnumeric save src as .xlsx; returns the path or raises."""
    if tool == 'libreoffice':
        profile = 'file://' + os.path.join(outdir, 'lo-profile')
        subprocess.run(['soffice', '-env:UserInstallation=' + profile, '--headless',
                        '--convert-to', 'xlsx:Calc MS Excel 2007 XML', '--outdir',
                        os.path.join(outdir, 'lo'), src],
                       check=True, capture_output=True, timeout=120)
        return os.path.join(outdir, 'lo', os.path.basename(src))
    out = os.path.join(outdir, 'gnumeric.xlsx')
    subprocess.run(['ssconvert', '--recalc', '--export-type=Gnumeric_Excel:xlsx2', src, out],
                   check=True, capture_output=True, timeout=120)
    return out


def main():
    dump = sys.argv[1]
    print('1..6', flush=True)
    failed = 0
    k = 0
    with tempfile.TemporaryDirectory(prefix='baocao-xlsx-') as tmp:
        src = os.path.join(tmp, 'nguon.xlsx')
        make_source(src)
        for tool, prog in (('libreoffice', 'soffice'), ('gnumeric', 'ssconvert')):
            if shutil.which(prog) is None:
                for what in ('saves', 'reads as expected', 'agrees with openpyxl'):
                    k += 1
                    print('ok %d - %s %s # SKIP %s is not installed' % (k, tool, what, prog))
                continue
            k += 1
            try:
                path = convert(tool, src, tmp)
                ok = os.path.exists(path)
                why = '' if ok else 'no output file'
            except (subprocess.SubprocessError, OSError) as e:
                ok, why = False, str(e)
            print('%s %d - %s saves the workbook as .xlsx' % ('ok' if ok else 'not ok', k, tool))
            if not ok:
                failed += 3
                print('# ' + why)
                k += 2
                print('not ok %d - %s reads as expected # no file' % (k - 1, tool))
                print('not ok %d - %s agrees with openpyxl # no file' % (k, tool))
                continue
            want = expected(tool)
            proc = subprocess.run([dump, 'dump', path], capture_output=True, timeout=60)
            k += 1
            diff = None
            got = None
            if proc.returncode != 0:
                diff = 'dump failed: ' + proc.stderr.decode('utf-8', 'replace')
            else:
                got = json.loads(proc.stdout)['sheets']
                diff = conformance.compare(want, got)
            print('%s %d - %s file reads as expected' % ('not ok' if diff else 'ok', k, tool))
            if diff:
                failed += 1
                print('# ' + diff)
            k += 1
            theirs, refusal = conformance.read_openpyxl(path)
            diff2 = refusal or (conformance.compare(theirs, got) if got is not None else 'no dump')
            print('%s %d - %s file: ours agrees with openpyxl' % ('not ok' if diff2 else 'ok', k,
                                                                 tool))
            if diff2:
                failed += 1
                print('# ' + diff2)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
