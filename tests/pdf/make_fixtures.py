#!/usr/bin/env python3
"""Makes the signed PDFs the signature tests read: a certificate chain of its own (root CA,
intermediate CA, signers), another root nobody trusts, an expired signer, and PDFs written here
and signed the standard way (an incremental update with a /Type /Sig dictionary, its ByteRange
filled in, the two ranges signed by `openssl cms -sign`, the hex written into /Contents).

usage: make_fixtures.py OUTDIR

Writes into OUTDIR: roots.pem (the trusted root), other-root.pem (the untrusted one) and
unsigned.pdf, valid.pdf, noattr.pdf (no signed attributes: the time is the dictionary's /M),
modified.pdf (an update appended after signing), invalid.pdf (a signed byte changed),
untrusted.pdf, expired.pdf, two.pdf (two signatures, two signers), covered.pdf (a change after
the first signature, signed over by an untrusted second).
Debian's /usr/bin/python3 and the openssl command; nothing else.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# The /M of every signature dictionary: 10:42 on 4 December 2026 in Vietnam.
SIG_DATE = "D:20261204104200+07'00'"
# Room for the signature: 8 KiB of DER as hex.
CONTENTS_BYTES = 8192

CA_CONF = """
[ca]
default_ca = ca_default
[ca_default]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/new
serial = {dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
utf8 = yes
string_mask = utf8only
[policy_any]
commonName = supplied
organizationName = optional
countryName = optional
[req]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
[dn]
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_signer]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args, cwd):
    """Runs the openssl command; raises with its output when it fails."""
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True)
    if r.returncode != 0:
        raise SystemExit("openssl %s failed:\n%s" % (" ".join(args),
                                                     r.stderr.decode(errors="replace")))
    return r.stdout


class CA:
    """A certificate authority kept in a folder of its own (openssl ca's database)."""

    def __init__(self, work, name):
        self.dir = work / name
        (self.dir / "new").mkdir(parents=True)
        (self.dir / "index.txt").write_text("")
        (self.dir / "serial").write_text("1000\n")
        self.conf = self.dir / "ca.cnf"
        self.conf.write_text(CA_CONF.format(dir=self.dir))
        self.work = work

    def issue(self, name, subject, ext, start, end, issuer=None):
        """Makes a key and a certificate name.key, name.crt signed by issuer (a CA) or by
        itself (issuer None) and valid from start to end (YYYYMMDDHHMMSSZ)."""
        key, csr, crt = (str(self.work / (name + s)) for s in (".key", ".csr", ".crt"))
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", key, cwd=self.work)
        openssl("req", "-new", "-utf8", "-config", str(self.conf), "-key", key,
                "-subj", subject, "-out", csr, cwd=self.work)
        ca = issuer or self
        args = ["ca", "-batch", "-utf8", "-config", str(ca.conf), "-extensions", ext,
                "-startdate", start, "-enddate", end, "-in", csr, "-out", crt, "-notext"]
        if issuer is None:
            args += ["-selfsign", "-keyfile", key]
        else:
            args += ["-cert", str(ca.crt), "-keyfile", str(ca.key)]
        openssl(*args, cwd=self.work)
        return key, crt

    def make_root(self, subject):
        self.key, self.crt = self.issue(self.dir.name, subject, "v3_ca", "20200101000000Z",
                                        "20451231000000Z")
        return self


def pdf_objects(objs):
    """Serialises numbered objects {num: body}: (bytes, {num: offset relative})."""
    out, offsets = b"", {}
    for num, body in objs:
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    return out, offsets


def xref_section(offsets, base):
    """An xref table of the given objects (offsets relative to base), one subsection each."""
    out = b"xref\n"
    for num in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (num, base + offsets[num])
    return out


def unsigned_pdf():
    """A one-page PDF with a line of text, written by hand: objects, xref, trailer."""
    text = b"BT /F1 18 Tf 72 760 Td (Bao cao tuan - So Tai chinh) Tj ET"
    objs = [
        (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        (4, b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"),
        (5, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
    ]
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    body, offsets = pdf_objects(objs)
    xref_at = len(head) + len(body)
    out = head + body + b"xref\n0 6\n0000000000 65535 f \n"
    for num in range(1, 6):
        out += b"%010d 00000 n \n" % (len(head) + offsets[num])
    out += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return out


def last_startxref(pdf):
    return int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])


def sign(pdf, work, signer_key, signer_crt, chain, field, next_num, noattr=False):
    """Appends a signature field and its /Type /Sig dictionary as an incremental update and
    signs it: returns the signed file. next_num: the first free object number."""
    sig_num, widget_num = next_num, next_num + 1
    fields = b" ".join(b"%d 0 R" % n for n in field["all_widgets"] + [widget_num])
    placeholder = b"/ByteRange [0 0000000000 0000000000 0000000000]"
    objs = [
        (sig_num, b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
                  + placeholder + b" /Contents <" + b"0" * (2 * CONTENTS_BYTES) + b">"
                  b" /M (" + SIG_DATE.encode() + b") /Reason (Ky bao cao) >>"),
        (widget_num, b"<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /F 132 "
                     b"/P 3 0 R /T (" + field["name"].encode() + b") /V %d 0 R >>" % sig_num),
        (1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [" + fields +
            b"] /SigFlags 3 >> >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> /Annots [" + fields + b"] >>"),
    ]
    if not pdf.endswith(b"\n"):
        pdf += b"\n"
    body, offsets = pdf_objects(objs)
    base = len(pdf)
    xref_at = base + len(body)
    size = widget_num + 1
    update = body + xref_section(offsets, base)
    update += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, last_startxref(pdf), xref_at)
    out = bytearray(pdf + update)
    # The ByteRange: everything but the /Contents hex string (its < and > included).
    start = out.index(b"/Contents <", base) + len(b"/Contents ")
    end = out.index(b">", start) + 1
    br = b"/ByteRange [0 %d %d %d]" % (start, end, len(out) - end)
    at = out.index(placeholder, base)
    out[at:at + len(placeholder)] = br.ljust(len(placeholder))
    signed = bytes(out[:start]) + bytes(out[end:])
    (work / "tosign.bin").write_bytes(signed)
    args = ["cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-nosmimecap",
            "-signer", signer_crt, "-inkey", signer_key, "-in", "tosign.bin", "-out", "sig.der"]
    if chain:
        args += ["-certfile", chain]
    if noattr:
        args.append("-noattr")
    openssl(*args, cwd=work)
    der = (work / "sig.der").read_bytes()
    assert len(der) <= CONTENTS_BYTES
    hexsig = der.hex().encode().ljust(2 * CONTENTS_BYTES, b"0")
    out[start + 1:end - 1] = hexsig
    field["all_widgets"].append(widget_num)
    return bytes(out)


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_fixtures.py OUTDIR")
    outdir = Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="baocao-pdf-"))
    try:
        root = CA(work, "root").make_root("/O=Baocao Test/CN=Baocao Test Root CA")
        inter = CA(work, "inter")
        inter.key, inter.crt = root.issue("inter", "/O=Baocao Test/CN=Baocao Test Sub CA",
                                          "v3_ca", "20200101000000Z", "20451231000000Z", root)
        a_key, a_crt = inter.issue("signer-a", "/C=VN/O=Sở Tài chính/CN=Nguyễn Văn A",
                                   "v3_signer", "20200101000000Z", "20441231000000Z", inter)
        b_key, b_crt = inter.issue("signer-b", "/C=VN/O=Sở Nội vụ/CN=Trần Thị B",
                                   "v3_signer", "20200101000000Z", "20441231000000Z", inter)
        old_key, old_crt = inter.issue("signer-old", "/C=VN/O=Sở Xây dựng/CN=Lê Văn C",
                                       "v3_signer", "20200101000000Z", "20210101000000Z",
                                       inter)
        other = CA(work, "other").make_root("/O=Nobody/CN=Untrusted Root CA")
        x_key, x_crt = other.issue("signer-x", "/C=VN/O=Công ty Lạ/CN=Phạm Văn D",
                                   "v3_signer", "20200101000000Z", "20441231000000Z", other)
        shutil.copyfile(root.crt, outdir / "roots.pem")
        shutil.copyfile(other.crt, outdir / "other-root.pem")
        chain = str(inter.crt)

        base = unsigned_pdf()
        files = {"unsigned.pdf": base}

        def signed(key, crt, ca_chain, **kw):
            field = {"name": "Signature1", "all_widgets": []}
            return sign(base, work, key, crt, ca_chain, field, 6, **kw), field

        valid, field = signed(a_key, a_crt, chain)
        files["valid.pdf"] = valid
        files["noattr.pdf"] = signed(a_key, a_crt, chain, noattr=True)[0]
        files["untrusted.pdf"] = signed(x_key, x_crt, None)[0]
        files["expired.pdf"] = signed(old_key, old_crt, chain)[0]
        # An update after signing: a new page content stream and the xref that points to it.
        extra = b"BT /F1 18 Tf 72 700 Td (Da sua sau khi ky) Tj ET"
        body = b"4 0 obj\n<< /Length %d >>\nstream\n" % len(extra) + extra + \
            b"\nendstream\nendobj\n"
        at = len(valid)
        files["modified.pdf"] = valid + body + b"xref\n4 1\n%010d 00000 n \n" % at + \
            b"trailer\n<< /Size 8 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
                last_startxref(valid), at + len(body))
        # A signed byte changed: the text of the page.
        i = valid.index(b"So Tai chinh")
        files["invalid.pdf"] = valid[:i] + b"So Xay dung!" + valid[i + 12:]
        field["name"] = "Signature2"
        files["two.pdf"] = sign(valid, work, b_key, b_crt, chain, field, 8)
        # The update after signing covered by a second signature nobody trusts: it vouches
        # for nothing, and the first is modified.
        files["covered.pdf"] = sign(files["modified.pdf"], work, x_key, x_crt, None,
                                    dict(field), 8)
        for name, data in files.items():
            (outdir / name).write_bytes(data)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
