-- Access control: reports filed on a unit's behalf, failed logins shared by every daemon,
-- and the series' definitions kept in the database.

ALTER TABLE submission ADD COLUMN on_behalf boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN submission.on_behalf IS
    'filed by a coordinator of the series for the unit (a report that came another way)';

-- Failed logins in the current window, per client address (scope address) and per login
-- name and address (scope login). Rows are small and few; old windows are purged.
CREATE TABLE login_failure (
    scope         text NOT NULL CHECK (scope IN ('address', 'login')),
    key           text NOT NULL CHECK (length(key) <= 200),
    failures      integer NOT NULL CHECK (failures >= 0),
    window_start  timestamptz NOT NULL,
    blocked_until timestamptz,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_failure_window ON login_failure (window_start);

-- The series file's section for each series, as baocaoctl series sync wrote it: the daemons
-- read their series from here, so every daemon on the database uses the same definitions.
ALTER TABLE series ADD COLUMN definition text NOT NULL DEFAULT '';
