-- Up Migration
-- A session is one sign-in and the refresh tokens rotated from it (a family). Revoking the
-- session (log-out, or a spent token presented again) ends every token of it at once.
CREATE TABLE sessions (
  session_id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (user_id),
  started_at timestamptz NOT NULL,
  -- Absolute lifetime: no rotation extends a session past this.
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'reuse'))
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_revocation ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Refresh tokens are 256 random bits: stored as their SHA-256 only, like API keys.
CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
  -- The token this one was rotated from (none for the session's first).
  parent_hash bytea,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  -- Spent: exchanged for its successor. Set once, by the one conditional UPDATE that wins.
  used_at timestamptz
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- Down Migration
DROP TABLE refresh_tokens;
DROP TABLE sessions;
