-- Sources: where webhooks come in. A third party POSTs to /in/<slug>.
-- mode 'active' fans events out to subscriptions; 'record' only stores them so they
-- can be inspected and replayed later. verification holds the signature scheme with
-- its secret sealed (AES-256-GCM, see core/src/secrets/secret-box.ts).
SET lock_timeout = '5s';

CREATE TABLE sources (
  id                 uuid PRIMARY KEY,
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  slug               text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
  mode               text NOT NULL DEFAULT 'active' CHECK (mode IN ('active', 'record')),
  enabled            boolean NOT NULL DEFAULT true,
  verification       jsonb,
  idempotency_header text,
  max_body_bytes     integer CHECK (max_body_bytes > 0),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
