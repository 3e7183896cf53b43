-- The unit's document: the official written report (a PDF, signed or not) sent with a
-- version of the unit's report. A document belongs to the unit and period it came for; each
-- version names the document in force with it (submission.document_id). A new version
-- uploaded without a document keeps the previous version's (the same row, no copy); a
-- document uploaded later replaces it on the current version only.

CREATE TABLE submission_document (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id        bigint NOT NULL REFERENCES period (id),
    unit_id          bigint NOT NULL REFERENCES unit (id),
    file             bytea,
    sha256           bytea NOT NULL CHECK (length(sha256) = 32),
    size             bigint NOT NULL CHECK (size > 0),
    uploaded_at      timestamptz NOT NULL,
    uploaded_by      bigint REFERENCES account (id),
    on_behalf        boolean NOT NULL DEFAULT false,
    on_time          boolean NOT NULL,
    signatures       jsonb NOT NULL DEFAULT '[]',
    signature_state  text,
    file_removed_at  timestamptz,
    CHECK ((file IS NULL) = (file_removed_at IS NOT NULL))
);
COMMENT ON TABLE submission_document IS
    'a unit''s document (PDF) for a period, named by the versions it goes with';
COMMENT ON COLUMN submission_document.on_time IS
    'uploaded while the period was open and by the units'' deadline';
COMMENT ON COLUMN submission_document.signatures IS
    'the digital signatures found and their check, as the signature checker writes them';
COMMENT ON COLUMN submission_document.signature_state IS
    'the first signature''s state (or unsigned); NULL until the signatures are checked';
COMMENT ON COLUMN submission_document.file_removed_at IS
    'when the raw file of a document no current version names was removed (raw_retention)';
CREATE INDEX submission_document_unit ON submission_document (period_id, unit_id);

ALTER TABLE submission ADD COLUMN document_id bigint REFERENCES submission_document (id);
COMMENT ON COLUMN submission.document_id IS
    'the unit''s document in force with this version (NULL: none yet)';
CREATE INDEX submission_document_ref ON submission (document_id) WHERE document_id IS NOT NULL;

-- A series whose reports are complete only with their document (series.conf require_document).
ALTER TABLE series ADD COLUMN require_document boolean NOT NULL DEFAULT false;
