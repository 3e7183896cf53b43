#!/usr/bin/env python3
"""baocaoctl pdf check on the signed PDFs of tests/pdf/make_fixtures.py: each signature's state,
signer, organization, time and Vietnamese line; the trusted certificates from [signatures]
trusted_roots of the configuration or from --trusted-roots; the JSON the API will carry; exit 0
for any PDF it can examine, 1 for a file that is not one."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import BAOCAOCTL, BUILD, SANITIZER_MARKERS, run_tests  # noqa: E402

FIXTURES = Path(os.environ.get("PDF_FIXTURES", BUILD / "tests" / "pdf"))


class Ctx:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="baocao-pdfcheck-"))
        self.conf = self.dir / "baocaod.conf"
        self.conf.write_text("[signatures]\ntrusted_roots = %s\n" % (FIXTURES / "roots.pem"),
                             encoding="utf-8")

    def ctl(self, *args, conf=None, env=None):
        """Runs baocaoctl with the test's configuration (or conf)."""
        r = subprocess.run([BAOCAOCTL, "-c", str(conf or self.conf), *map(str, args)],
                           capture_output=True, text=True, env=dict(os.environ, **(env or {})))
        # Under the sanitizers a report exits 1 too: never taken for a refusal.
        assert not any(m in r.stderr for m in SANITIZER_MARKERS), r.stderr
        return r

    def check(self, name, *args, **kw):
        r = self.ctl("pdf", "check", FIXTURES / name, *args, **kw)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        return r.stdout

    def states(self, name, *args, **kw):
        """The state of each signature, from the JSON output."""
        return [s["state"] for s in json.loads(self.check(name, "--json", *args, **kw))]


def setup():
    for name in ("roots.pem", "valid.pdf", "two.pdf"):
        assert (FIXTURES / name).exists(), f"{FIXTURES / name}: run ninja (tests/pdf)"
    return Ctx()


def teardown(ctx):
    if ctx is not None:
        for f in ctx.dir.iterdir():
            f.unlink()
        ctx.dir.rmdir()


def test_valid_from_configuration(ctx):
    out = ctx.check("valid.pdf")
    assert "signature 1: valid" in out, out
    assert "  signer: Nguyễn Văn A\n" in out, out
    assert "  organization: Sở Tài chính\n" in out, out
    assert "  signed at: 20" in out and "+07:00\n" in out, out
    assert out.rstrip("\n").splitlines()[-1].startswith("Ký số hợp lệ — Nguyễn Văn A, "
                                                        "Sở Tài chính, "), out


def test_every_state(ctx):
    expect = {"valid.pdf": ["valid"], "noattr.pdf": ["valid"], "modified.pdf": ["modified"],
              "invalid.pdf": ["invalid"], "untrusted.pdf": ["untrusted"],
              "expired.pdf": ["expired"], "two.pdf": ["valid", "valid"], "unsigned.pdf": []}
    got = {name: ctx.states(name) for name in expect}
    assert got == expect, got


def test_lines_and_json(ctx):
    sigs = json.loads(ctx.check("noattr.pdf", "--json"))
    assert sigs == [{"state": "valid", "signer": "Nguyễn Văn A", "organization": "Sở Tài chính",
                     "signed_at": "2026-12-04T10:42:00+07:00",
                     "message": "Ký số hợp lệ — Nguyễn Văn A, Sở Tài chính, "
                                "10 giờ 42 ngày 04/12/2026"}], sigs
    assert ctx.check("unsigned.pdf").endswith("Không có chữ ký số\n")
    assert "Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký — Nguyễn Văn A" in \
        ctx.check("modified.pdf")
    assert "Chữ ký số chưa được tin cậy: " in ctx.check("untrusted.pdf")
    assert "Chứng thư số đã hết hạn (ngày 01/01/2021) — Lê Văn C, Sở Xây dựng" in \
        ctx.check("expired.pdf")
    two = ctx.check("two.pdf")
    assert "signature 2: valid\n  signer: Trần Thị B\n  organization: Sở Nội vụ\n" in two, two
    assert "\n2 chữ ký số: Ký số hợp lệ — Nguyễn Văn A" in two, two


def test_trusted_roots_option(ctx):
    # The option wins over the configuration; "" trusts nothing.
    assert ctx.states("valid.pdf", "--trusted-roots", FIXTURES / "other-root.pem") == \
        ["untrusted"]
    assert ctx.states("valid.pdf", "--trusted-roots", "") == ["untrusted"]
    assert ctx.states("untrusted.pdf", "--trusted-roots", FIXTURES / "other-root.pem") == \
        ["valid"]
    # No configuration file is needed with the option.
    missing = ctx.dir / "none.conf"
    assert ctx.states("valid.pdf", "--trusted-roots", FIXTURES / "roots.pem",
                      conf=missing) == ["valid"]
    r = ctx.ctl("pdf", "check", FIXTURES / "valid.pdf", conf=missing)
    assert r.returncode == 1 and "--trusted-roots" in r.stderr, (r.returncode, r.stderr)
    # A trusted-roots file that holds no certificate is an error, not "trust nothing".
    r = ctx.ctl("pdf", "check", FIXTURES / "valid.pdf", "--trusted-roots",
                FIXTURES / "unsigned.pdf")
    assert r.returncode == 1 and "no PEM certificate" in r.stderr, (r.returncode, r.stderr)


def test_configuration_without_roots(ctx):
    conf = ctx.dir / "noroots.conf"
    conf.write_text("[signatures]\ntrusted_roots =\n", encoding="utf-8")
    assert ctx.states("valid.pdf", conf=conf) == ["untrusted"]


def test_judged_at_the_clock(ctx):
    # The certificates are judged at baocaoctl's clock: in 2046 the signer's has run out.
    env = {"BAOCAO_FAKE_NOW": "2046-01-01T00:00:00+07:00"}
    assert ctx.states("valid.pdf", env=env) == ["expired"]


def test_not_a_pdf(ctx):
    bad = ctx.dir / "not.pdf"
    bad.write_bytes(b"hello, not a PDF\n")
    r = ctx.ctl("pdf", "check", bad)
    assert r.returncode == 1 and "not a PDF" in r.stderr, (r.returncode, r.stderr)
    cut = ctx.dir / "cut.pdf"
    cut.write_bytes((FIXTURES / "unsigned.pdf").read_bytes()[:300])
    r = ctx.ctl("pdf", "check", cut)
    assert r.returncode == 1 and "%%EOF" in r.stderr, (r.returncode, r.stderr)
    r = ctx.ctl("pdf", "check", ctx.dir / "absent.pdf")
    assert r.returncode == 1, r
    # Cut inside the signed bytes: still a PDF, its signature invalid, exit 0.
    cut.write_bytes((FIXTURES / "valid.pdf").read_bytes()[:-100])
    r = ctx.ctl("pdf", "check", cut, "--json")
    assert r.returncode == 0, r
    assert [s["state"] for s in json.loads(r.stdout)] == ["invalid"], r.stdout


def test_usage(ctx):
    r = ctx.ctl("pdf")
    assert r.returncode == 1 and "pdf check FILE.pdf" in r.stderr, r
    r = ctx.ctl("--help")
    assert "pdf check FILE.pdf [--trusted-roots PEM]" in r.stdout, r.stdout


if __name__ == "__main__":
    sys.exit(run_tests([test_valid_from_configuration, test_every_state, test_lines_and_json,
                        test_trusted_roots_option, test_configuration_without_roots,
                        test_judged_at_the_clock, test_not_a_pdf, test_usage],
                       setup=setup, teardown=teardown))
