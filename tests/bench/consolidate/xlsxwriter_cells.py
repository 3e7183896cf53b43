#!/usr/bin/python3
"""Debian's python3-xlsxwriter writing the cells of a dump of consolidate_bench (`cells` mode):
the same cells and the one format the bare libxlsxwriter program writes, in constant-memory
mode. Part of tests/bench/consolidate/run, not a test.

    xlsxwriter_cells.py CELLS.tsv OUT.xlsx
"""
import sys

import xlsxwriter

ESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def unescape(s):
    if "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append(ESCAPES.get(s[i + 1], s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    wb = xlsxwriter.Workbook(dst, {"constant_memory": True})
    fmt = wb.add_format({"font_name": "Times New Roman", "border": 1, "text_wrap": True})
    sheets = []
    with open(src, encoding="utf-8", newline="\n") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                sheets.append(wb.add_worksheet(line[1:]))
                continue
            sheet, row, col, kind, value = line.split("\t", 4)
            ws = sheets[int(sheet)]
            if kind == "n":
                ws.write_number(int(row), int(col), float(value), fmt)
            else:
                ws.write_string(int(row), int(col), unescape(value), fmt)
    wb.close()


if __name__ == "__main__":
    main()
