"""Fills a downloaded workbook the way a reporter would, with openpyxl (Debian's python3).

    fill_workbook.py IN.xlsx OUT.xlsx right|wrong

right: every task in progress at 60 % with a result. wrong: the same, but the first task's
progress is 150 and the second task's status is a word not in the list. Prints JSON:
{"tasks": N, "cells": ["F7", "E8"]} — the cells made wrong (none for right).
"""
import json
import sys

import openpyxl
from openpyxl.utils import get_column_letter


def main(src, dst, mode):
    wb = openpyxl.load_workbook(src)
    ws = wb["Báo cáo"]
    header = col = None
    for row in ws.iter_rows():
        titles = {c.value: c.column for c in row if isinstance(c.value, str)}
        if "Mã nhiệm vụ" in titles and "Tình trạng" in titles:
            header, col = row[0].row, titles
            break
    if header is None:
        raise SystemExit("no header row in the workbook")
    rows = [r for r in range(header + 1, ws.max_row + 1)
            if ws.cell(row=r, column=col["Mã nhiệm vụ"]).value]
    cells = []
    for n, r in enumerate(rows):
        ws.cell(row=r, column=col["Tình trạng"], value="Đang thực hiện")
        ws.cell(row=r, column=col["Tiến độ (%)"], value=60)
        ws.cell(row=r, column=col["Kết quả thực hiện trong kỳ"],
                value="Đã triển khai các bước của kế hoạch trong tuần.")
        if mode == "wrong" and n == 0:
            ws.cell(row=r, column=col["Tiến độ (%)"], value=150)
            cells.append(f"{get_column_letter(col['Tiến độ (%)'])}{r}")
        if mode == "wrong" and n == 1:
            ws.cell(row=r, column=col["Tình trạng"], value="Xong rồi")
            cells.append(f"{get_column_letter(col['Tình trạng'])}{r}")
    wb.save(dst)
    print(json.dumps({"tasks": len(rows), "cells": cells}))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("right", "wrong"):
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
