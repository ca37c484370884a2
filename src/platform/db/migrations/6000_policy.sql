-- Up Migration
-- Abuse protection. The global do-not-call list, owned by src/policy/do-not-call.repository.ts.
-- Global on purpose: a person who asked never to be called again by this service is not called by any subscriber.

CREATE TABLE do_not_call (
  phone_e164    text PRIMARY KEY CHECK (phone_e164 ~ '^\+[1-9][0-9]{5,15}$'),
  -- how the number got here: the opt-out key during a call, the opt-out link, or an operator/subscriber
  source        text NOT NULL CHECK (source IN ('dtmf', 'link', 'operator', 'subscriber')),
  request_id    uuid REFERENCES callback_requests(id) ON DELETE SET NULL,
  subscriber_id uuid REFERENCES subscribers(id) ON DELETE SET NULL,
  note          text,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE do_not_call;
