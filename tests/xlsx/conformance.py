#!/usr/bin/python3
"""Conformance of `baocaoctl xlsx dump` with openpyxl over real workbooks; prints TAP.

usage: conformance.py DUMP_PROGRAM CORPUS_DIR

For each .xlsx/.xlsm under CORPUS_DIR: if Debian's openpyxl reads it (data_only=True), our dump
must give the same sheets (names, states, order) and the same non-empty cells (types and values;
dates to the second; numbers to the last bit). If openpyxl refuses it, ours must refuse it with an
error code and exit status 1, never crash. Files listed in DIFFERENCES are known to differ, each
for the reason given; they must still not crash.
"""
import concurrent.futures
import datetime
import json
import math
import os
import re
import subprocess
import sys
import warnings

# Files whose reading justifiably differs from openpyxl's, with the reason. Keep this short.
DIFFERENCES = {
    'calamine/empty_s_attribute.xlsx':
        'cells with s="" (an empty style index): openpyxl fails on int(""); Excel opens the file, '
        'we read the cells with the default style',
    'calamine/issue_419.xlsx':
        'the shared strings are stored as xl/SharedStrings.xml but named sharedStrings.xml: OPC '
        'part names are case-insensitive (ECMA-376-2 §9.1.1.1), openpyxl looks them up exactly',
    'calamine/issue_530.xlsx':
        'the zip entry names use Windows separators (xl\\workbook.xml): openpyxl finds no parts, '
        'we fall back to them when the OPC name is not found',
    'calamine/minimal_package.xlsx':
        'the workbook parts sit at the root of the zip, reached through the relationships: '
        'openpyxl fails with IndexError, we follow _rels/.rels as OPC requires',
    'libxlsxwriter/chartsheet03.xlsx':
        'the chartsheet is state="hidden" in workbook.xml: openpyxl ignores the state of '
        'chartsheets and says visible',
}

# Differences by rule rather than by file, applied to every cell:
# - openpyxl 3.0.9 leaves the _xHHHH_ escapes of ECMA-376 §22.4.2.4 in strings (only dropping
#   "x005F_" from shared strings); we decode them, as Excel does. A string of ours is accepted if
#   it equals openpyxl's with the escapes decoded.
ESCAPE = re.compile(r'_x([0-9A-Fa-f]{4})_')


def unescape(s):
    """Decodes _xHHHH_ escapes as Excel does."""
    return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)


def serial_to_text(v, date1904):
    """Our rendering of a date serial (see xlsx_serial_to_datetime), to the second."""
    day = math.floor(v)
    ms = round((v - day) * 86400.0 * 1000.0)
    if date1904:
        base = datetime.datetime(1904, 1, 1)
    else:
        base = datetime.datetime(1899, 12, 30)
        if 1 <= v < 60:
            day += 1
    return fmt_dt(base + datetime.timedelta(days=day, milliseconds=ms))


def fmt_dt(dt):
    """YYYY-MM-DDTHH:MM:SS, truncating fractions of a second."""
    return '%04d-%02d-%02dT%02d:%02d:%02d' % (dt.year, dt.month, dt.day, dt.hour, dt.minute,
                                              dt.second)


def expected_value(v, date1904):
    """openpyxl's value as (type letter, value) in the terms of our dump; None for empty."""
    if v is None or v == '':
        return None
    if isinstance(v, bool):
        return ('b', v)
    if isinstance(v, (int, float)):
        return ('n', float(v))
    if isinstance(v, datetime.datetime):
        return ('d', fmt_dt(v))
    if isinstance(v, datetime.date):
        return ('d', fmt_dt(datetime.datetime(v.year, v.month, v.day)))
    if isinstance(v, datetime.time):
        base = datetime.datetime(1904, 1, 1) if date1904 else datetime.datetime(1899, 12, 30)
        return ('d', fmt_dt(base.replace(hour=v.hour, minute=v.minute, second=v.second)))
    if isinstance(v, datetime.timedelta):
        return ('d', serial_to_text(v.total_seconds() / 86400.0, date1904))
    return ('s', str(v))


STRICT = [
    (b'http://purl.oclc.org/ooxml/spreadsheetml/main',
     b'http://schemas.openxmlformats.org/spreadsheetml/2006/main'),
    (b'http://purl.oclc.org/ooxml/officeDocument/relationships',
     b'http://schemas.openxmlformats.org/officeDocument/2006/relationships'),
]


def transitional_copy(path):
    """A Strict OOXML workbook rewritten with transitional namespaces, which openpyxl 3.0.9
    understands (it reads no sheets from Strict files), or None for a transitional one."""
    import io
    import zipfile
    try:
        with zipfile.ZipFile(path) as z:
            if not any(STRICT[0][0] in z.read(n) for n in z.namelist() if n.endswith('.xml')):
                return None
            out = io.BytesIO()
            with zipfile.ZipFile(out, 'w') as w:
                for n in z.namelist():
                    data = z.read(n)
                    for a, b in STRICT:
                        data = data.replace(a, b)
                    w.writestr(n, data)
            return out
    except Exception:  # noqa: BLE001 - broken zips are judged by openpyxl itself below
        return None


def read_openpyxl(path):
    """The workbook as openpyxl reads it, or the exception's text."""
    import openpyxl
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            src = transitional_copy(path) or path
            wb = openpyxl.load_workbook(src, read_only=False, data_only=True)
        except Exception as e:  # noqa: BLE001 - any refusal counts
            return None, '%s: %s' % (type(e).__name__, e)
    date1904 = wb.epoch == datetime.datetime(1904, 1, 1)
    sheets = []
    for ws in wb._sheets:
        cells = {}
        for (row, col), cell in getattr(ws, '_cells', {}).items():
            if cell.data_type == 'e' and isinstance(cell.value, str):
                ev = ('e', cell.value)
            else:
                ev = expected_value(cell.value, date1904)
            if ev is not None:
                cells[cell.coordinate] = ev
        sheets.append({'name': ws.title, 'state': ws.sheet_state, 'cells': cells})
    return sheets, None


def compare(expected, got):
    """The first difference between openpyxl's sheets and our dump, or None."""
    names_e = [(s['name'], s['state']) for s in expected]
    names_g = [(s['name'], s['state']) for s in got]
    if names_e != names_g:
        return 'sheets differ: openpyxl %r, ours %r' % (names_e, names_g)
    for se, sg in zip(expected, got):
        cells = {}
        for ref, typ, val in sg['cells']:
            if ref in cells:
                return '%s!%s: given twice' % (sg['name'], ref)
            cells[ref] = (typ, val)
        for ref in sorted(set(se['cells']) | set(cells)):
            e = se['cells'].get(ref)
            g = cells.get(ref)
            if e == g:
                continue
            if e is not None and g is not None and e[0] == g[0]:
                if e[0] == 'n' and float(g[1]) == e[1]:
                    continue
                if e[0] == 's' and unescape(e[1]) == g[1]:
                    continue
            return '%s!%s: openpyxl %r, ours %r' % (se['name'], ref, e, g)
    return None


def check(args):
    """Checks one file; returns (ok, path, comment)."""
    dump, path, rel = args
    expected, refusal = read_openpyxl(path)
    try:
        proc = subprocess.run([dump, 'dump', path], capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return False, rel, 'dump took over 60 s'
    err = proc.stderr.decode('utf-8', 'replace').strip()
    if proc.returncode not in (0, 1):
        return False, rel, 'dump crashed or failed (status %d): %s' % (proc.returncode, err[:300])
    if proc.returncode == 1 and not re.match(r'xlsx_[a-z0-9_]+: ', err):
        return False, rel, 'refusal without an error code: %s' % err[:300]
    known = DIFFERENCES.get(rel)
    if expected is None:
        if proc.returncode == 1:
            return True, rel, 'both refuse: %s / %s' % (refusal[:100], err.splitlines()[0][:100])
        if known:
            return True, rel, 'known difference: ' + known
        return False, rel, 'openpyxl refuses (%s) but ours reads it' % refusal[:200]
    if proc.returncode == 1:
        if known:
            return True, rel, 'known difference: ' + known
        return False, rel, 'openpyxl reads it but ours refuses: %s' % err[:300]
    try:
        got = json.loads(proc.stdout)['sheets']
    except ValueError as e:
        return False, rel, 'dump is not JSON: %s' % e
    diff = compare(expected, got)
    if diff is None:
        return True, rel, ''
    if known:
        return True, rel, 'known difference: ' + known
    return False, rel, diff


def main():
    dump, corpus = sys.argv[1], sys.argv[2]
    if not os.path.isdir(corpus):
        print('1..0 # SKIP no corpus at %s' % corpus)
        return 0
    files = []
    for root, _dirs, names in os.walk(corpus):
        for name in names:
            if name.lower().endswith(('.xlsx', '.xlsm')):
                path = os.path.join(root, name)
                files.append((dump, path, os.path.relpath(path, corpus)))
    files.sort(key=lambda f: f[2])
    print('1..%d' % len(files), flush=True)
    failed = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for k, (ok, rel, comment) in enumerate(pool.map(check, files, chunksize=4), 1):
            failed += not ok
            print('%s %d - %s' % ('ok' if ok else 'not ok', k, rel), flush=True)
            if comment:
                print('# ' + comment.replace('\n', ' '), flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
