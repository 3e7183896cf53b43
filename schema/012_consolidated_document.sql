-- Sở KH&CN's signed document on the consolidated report: the PDF the coordinator uploads for a
-- final version (before its approval, for the version about to be approved, or after it while
-- none of its deliveries has gone out), delivered with the workbook. The file is kept once, in
-- mail_attachment, and every delivery of the version names it in outbox_attachment.

CREATE TABLE consolidated_document (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id        bigint NOT NULL REFERENCES period (id),
    version          integer NOT NULL CHECK (version >= 1),
    attachment_id    bigint NOT NULL REFERENCES mail_attachment (id),
    sha256           bytea NOT NULL CHECK (length(sha256) = 32),
    size             bigint NOT NULL CHECK (size > 0),
    uploaded_at      timestamptz NOT NULL,
    uploaded_by      bigint REFERENCES account (id),
    signatures       jsonb NOT NULL DEFAULT '[]',
    signature_state  text,
    UNIQUE (period_id, version)
);
COMMENT ON TABLE consolidated_document IS
    'the consolidating unit''s signed document (PDF) for a final version of a period';
COMMENT ON COLUMN consolidated_document.version IS
    'the final version it goes with; it may be uploaded before that version is approved';
COMMENT ON COLUMN consolidated_document.signatures IS
    'the digital signatures found and their check, as the signature checker writes them';

-- The files of an outbox row after its first (outbox.attachment_id is position 1): a final
-- delivery carries the workbook and then the signed document.
CREATE TABLE outbox_attachment (
    outbox_id      bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attachment_id  bigint NOT NULL REFERENCES mail_attachment (id),
    position       integer NOT NULL CHECK (position >= 2),
    PRIMARY KEY (outbox_id, position)
);
COMMENT ON TABLE outbox_attachment IS
    'further files of an outbox row, sent after outbox.attachment_id in position order';
CREATE INDEX outbox_attachment_file ON outbox_attachment (attachment_id);
