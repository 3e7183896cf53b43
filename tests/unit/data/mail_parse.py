"""Parses an e-mail file with Python's email package and prints what a reader sees, as JSON."""
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    m = email.message_from_bytes(f.read(), policy=email.policy.default)
atts = list(m.iter_attachments())
html = m.get_body(preferencelist=("html",))
print(json.dumps({
    "subject": str(m["subject"]),
    "from_name": m["from"].addresses[0].display_name,
    "from_addr": m["from"].addresses[0].addr_spec,
    "to": str(m["to"]),
    "date": int(m["date"].datetime.timestamp()),
    "text": m.get_body(preferencelist=("plain",)).get_content(),
    "html": html.get_content() if html is not None else None,
    "filenames": [a.get_filename() for a in atts],
    "attachments_hex": [a.get_content().hex() for a in atts],
    "defects": sum(len(p.defects) for p in m.walk()),
}, ensure_ascii=False))
