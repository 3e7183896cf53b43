-- The outbox as its sender works it: a state per message, a lease while it is being sent,
-- a Message-ID made once, an expiry (the message's business deadline), attachments kept once.

CREATE TABLE mail_attachment (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    filename      text NOT NULL CHECK (filename <> '' AND length(filename) <= 255),
    content_type  text NOT NULL DEFAULT 'application/octet-stream',
    data          bytea NOT NULL,
    sha256        bytea NOT NULL CHECK (length(sha256) = 32),
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mail_attachment IS 'a file sent with messages, stored once and referenced by each';

ALTER TABLE outbox DROP COLUMN attachment_name, DROP COLUMN attachment;
ALTER TABLE outbox
    ADD COLUMN message_id       text NOT NULL DEFAULT ('<' || gen_random_uuid() || '@baocao>'),
    ADD COLUMN state            text NOT NULL DEFAULT 'queued' CHECK (state IN
                                    ('queued', 'sending', 'sent', 'deferred', 'failed', 'expired', 'unknown')),
    ADD COLUMN html             text,
    ADD COLUMN attachment_id    bigint REFERENCES mail_attachment (id),
    ADD COLUMN locked_by        text,
    ADD COLUMN lease_until      timestamptz,
    ADD COLUMN expires_at       timestamptz,
    ADD COLUMN last_attempt_at  timestamptz;
COMMENT ON COLUMN outbox.message_id IS 'made when the message is queued and sent the same on every attempt';
COMMENT ON COLUMN outbox.expires_at IS 'the business deadline: a message not sent by then is expired, not sent late';
UPDATE outbox SET state = CASE WHEN sent_at IS NOT NULL THEN 'sent'
                               WHEN failed_at IS NOT NULL THEN 'failed' ELSE 'queued' END;
CREATE UNIQUE INDEX outbox_message_id ON outbox (message_id);
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('queued', 'deferred', 'unknown');
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE state = 'sending';
ALTER TABLE outbox ADD CHECK (state <> 'sending' OR (locked_by IS NOT NULL AND lease_until IS NOT NULL));
