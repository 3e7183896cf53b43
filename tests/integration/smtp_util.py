"""The SMTP server of the tests that follow what the daemon mails: Debian's aiosmtpd, keeping
every message it accepts with the address it was sent to."""
import email
import email.policy
import threading


class Mailbox:
    """An aiosmtpd handler keeping (recipient, parsed message) for every message accepted."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for to in envelope.rcpt_tos:
                self.messages.append((to, email.message_from_bytes(
                    bytes(envelope.original_content), policy=email.policy.default)))
        return "250 2.0.0 accepted"

    def to(self, address, subject_start=""):
        """The messages sent to an address, those whose subject starts so."""
        with self.lock:
            return [m for t, m in self.messages
                    if t == address and m["Subject"].startswith(subject_start)]

    def subjects(self, address):
        return [m["Subject"] for m in self.to(address)]

    def count(self):
        with self.lock:
            return len(self.messages)


def mail_example(name, now, accounts, series_file=None, **settings):
    """An Example (intake_util) whose daemon sends through an SMTP server of its own
    (aiosmtpd on a free port): ex.handler keeps what arrives. accounts are (login, unit, role)
    made at once. Close it with close_mail_example, which stops the server too."""
    from aiosmtpd.controller import Controller
    from harness import free_port
    from intake_util import Example
    handler = Mailbox()
    port = free_port()
    ex = Example(name, now, series_file=series_file,
                 **{"mail.smtp_url": f"smtp://127.0.0.1:{port}", **settings})
    ex.handler = handler
    ex.smtp = Controller(handler, hostname="127.0.0.1", port=port)
    try:
        ex.smtp.start()
        for login, unit, role in accounts:
            ex.account(login, unit, role)
    except Exception:
        close_mail_example(ex)
        raise
    return ex


def close_mail_example(ex):
    """Stops the SMTP server of a mail_example, then the example (daemon, PostgreSQL)."""
    if ex is None:
        return
    try:
        ex.smtp.stop()
    finally:
        ex.close()
