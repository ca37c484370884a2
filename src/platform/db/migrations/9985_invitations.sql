-- Up Migration
-- Proactive invitations: how many were shown, opened and converted, per subscriber and day. The triggers themselves
-- live in subscribers.settings.invitation (src/invitations/invitation-settings.ts).
--   invitation_counts: one row per subscriber and day (the subscriber's local date when counted), bumped by the
--     widget's beacons (POST /api/v1/invitations/events). Owner: src/invitations/invitation.repository.ts.
CREATE TABLE invitation_counts (
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  day           date NOT NULL,
  shown         integer NOT NULL DEFAULT 0,
  opened        integer NOT NULL DEFAULT 0,
  converted     integer NOT NULL DEFAULT 0,
  PRIMARY KEY (subscriber_id, day)
);

-- Down Migration
DROP TABLE invitation_counts;
