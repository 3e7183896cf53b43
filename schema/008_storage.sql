-- Bounded storage: the size of every upload as received (counted against the limits of a unit
-- and period), and the raw files of superseded versions removed after a retention.

ALTER TABLE submission ADD COLUMN raw_size bigint NOT NULL DEFAULT 0 CHECK (raw_size >= 0);
COMMENT ON COLUMN submission.raw_size IS
    'bytes received: the workbook, or the JSON body of a form or API report';
UPDATE submission SET raw_size = length(file) WHERE file IS NOT NULL;

-- A workbook's raw file may go after the retention; its items, hash and receipt stay.
ALTER TABLE submission ADD COLUMN file_removed_at timestamptz;
COMMENT ON COLUMN submission.file_removed_at IS
    'when the raw file of this superseded version was removed (raw_retention)';
ALTER TABLE submission DROP CONSTRAINT submission_check;
ALTER TABLE submission
    ADD CONSTRAINT submission_file_channel CHECK (channel = 'xlsx' OR file IS NULL),
    ADD CONSTRAINT submission_file_kept CHECK (channel <> 'xlsx' OR
        (file IS NULL) = (file_removed_at IS NOT NULL)),
    ADD CONSTRAINT submission_file_removed_superseded CHECK (file_removed_at IS NULL OR superseded);

-- The versions whose raw file the retention may still remove, oldest first.
CREATE INDEX submission_file_kept_at ON submission (received_at)
    WHERE superseded AND file IS NOT NULL;

-- The retention asks whether a version is in any consolidated report.
CREATE INDEX consolidation_entry_submission ON consolidation_entry (submission_id)
    WHERE submission_id IS NOT NULL;
