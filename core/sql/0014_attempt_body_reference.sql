-- An attempt's request body is usually the event's body unchanged (no transform): it was
-- copied into every attempt row, about 1 KB per attempt of a 1 KB webhook. Now such an
-- attempt stores no body and request_body_is_event = true; reads take the event's body.
-- A body a transform or plugin changed is still stored (truncated) as before.
SET lock_timeout = '5s';

ALTER TABLE delivery_attempts ADD COLUMN request_body_is_event boolean NOT NULL DEFAULT false;
