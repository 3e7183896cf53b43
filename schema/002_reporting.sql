-- Report series, the calendar, tasks, periods, submissions and their items.

CREATE TABLE series (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    title                       text NOT NULL CHECK (btrim(title) <> ''),
    period_kind                 text NOT NULL CHECK (period_kind IN
                                    ('weekly', 'monthly', 'quarterly', 'half-yearly', 'yearly', 'adhoc')),
    unit_deadline_rule          text NOT NULL DEFAULT '',
    consolidation_deadline_rule text NOT NULL DEFAULT '',
    non_working_day             text NOT NULL DEFAULT 'previous'
                                    CHECK (non_working_day IN ('previous', 'next')),
    consolidator_unit_id        bigint REFERENCES unit (id),
    header_style                text NOT NULL DEFAULT 'state' CHECK (header_style IN ('state', 'party')),
    reminders                   text[] NOT NULL DEFAULT '{}',
    active                      boolean NOT NULL DEFAULT true,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN series.header_style IS 'state: Nghị định 30/2020; party: Hướng dẫn 36-HD/VPTW';

-- Units that receive the consolidated report.
CREATE TABLE series_recipient (
    series_id  bigint NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    unit_id    bigint NOT NULL REFERENCES unit (id),
    PRIMARY KEY (series_id, unit_id)
);

-- Units that must report in every period of the series.
CREATE TABLE series_member (
    series_id  bigint NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    unit_id    bigint NOT NULL REFERENCES unit (id),
    PRIMARY KEY (series_id, unit_id)
);

-- Exceptions to "Monday to Friday are working days".
CREATE TABLE calendar_day (
    day         date PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note        text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Phrases of the plans that name units or groups of units ("UBND các phường, xã"), so that
-- task tables can be imported as written. targets holds unit codes and "group:NAME" entries;
-- an empty array means "no particular unit" (allowed for cooperating units only).
CREATE TABLE unit_alias (
    phrase      text PRIMARY KEY CHECK (phrase <> ''),
    label       text NOT NULL,
    targets     text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN unit_alias.phrase IS 'the phrase folded: lower case, no diacritics, single spaces';

CREATE TABLE task (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_id         bigint NOT NULL REFERENCES series (id),
    code              text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    ordinal           integer NOT NULL DEFAULT 0,
    section           text NOT NULL DEFAULT '',
    title             text NOT NULL CHECK (btrim(title) <> ''),
    lead_text         text NOT NULL DEFAULT '',
    cooperators_text  text NOT NULL DEFAULT '',
    expected_result   text NOT NULL DEFAULT '',
    deadline          date,
    deadline_text     text NOT NULL DEFAULT '',
    source_document   text NOT NULL DEFAULT '',
    starts_on         date,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (series_id, code)
);
COMMENT ON COLUMN task.deadline IS 'NULL: ongoing ("Thường xuyên"), never overdue';
COMMENT ON COLUMN task.lead_text IS 'the lead units as the plan wrote them';

-- The units that carry out a task: its lead units (one or more) and its cooperating units.
CREATE TABLE task_unit (
    task_id  bigint NOT NULL REFERENCES task (id) ON DELETE CASCADE,
    unit_id  bigint NOT NULL REFERENCES unit (id),
    role     text NOT NULL CHECK (role IN ('lead', 'cooperator')),
    PRIMARY KEY (task_id, unit_id)
);
CREATE INDEX task_unit_unit ON task_unit (unit_id);

-- One period of a series; created when first needed. Its deadlines are computed from the
-- series' rules and the calendar until the period is overridden or cut off. reason says in
-- Vietnamese why they are what they are (skipped, moved off a holiday, overridden).
CREATE TABLE period (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_id                bigint NOT NULL REFERENCES series (id),
    period_key               text NOT NULL CHECK (period_key ~ '^[0-9A-Za-z][0-9A-Za-z-]{0,63}$'),
    starts_on                date NOT NULL,
    ends_on                  date NOT NULL,
    unit_deadline            timestamptz,
    consolidation_deadline   timestamptz,
    overridden               boolean NOT NULL DEFAULT false,
    state                    text NOT NULL DEFAULT 'open' CHECK (state IN
                                 ('open', 'cut_off', 'consolidated', 'approved', 'delivered', 'skipped')),
    reason_code              text,
    reason                   text,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (series_id, period_key),
    CHECK (ends_on >= starts_on),
    CHECK (state = 'skipped' OR (unit_deadline IS NOT NULL AND consolidation_deadline IS NOT NULL)),
    CHECK (consolidation_deadline IS NULL OR unit_deadline IS NULL
           OR consolidation_deadline >= unit_deadline)
);

CREATE TABLE submission (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id             bigint NOT NULL REFERENCES period (id),
    unit_id               bigint NOT NULL REFERENCES unit (id),
    version               integer NOT NULL CHECK (version >= 1),
    received_at           timestamptz NOT NULL,
    account_id            bigint REFERENCES account (id),
    channel               text NOT NULL CHECK (channel IN ('xlsx', 'web', 'api')),
    file_name             text,
    file                  bytea,
    sha256                bytea NOT NULL CHECK (length(sha256) = 32),
    on_time               boolean NOT NULL,
    superseded            boolean NOT NULL DEFAULT false,
    general_difficulties  text NOT NULL DEFAULT '',
    general_proposals     text NOT NULL DEFAULT '',
    receipt_signature     text,
    UNIQUE (period_id, unit_id, version),
    CHECK ((channel = 'xlsx') = (file IS NOT NULL))
);
-- At most one current (not superseded) submission per unit and period.
CREATE UNIQUE INDEX submission_current ON submission (period_id, unit_id) WHERE NOT superseded;

CREATE TABLE report_item (
    submission_id  bigint NOT NULL REFERENCES submission (id) ON DELETE CASCADE,
    task_id        bigint NOT NULL REFERENCES task (id),
    status         text NOT NULL CHECK (status IN ('done', 'in_progress', 'not_started')),
    progress       smallint CHECK (progress BETWEEN 0 AND 100),
    completed_on   date,
    result         text NOT NULL DEFAULT '',
    difficulties   text NOT NULL DEFAULT '',
    proposals      text NOT NULL DEFAULT '',
    note           text NOT NULL DEFAULT '',
    PRIMARY KEY (submission_id, task_id),
    CHECK (status <> 'done' OR completed_on IS NOT NULL),
    CHECK (status = 'done' OR completed_on IS NULL)
);
CREATE INDEX report_item_task ON report_item (task_id);
