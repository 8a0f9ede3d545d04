-- Event filters (core/src/filter/event-filter.ts): a subscription may carry a filter, a
-- declarative rule over the event's headers and JSON body, checked at fan-out before any
-- delivery row exists. An event a filter rejects records that subscription in
-- events.filtered_subscriptions (NULL for nearly every event: no cost when unused), so
-- the event page shows it as filtered instead of missing.
SET lock_timeout = '5s';

ALTER TABLE subscriptions ADD COLUMN filter jsonb;
ALTER TABLE events ADD COLUMN filtered_subscriptions uuid[];
