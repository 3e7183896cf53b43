-- Consolidated reports, the mail outbox, scheduled job runs and the audit log.

CREATE TABLE consolidation (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id     bigint NOT NULL REFERENCES period (id),
    version       integer NOT NULL CHECK (version >= 1),
    kind          text NOT NULL CHECK (kind IN ('draft', 'final')),
    file          bytea NOT NULL,
    sha256        bytea NOT NULL CHECK (length(sha256) = 32),
    assessment    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    approved_by   bigint REFERENCES account (id),
    approved_at   timestamptz,
    automatic     boolean NOT NULL DEFAULT false,
    delivered_at  timestamptz,
    UNIQUE (period_id, version),
    CHECK ((approved_by IS NULL) OR (approved_at IS NOT NULL))
);

-- Every mail (or other push) to deliver. The key makes a retried enqueue a no-op.
CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key        text NOT NULL UNIQUE,
    channel          text NOT NULL DEFAULT 'mail' CHECK (channel IN ('mail')),
    recipient        text NOT NULL CHECK (recipient <> ''),
    subject          text NOT NULL DEFAULT '',
    body             text NOT NULL DEFAULT '',
    attachment_name  text,
    attachment       bytea,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    failed_at        timestamptz,
    CHECK ((attachment IS NULL) = (attachment_name IS NULL)),
    CHECK (sent_at IS NULL OR failed_at IS NULL)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- One row per run of a scheduled job for one key (e.g. cut-off of nq57-weekly 2026-W47).
CREATE TABLE job_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job          text NOT NULL,
    run_key      text NOT NULL,
    period_id    bigint REFERENCES period (id),
    state        text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    instance     text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    error        text,
    UNIQUE (job, run_key),
    CHECK ((state = 'running') = (finished_at IS NULL))
);

CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    account_id   bigint REFERENCES account (id),
    actor        text NOT NULL,
    action       text NOT NULL,
    object_type  text NOT NULL,
    object_id    text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}',
    remote_addr  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_at ON audit_log (at);
