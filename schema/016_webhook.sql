-- Webhooks: a unit's URL, told of its reminders, returns, extensions and deliveries by an
-- HTTPS POST signed with the unit's secret, each an outbox row of its own (channel "webhook")
-- queued with the unit's mail and retried, leased and expired like it.

ALTER TABLE unit
    ADD COLUMN webhook         text CHECK (webhook ~ '^https?://[^[:space:]]+$'
                                           AND length(webhook) <= 2000),
    ADD COLUMN webhook_secret  text CHECK (webhook_secret <> '');
COMMENT ON COLUMN unit.webhook IS 'the URL the unit''s notifications are POSTed to; NULL: none';
COMMENT ON COLUMN unit.webhook_secret IS
    'the HMAC key of its signatures, sealed with a key derived from the server''s MAC key '
    '(base64 of nonce and box); never shown, set by baocaoctl unit webhook-secret';

ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_channel_check
    CHECK (channel IN ('mail', 'folder', 'http', 'webhook'));
ALTER TABLE outbox ADD COLUMN unit text;
COMMENT ON COLUMN outbox.unit IS
    'the code of the unit a message is about: reminders, review returns, extensions, and a '
    'webhook item (the unit whose secret signs it)';
ALTER TABLE outbox ADD CONSTRAINT outbox_webhook_unit CHECK (channel <> 'webhook' OR unit IS NOT NULL);
