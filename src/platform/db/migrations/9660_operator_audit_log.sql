-- Up Migration
-- What operators did to subscribers' accounts by hand, with the reason they gave: marking a subscriber's or a
-- department's phone verified without a verification call (support cases where the call cannot be heard).
-- Kept when the operator account goes (operator_email stays); gone with the subscriber.
--   operator_audit_log -> src/admin/operator-audit.repository.ts
CREATE TABLE operator_audit_log (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscriber_id  uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  operator_id    uuid REFERENCES operators(id) ON DELETE SET NULL,
  operator_email text NOT NULL,
  action         text NOT NULL CHECK (action IN ('phone_verified')),
  department_id  uuid REFERENCES departments(id) ON DELETE SET NULL,
  phone_e164     text,
  reason         text NOT NULL CHECK (length(btrim(reason)) >= 3),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_audit_log_subscriber_idx ON operator_audit_log (subscriber_id, created_at DESC);

-- Down Migration
DROP TABLE operator_audit_log;
