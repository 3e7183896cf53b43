-- Units, accounts and their credentials.

CREATE TABLE unit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$'),
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 300),
    unit_group  text NOT NULL CHECK (unit_group ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    emails      text[] NOT NULL DEFAULT '{}',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE unit IS 'A reporting body: department, commune or ward, Party or Front body.';
COMMENT ON COLUMN unit.unit_group IS 'so-nganh, xa-phuong, dang-doan-the, ...';

CREATE TABLE account (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login          text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    display_name   text NOT NULL DEFAULT '',
    email          text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    unit_id        bigint NOT NULL REFERENCES unit (id),
    role           text NOT NULL CHECK (role IN ('reporter', 'coordinator', 'recipient', 'admin')),
    password_hash  text CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_unit ON account (unit_id);
COMMENT ON COLUMN account.password_hash IS 'Argon2id (libsodium crypto_pwhash_str); NULL: no password login';

CREATE TABLE api_token (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);
COMMENT ON COLUMN api_token.token_hash IS 'SHA-256 of the token; the token itself is shown once and never stored';

CREATE TABLE web_session (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    csrf_token    text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    remote_addr   text NOT NULL DEFAULT ''
);
CREATE INDEX web_session_expiry ON web_session (expires_at);
