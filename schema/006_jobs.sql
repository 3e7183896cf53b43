-- Scheduled jobs: one row per occurrence of a job (job, series, period, slot), with its due
-- time derived from the series and the period, worked under a lease like the outbox.

DROP TABLE job_run;

CREATE TABLE job_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job          text NOT NULL CHECK (job ~ '^[a-z][a-z_]*$'),
    series_id    bigint NOT NULL REFERENCES series (id),
    period_id    bigint NOT NULL REFERENCES period (id),
    slot         integer NOT NULL DEFAULT 0 CHECK (slot >= 0),
    due_at       timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'due' CHECK (state IN
                     ('due', 'running', 'done', 'failed', 'interrupted', 'skipped')),
    late         boolean NOT NULL DEFAULT false,
    attempt      integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    locked_by    text,
    lease_until  timestamptz,
    instance     text,
    started_at   timestamptz,
    finished_at  timestamptz,
    outcome      text,
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job, series_id, period_id, slot),
    CHECK ((state = 'running') = (locked_by IS NOT NULL AND lease_until IS NOT NULL)),
    CHECK (state NOT IN ('done', 'failed', 'skipped') OR finished_at IS NOT NULL)
);
CREATE INDEX job_run_due ON job_run (due_at) WHERE state IN ('due', 'interrupted');
COMMENT ON TABLE job_run IS 'one occurrence of a scheduled job: its due time, state and outcome';
