"""The mail module against a real SMTP server (Debian's aiosmtpd) and Python's email parser.

meson passes the test driver's path in MAIL_SEND_TOOL (tests/mail/mail_send_tool.c); it formats,
sends or spools one message described in JSON.
"""
import email
import email.policy
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, free_port, run_tests  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402

TOOL = os.environ.get("MAIL_SEND_TOOL", str(BUILD / "tests" / "mail" / "mail_send_tool"))
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUBJECT = ("Nhắc nộp báo cáo tuần 50 năm 2026: Sở Văn hóa, Thể thao và Du lịch tỉnh Hà Tĩnh "
           "chưa nộp báo cáo tổng hợp — hạn chót 17 giờ thứ Sáu")
TEXT = ("Kính gửi đồng chí Trưởng phòng,\n\nĐơn vị chưa nộp báo cáo tuần 50.\n"
        ".dòng bắt đầu bằng dấu chấm\nTrân trọng.\n")
TEXT_CRLF = TEXT.replace("\n", "\r\n")
HTML = "<p>Kính gửi đồng chí Trưởng phòng,</p><p>Đơn vị chưa nộp báo cáo tuần 50.</p>"
FILENAME = "Báo cáo tổng hợp tuần 50.xlsx"


class Handler:
    """Accepts every message and keeps it, except recipients whose local part names a refusal:
    reject550@ gets 550 and tempfail451@ gets 451 to RCPT."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject550@"):
            return "550 5.1.1 No such user here"
        if address.startswith("tempfail451@"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  bytes(envelope.original_content)))
        return "250 2.0.0 Message accepted for delivery"


class Ctx:
    pass


def setup():
    c = Ctx()
    c.tmp = Path(tempfile.mkdtemp(prefix="baocao-mail-"))
    c.attachment = os.urandom(20000) + b"PK\x03\x04" + bytes(range(256))
    (c.tmp / "report.xlsx").write_bytes(c.attachment)
    c.handler = Handler()
    c.smtp = Controller(c.handler, hostname="127.0.0.1", port=free_port())
    c.smtp.start()
    return c


def teardown(c):
    if c is None:
        return
    try:
        c.smtp.stop()
    finally:
        subprocess.run(["rm", "-rf", str(c.tmp)], check=False)


def message(c, to="truongphong@sovhttdl.example.vn", message_id="<w50.unit12@baocao.example.vn>"):
    return {
        "from": "Hệ thống báo cáo <baocao@example.vn>",
        "reply_to": "vanphong@example.vn",
        "to": to,
        "subject": SUBJECT,
        "text": TEXT,
        "html": HTML,
        "message_id": message_id,
        "date": 1765000000,
        "attachments": [{"filename": FILENAME, "content_type": XLSX_TYPE,
                         "path": str(c.tmp / "report.xlsx")}],
    }


def tool(c, description):
    """Runs the driver with a description; returns its stdout bytes."""
    path = c.tmp / "description.json"
    path.write_text(json.dumps(description), encoding="utf-8")
    r = subprocess.run([TOOL, str(path)], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def send(c, port, **kw):
    """Sends through smtp://127.0.0.1:port; returns (result, detail)."""
    out = tool(c, {"mode": "send", "url": f"smtp://127.0.0.1:{port}", "timeout_ms": 10000,
                   "message": message(c, **kw)}).decode()
    result, _, detail = out.rstrip("\n").partition("\t")
    return result, detail


def check_parsed(c, raw):
    """Parses raw with Python's email package and compares every part with what was sent."""
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(m["subject"]) == SUBJECT, repr(str(m["subject"]))
    assert m["from"].addresses[0].display_name == "Hệ thống báo cáo"
    assert m["from"].addresses[0].addr_spec == "baocao@example.vn"
    assert str(m["to"]) == "truongphong@sovhttdl.example.vn"
    assert str(m["reply-to"]) == "vanphong@example.vn"
    assert str(m["message-id"]) == "<w50.unit12@baocao.example.vn>"
    assert m["date"].datetime.timestamp() == 1765000000
    assert m["mime-version"] == "1.0"
    assert m.get_content_type() == "multipart/mixed"
    body = m.get_body(preferencelist=("plain",))
    assert body.get_content() == TEXT_CRLF, repr(body.get_content())
    assert m.get_body(preferencelist=("html",)).get_content() == HTML
    atts = list(m.iter_attachments())
    assert len(atts) == 1
    assert atts[0].get_filename() == FILENAME, atts[0].get_filename()
    assert atts[0].get_content_type() == XLSX_TYPE
    assert atts[0].get_content() == c.attachment
    for part in m.walk():
        assert not part.defects, (part.get_content_type(), part.defects)
    for line in raw.split(b"\r\n"):
        assert len(line) <= 78, line
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_format_parses_back(c):
    raw = tool(c, {"mode": "format", "message": message(c)})
    check_parsed(c, raw)


def test_send_arrives_intact(c):
    before = len(c.handler.messages)
    result, detail = send(c, c.smtp.port)
    assert result == "sent", detail
    assert detail.startswith("250"), detail
    assert len(c.handler.messages) == before + 1
    mail_from, rcpts, raw = c.handler.messages[-1]
    assert mail_from == "baocao@example.vn"
    assert rcpts == ["truongphong@sovhttdl.example.vn"]
    check_parsed(c, raw)
    # The bytes on the wire are exactly the composed message (curl's dot-stuffing undone).
    assert raw.rstrip(b"\r\n") == tool(c, {"mode": "format", "message": message(c)}).rstrip(b"\r\n")


def test_550_is_permanent(c):
    before = len(c.handler.messages)
    result, detail = send(c, c.smtp.port, to="reject550@example.vn")
    assert result == "permanent", (result, detail)
    assert "550" in detail, detail
    assert len(c.handler.messages) == before


def test_451_is_temporary(c):
    result, detail = send(c, c.smtp.port, to="tempfail451@example.vn")
    assert result == "temporary", (result, detail)
    assert "451" in detail, detail


def test_no_server_is_temporary(c):
    result, detail = send(c, free_port())
    assert result == "temporary", (result, detail)
    assert detail, "no detail"


def test_invalid_recipient_is_permanent(c):
    result, detail = send(c, c.smtp.port, to="two@example.vn, three@example.vn")
    assert result == "permanent", (result, detail)


def test_server_closing_is_temporary(c):
    """A server that greets and hangs up (a half-working relay) is a temporary failure."""
    import socket
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve():
        try:
            conn, _ = srv.accept()
            conn.sendall(b"220 relay ESMTP\r\n")
            conn.recv(1000)
            conn.close()
        except OSError:
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        result, detail = send(c, port)
        assert result == "temporary", (result, detail)
    finally:
        srv.close()
        t.join(5)


def test_starttls_required_off_loopback(c):
    """smtp:// to a host that is not this machine must offer STARTTLS: aiosmtpd listening on a
    non-loopback address of this machine offers none, so the attempt fails, temporarily."""
    import socket
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: only the route's source address
            addr = s.getsockname()[0]
    except OSError:
        addr = None
    if addr is None or addr.startswith("127."):
        return  # no address but loopback on this machine: nothing to try
    handler = Handler()
    ctl = Controller(handler, hostname=addr, port=free_port())
    ctl.start()
    try:
        out = tool(c, {"mode": "send", "url": f"smtp://{addr}:{ctl.port}", "timeout_ms": 10000,
                       "message": message(c)}).decode()
        result, _, detail = out.rstrip("\n").partition("\t")
        assert result == "temporary", (result, detail)
        assert handler.messages == []
    finally:
        ctl.stop()


def test_spool_parses_back(c):
    spool = c.tmp / "spool" / "mail"
    out = tool(c, {"mode": "spool", "dir": str(spool), "message": message(c)}).decode()
    assert out == "ok\n", out
    files = sorted(p.name for p in spool.iterdir())
    assert files == ["w50.unit12_baocao.example.vn.eml"], files
    assert oct(spool.stat().st_mode & 0o777) == "0o750"
    raw = (spool / files[0]).read_bytes()
    check_parsed(c, raw)
    assert raw == tool(c, {"mode": "format", "message": message(c)})
    # Spooling again (a retry) replaces the file; no temporary file is left behind.
    out = tool(c, {"mode": "spool", "dir": str(spool),
                   "message": message(c, message_id="<../../etc/x+y@h>")}).decode()
    assert out == "ok\n", out
    files = sorted(p.name for p in spool.iterdir())
    assert files == ["_._.._etc_x_y_h.eml", "w50.unit12_baocao.example.vn.eml"], files


if __name__ == "__main__":
    sys.exit(run_tests([test_format_parses_back, test_send_arrives_intact, test_550_is_permanent,
                        test_451_is_temporary, test_no_server_is_temporary,
                        test_invalid_recipient_is_permanent, test_server_closing_is_temporary,
                        test_starttls_required_off_loopback, test_spool_parses_back],
                       setup, teardown))
