-- Up Migration
-- "Do not call me again" said on a status page, by whoever holds that request's status token: it stops calls
-- from that subscriber to that number only. Holding a status token proves no ownership of the phone (anyone
-- can request a call-back for any number), so only the phone's owner (the opt-out key during a call, a signed
-- link) puts a number on the installation-wide do_not_call list.
--   subscriber_opt_outs -> src/policy/do-not-call.repository.ts
CREATE TABLE subscriber_opt_outs (
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  phone_e164    text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{5,15}$'),
  request_id    uuid REFERENCES callback_requests(id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber_id, phone_e164)
);

-- Down Migration
DROP TABLE subscriber_opt_outs;
