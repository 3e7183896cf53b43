"""Makes a workbook of exactly SIZE bytes, as a reporter's file with a large picture would be.

    pad_workbook.py IN.xlsx OUT.xlsx SIZE

Copies every part of IN.xlsx and adds xl/media/padding.bin of random (incompressible) bytes,
stored without compression and sized so that OUT.xlsx is SIZE bytes. The reader skips a part no
sheet refers to, so the workbook is accepted as IN.xlsx would be.
"""
import os
import sys
import zipfile


def write(src, dst, pad):
    """Writes dst: every part of src and pad random bytes stored; returns dst's size."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/media/padding.bin", os.urandom(pad), compress_type=zipfile.ZIP_STORED)
    return os.path.getsize(dst)


def main(src, dst, size):
    """The padding's headers cost the same whatever its length: one try measures them."""
    got = write(src, dst, 0)
    if got > size:
        raise SystemExit(f"{src} is already larger than {size} bytes")
    got = write(src, dst, size - got)
    if got != size:
        raise SystemExit(f"made {got} bytes, not {size}")
    print(got)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
