-- A unit's later deadline for one period ("gia hạn"), granted by a coordinator with a reason.
-- One row per unit and period: granting to a group is one row per unit of the group; granting
-- again replaces the row; taking it back deletes it. Both are audit entries (extension_grant,
-- extension_revoke, object "extension", id PERIOD_ID:UNIT_CODE) with the whole row in their
-- detail, so the history of a unit's extensions is the audit log.

CREATE TABLE extension (
    period_id   bigint NOT NULL REFERENCES period (id) ON DELETE CASCADE,
    unit_id     bigint NOT NULL REFERENCES unit (id),
    until       timestamptz NOT NULL,
    reason      text NOT NULL CHECK (btrim(reason) <> '' AND length(reason) <= 500),
    granted_by  bigint REFERENCES account (id),
    granted_at  timestamptz NOT NULL,
    PRIMARY KEY (period_id, unit_id)
);
COMMENT ON TABLE extension IS 'a unit''s later deadline for one period, with its reason';
COMMENT ON COLUMN extension.until IS
    'the unit''s own deadline: a report received by then counts on time (after the period''s)';
COMMENT ON COLUMN extension.reason IS 'why, in the coordinator''s words, shown to the unit';
COMMENT ON COLUMN extension.granted_by IS 'the coordinator who granted it';

-- The extension a version counted on time under: its until, kept when the version is stored
-- (as on_time is), so that an extension taken back or changed later does not change what was
-- judged then. NULL: on time by the period's deadline, or late.
ALTER TABLE submission ADD COLUMN extended_until timestamptz,
    ADD CHECK (extended_until IS NULL OR on_time);
COMMENT ON COLUMN submission.extended_until IS
    'on time only by the unit''s extension: the extended deadline it was judged against';

-- The mail telling a unit its extension was granted or taken back.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('receipt', 'reminder',
    'reminder_digest', 'draft_notice', 'final_delivery', 'escalation', 'review_return',
    'ack_overdue', 'extension'));
