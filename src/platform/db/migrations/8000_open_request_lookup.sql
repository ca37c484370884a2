-- Up Migration
-- The accept path asks, for every request, whether its (subscriber, number) already has an open request
-- (src/requests/callback.repository.ts findOpenRequests). Through the general indexes PostgreSQL read every
-- open request of the subscriber (thousands when a queue is long) per lookup; this index answers from the
-- few open rows of one number. Partial: finished requests, the bulk of the table, are not in it.
CREATE INDEX callback_requests_open_number_idx ON callback_requests (phone_e164, subscriber_id, created_at)
  WHERE status IN ('queued', 'scheduled', 'dialing', 'connected');

-- Down Migration
DROP INDEX callback_requests_open_number_idx;
