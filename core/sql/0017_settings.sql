-- Facts about the installation the relay checks at boot. encryption_key_id is the id
-- (an HMAC check value, not the key) of the key every stored secret is sealed with, so
-- a relay started with another RELAY_ENCRYPTION_KEY refuses to start instead of failing
-- every delivery with "cannot decrypt" (core/src/secrets/key-check.ts).
SET lock_timeout = '5s';

CREATE TABLE relay_settings (
  name       text PRIMARY KEY,
  value      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
