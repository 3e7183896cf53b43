-- Who must report in a period and on which tasks (fixed when the period opens), the review of
-- submissions, the consolidated reports with the submissions that went into each, the
-- coordinator's assessments, and delivery channels besides mail.

-- The units that must report in a period, fixed by the "open" job; roster_at NULL: not fixed
-- yet (the series' members and tasks as they are now apply).
ALTER TABLE period ADD COLUMN roster_at timestamptz;
COMMENT ON COLUMN period.roster_at IS 'when who must report and on which tasks was fixed';

CREATE TABLE period_member (
    period_id  bigint NOT NULL REFERENCES period (id) ON DELETE CASCADE,
    unit_id    bigint NOT NULL REFERENCES unit (id),
    PRIMARY KEY (period_id, unit_id)
);

CREATE TABLE period_task (
    period_id  bigint NOT NULL,
    unit_id    bigint NOT NULL,
    task_id    bigint NOT NULL REFERENCES task (id),
    role       text NOT NULL CHECK (role IN ('lead', 'cooperator')),
    PRIMARY KEY (period_id, unit_id, task_id),
    FOREIGN KEY (period_id, unit_id) REFERENCES period_member (period_id, unit_id)
        ON DELETE CASCADE
);

-- The coordinator's review of a unit's report: accepted, or returned with a comment (the
-- unit's next upload, a new submission, starts unreviewed).
ALTER TABLE submission
    ADD COLUMN review          text CHECK (review IN ('accepted', 'returned')),
    ADD COLUMN review_comment  text,
    ADD COLUMN reviewed_by     bigint REFERENCES account (id),
    ADD COLUMN reviewed_at     timestamptz,
    ADD CHECK ((review IS NULL) = (reviewed_at IS NULL)),
    ADD CHECK (review IS DISTINCT FROM 'returned' OR btrim(review_comment) <> '');

-- The coordinator's assessment of a period, every version kept; the newest is in force.
CREATE TABLE assessment (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id   bigint NOT NULL REFERENCES period (id),
    body        text NOT NULL CHECK (length(body) <= 20000),
    account_id  bigint REFERENCES account (id),
    written_at  timestamptz NOT NULL
);
CREATE INDEX assessment_period ON assessment (period_id, id);

-- A consolidated workbook kept: the cut-off draft (one per period) or a final version
-- (1, 2, ...; after the first, corrections "bổ sung").
DROP TABLE consolidation;
CREATE TABLE consolidation (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id      bigint NOT NULL REFERENCES period (id),
    kind           text NOT NULL CHECK (kind IN ('cutoff', 'final')),
    version        integer NOT NULL CHECK (version >= 1),
    built_at       timestamptz NOT NULL,
    attachment_id  bigint NOT NULL REFERENCES mail_attachment (id),
    sha256         bytea NOT NULL CHECK (length(sha256) = 32),
    assessment_id  bigint REFERENCES assessment (id),
    approved_by    bigint REFERENCES account (id),
    approved_at    timestamptz,
    automatic      boolean NOT NULL DEFAULT false,
    UNIQUE (period_id, kind, version),
    CHECK (kind = 'final' OR (version = 1 AND approved_at IS NULL AND NOT automatic)),
    CHECK (kind = 'cutoff' OR automatic OR approved_at IS NOT NULL),
    CHECK ((approved_by IS NULL) OR (approved_at IS NOT NULL))
);
COMMENT ON TABLE consolidation IS 'a consolidated workbook kept: the cut-off draft or a final version';

-- Which submission of each expected unit went into a consolidation (NULL: none).
CREATE TABLE consolidation_entry (
    consolidation_id  bigint NOT NULL REFERENCES consolidation (id) ON DELETE CASCADE,
    unit_id           bigint NOT NULL REFERENCES unit (id),
    submission_id     bigint REFERENCES submission (id),
    state             text NOT NULL CHECK (state IN ('on_time', 'late', 'missing', 'returned')),
    PRIMARY KEY (consolidation_id, unit_id),
    CHECK ((state = 'missing') = (submission_id IS NULL))
);

-- Deliveries besides mail: a file into a folder, an HTTP POST; each its own outbox row.
ALTER TABLE outbox DROP CONSTRAINT outbox_channel_check;
ALTER TABLE outbox ADD CHECK (channel IN ('mail', 'folder', 'http'));
ALTER TABLE outbox ADD COLUMN escalated_at timestamptz;
COMMENT ON COLUMN outbox.escalated_at IS 'when the coordinators were told a delivery failed';

-- The units that must report in a period: its roster once fixed, else the series' members.
CREATE FUNCTION period_units(p bigint) RETURNS TABLE (unit_id bigint)
LANGUAGE sql STABLE AS $$
    SELECT m.unit_id FROM period_member m WHERE m.period_id = p
    UNION ALL
    SELECT sm.unit_id FROM period pp
    JOIN series_member sm ON sm.series_id = pp.series_id
    JOIN unit u ON u.id = sm.unit_id AND u.active
    WHERE pp.id = p AND pp.roster_at IS NULL
$$;

-- The tasks a unit reports on in a period: fixed with the roster, else the catalogue's.
CREATE FUNCTION period_unit_tasks(p bigint, u bigint) RETURNS TABLE (task_id bigint, role text)
LANGUAGE sql STABLE AS $$
    SELECT t.task_id, t.role FROM period_task t WHERE t.period_id = p AND t.unit_id = u
    UNION ALL
    SELECT tu.task_id, tu.role FROM period pp
    JOIN task tk ON tk.series_id = pp.series_id AND tk.active
    JOIN task_unit tu ON tu.task_id = tk.id AND tu.unit_id = u
    WHERE pp.id = p AND pp.roster_at IS NULL
$$;

-- Fixes (or fixes again) a period's roster from the series' members and tasks as they are.
CREATE FUNCTION period_roster_fix(p bigint, at timestamptz) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM period_member WHERE period_id = p;
    INSERT INTO period_member (period_id, unit_id)
    SELECT p, sm.unit_id FROM period pp
    JOIN series_member sm ON sm.series_id = pp.series_id
    JOIN unit u ON u.id = sm.unit_id AND u.active
    WHERE pp.id = p;
    INSERT INTO period_task (period_id, unit_id, task_id, role)
    SELECT p, tu.unit_id, tu.task_id, tu.role FROM period pp
    JOIN task tk ON tk.series_id = pp.series_id AND tk.active
    JOIN task_unit tu ON tu.task_id = tk.id
    JOIN period_member m ON m.period_id = p AND m.unit_id = tu.unit_id
    WHERE pp.id = p;
    UPDATE period SET roster_at = at WHERE id = p;
$$;

-- Fixes a period's roster unless it was fixed before (the "open" job); true when it did.
CREATE FUNCTION period_roster_open(p bigint, at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM period WHERE id = p AND roster_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM period_roster_fix(p, at);
    RETURN true;
END
$$;

-- After an import: the fixed rosters of periods still open before their unit deadline follow
-- the catalogue; past periods keep theirs. series NULL: every series. Returns how many.
CREATE FUNCTION period_roster_refresh(series bigint, at timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer := 0;
    pid bigint;
BEGIN
    FOR pid IN SELECT id FROM period
               WHERE (series IS NULL OR series_id = series) AND roster_at IS NOT NULL
                 AND state = 'open' AND unit_deadline > at
               ORDER BY id FOR UPDATE
    LOOP
        PERFORM period_roster_fix(pid, at);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
