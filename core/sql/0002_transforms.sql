-- Transform scripts: sandboxed JavaScript that reshapes an event per subscription.
-- Scripts are versioned: editing creates a new row in transform_versions and a
-- subscription points at one version, so a delivery can always tell which code ran.
SET lock_timeout = '5s';

CREATE TABLE transforms (
  id         uuid PRIMARY KEY,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE transform_versions (
  id           uuid PRIMARY KEY,
  transform_id uuid NOT NULL REFERENCES transforms (id) ON DELETE CASCADE,
  version      integer NOT NULL CHECK (version > 0),
  code         text NOT NULL,
  sha256       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (transform_id, version)
);
