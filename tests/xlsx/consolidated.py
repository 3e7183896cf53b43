#!/usr/bin/python3
"""The consolidated workbook read by others: openpyxl and LibreOffice; prints TAP.

usage: consolidated.py FIXTURE_PROGRAM OUT_DIR

FIXTURE_PROGRAM (tests/xlsx/consolidated_fixture) writes the tests' consolidated report and a
JSON file of what it must contain. Debian's openpyxl reads it independently of our reader: the
sheet names, the counts on "Tổng hợp", every item once in "Chi tiết", every missing unit in
"Chưa báo cáo", numbers as numbers, the print settings. LibreOffice converts it to PDF (A4
landscape) and pdftoppm draws the first page; OUT_DIR keeps consolidated.xlsx, .pdf and
consolidated-page1.png to look at.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SHEETS = ['Tổng hợp', 'Chi tiết', 'Chậm tiến độ', 'Kiến nghị', 'Chưa báo cáo', 'Đánh giá',
          'Chuyên cần']
STATES = ['Đúng hạn', 'Nộp muộn', 'Chưa báo cáo', 'Trả lại để bổ sung']


def column(ws, col):
    """The (row, value) pairs of a column's non-empty cells."""
    cells = next(ws.iter_cols(min_col=col, max_col=col))
    return [(c.row, c.value) for c in cells if c.value is not None]


def row_of(ws, col, text):
    """The first row whose cell in col equals text, or None."""
    for row, value in column(ws, col):
        if value == text:
            return row
    return None


def check_names(wb, facts):
    if wb.sheetnames != SHEETS or facts['sheets'] != SHEETS:
        return 'sheets %r, fixture %r' % (wb.sheetnames, facts['sheets'])
    return None


def check_summary(wb, facts):
    ws = wb['Tổng hợp']
    want = [('Số đơn vị phải báo cáo', facts['expected'])]
    want += [(s, facts['by_state'][s]) for s in STATES]
    want += [(s, n) for s, n in facts['by_status'].items()]
    want.append(('Tổng số', facts['items']))
    for label, n in want:
        row = row_of(ws, 1, label)
        if row is None:
            return 'no row %r' % label
        got = ws.cell(row, 3).value
        if not isinstance(got, (int, float)) or got != n:
            return '%r: %r, want %r' % (label, got, n)
        share = ws.cell(row, 4)
        if facts['expected'] and not isinstance(share.value, float) and share.value != 1:
            return '%r: the share %r is not a number' % (label, share.value)
        if share.number_format != '0.0%':
            return '%r: the share is formatted %r' % (label, share.number_format)
    for i, unit in enumerate(facts['units'], 1):
        row = row_of(ws, 2, unit['name'])
        if row is None:
            return 'unit %r not listed' % unit['name']
        if ws.cell(row, 1).value != i or ws.cell(row, 3).value != unit['state']:
            return 'unit %r: %r %r' % (unit['name'], ws.cell(row, 1).value,
                                       ws.cell(row, 3).value)
        total = ws.cell(row, 9).value
        if total != len(unit['items']):
            return 'unit %r: %r items, want %d' % (unit['name'], total, len(unit['items']))
    return None


def check_detail(wb, facts):
    ws = wb['Chi tiết']
    codes = [v for _, v in column(ws, 2) if isinstance(v, str) and v.startswith('NQ57-')]
    want = sorted(code for unit in facts['units'] for code in unit['items'])
    if sorted(codes) != want:
        return 'items %r, want %r' % (sorted(codes), want)
    if len(set(codes)) != len(codes):
        return 'an item is listed twice'
    header = row_of(ws, 6, 'Tiến độ (%)')
    for row, value in column(ws, 6):
        if row > header and not isinstance(value, (int, float)):
            return 'progress %r in row %d is not a number' % (value, row)
    return None


def check_missing(wb, facts):
    ws = wb['Chưa báo cáo']
    header = row_of(ws, 2, 'Mã đơn vị')
    codes = [v for r, v in column(ws, 2) if r > header]
    want = [u['code'] for u in facts['units'] if u['missing']]
    if codes != want:
        return 'missing units %r, want %r' % (codes, want)
    for unit in facts['units']:
        if unit['missing']:
            row = row_of(ws, 2, unit['code'])
            contacts = ws.cell(row, 5).value or ''
            if contacts != '; '.join(unit['emails']):
                return '%s: contacts %r' % (unit['code'], contacts)
    return None


def check_print(wb, facts):
    for ws in wb.worksheets:
        ps = ws.page_setup
        if ps.orientation != 'landscape' or str(ps.paperSize) != '9':
            return '%s: %s, paper %s' % (ws.title, ps.orientation, ps.paperSize)
        # fitToWidth="1" is the default, which libxlsxwriter leaves out.
        if not ws.sheet_properties.pageSetUpPr.fitToPage or (ps.fitToWidth or 1) != 1 \
                or ps.fitToHeight != 0:
            return '%s: not fitted to the page width' % ws.title
        m = ws.page_margins
        if not (0.78 <= m.top <= 0.99 and 0.78 <= m.bottom <= 0.99
                and 1.18 <= m.left <= 1.38 and 0.59 <= m.right <= 0.79):
            return '%s: margins %r %r %r %r' % (ws.title, m.top, m.bottom, m.left, m.right)
        if ws.title != 'Đánh giá' and not ws.print_title_rows:
            return '%s: no rows repeated on printed pages' % ws.title
        if '&P' not in (ws.oddFooter.right.text or ''):
            return '%s: no page number in the footer' % ws.title
        for row in ws.iter_rows(min_row=1, max_row=12):
            for c in row:
                if c.value is not None and c.font.name != 'Times New Roman':
                    return '%s!%s: font %r' % (ws.title, c.coordinate, c.font.name)
    return None


def check_timeliness(wb, facts):
    ws = wb['Chuyên cần']
    row = row_of(ws, 2, 'Sở Nội vụ')
    marks = [ws.cell(row, c).value for c in range(3, 9)]
    rate = ws.cell(row, 12)
    if marks != ['Đ', 'Đ', 'M', 'Đ', 'Đ', 'Đ'] or abs(rate.value - 5 / 6) > 1e-12:
        return 'Sở Nội vụ: %r, %r' % (marks, rate.value)
    if rate.number_format != '0.0%':
        return 'the rate is formatted %r' % rate.number_format
    return None


def libreoffice(xlsx, out_dir):
    """Converts to PDF and draws page 1; returns an error or None."""
    if shutil.which('soffice') is None or shutil.which('pdftoppm') is None:
        return 'SKIP soffice or pdftoppm is not installed'
    pdf = os.path.join(out_dir, 'consolidated.pdf')
    png = os.path.join(out_dir, 'consolidated-page1')
    for path in (pdf, png + '.png'):
        if os.path.exists(path):
            os.unlink(path)
    with tempfile.TemporaryDirectory(prefix='baocao-lo-') as profile:
        try:
            subprocess.run(['soffice', '-env:UserInstallation=file://' + profile, '--headless',
                            '--norestore', '--convert-to', 'pdf', '--outdir', out_dir, xlsx],
                           check=True, capture_output=True, timeout=180)
            subprocess.run(['pdftoppm', '-png', '-r', '60', '-f', '1', '-l', '1',
                            '-singlefile', pdf, png], check=True, capture_output=True,
                           timeout=60)
        except (subprocess.SubprocessError, OSError) as e:
            return str(e)
    if not os.path.exists(png + '.png'):
        return 'no picture of page 1'
    info = subprocess.run(['pdfinfo', pdf], capture_output=True, text=True).stdout
    size = re.search(r'Page size:\s+([\d.]+) x ([\d.]+)', info)
    pages = re.search(r'Pages:\s+(\d+)', info)
    if not size or abs(float(size.group(1)) - 841.9) > 1 or abs(float(size.group(2)) - 595.3) > 1:
        return 'not A4 landscape: %s' % (size.group(0) if size else info)
    if not pages or int(pages.group(1)) < len(SHEETS):
        return 'fewer pages than sheets: %s' % (pages.group(0) if pages else info)
    return None


def main():
    fixture, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    xlsx = os.path.join(out_dir, 'consolidated.xlsx')
    facts_path = os.path.join(out_dir, 'consolidated.json')
    subprocess.run([fixture, '--json', facts_path, xlsx], check=True, timeout=60)
    with open(facts_path, encoding='utf-8') as f:
        facts = json.load(f)
    import openpyxl
    wb = openpyxl.load_workbook(xlsx)
    checks = [
        ('sheet names exact, in order', lambda: check_names(wb, facts)),
        ('"Tổng hợp": the counts and units of the fixture', lambda: check_summary(wb, facts)),
        ('"Chi tiết": every item once', lambda: check_detail(wb, facts)),
        ('"Chưa báo cáo": every missing unit and its contacts',
         lambda: check_missing(wb, facts)),
        ('"Chuyên cần": marks and the on-time rate as a number',
         lambda: check_timeliness(wb, facts)),
        ('print settings: A4 landscape, margins, one page wide, repeated rows, page numbers, '
         'Times New Roman', lambda: check_print(wb, facts)),
        ('LibreOffice prints it (PDF, page 1 as PNG)', lambda: libreoffice(xlsx, out_dir)),
    ]
    print('1..%d' % len(checks), flush=True)
    failed = 0
    for i, (name, check) in enumerate(checks, 1):
        try:
            err = check()
        except Exception as e:  # a crash in a check is that check's failure
            err = '%s: %s' % (type(e).__name__, e)
        if err and err.startswith('SKIP '):
            print('ok %d - %s # %s' % (i, name, err))
        elif err:
            failed += 1
            print('not ok %d - %s' % (i, name))
            print('# ' + err)
        else:
            print('ok %d - %s' % (i, name), flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
