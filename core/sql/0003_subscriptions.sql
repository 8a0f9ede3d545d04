-- Subscriptions: one action plugin run for every event of a source.
-- config is validated against the plugin's TypeBox schema; the fields the plugin
-- declares secret are sealed. signing_secrets is a list of sealed whsec_ secrets,
-- newest first, each with an optional expiry so a rotation can sign with both.
-- disabled_reason records why the relay disabled it (for example HTTP 410 Gone).
SET lock_timeout = '5s';

CREATE TABLE subscriptions (
  id                   uuid PRIMARY KEY,
  source_id            uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  action               text NOT NULL,
  config               jsonb NOT NULL DEFAULT '{}',
  enabled              boolean NOT NULL DEFAULT true,
  disabled_reason      text,
  signing_secrets      jsonb NOT NULL DEFAULT '[]',
  transform_version_id uuid REFERENCES transform_versions (id) ON DELETE SET NULL,
  description          text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
