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
