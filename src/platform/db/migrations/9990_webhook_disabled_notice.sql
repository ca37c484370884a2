-- Up Migration
-- Owners are told by mail when one of their webhook endpoints is turned off after failing for the whole window
-- (src/webhooks/drain.ts decides, src/notices/notice-hook.ts records the notice). On unless the owner turns it off:
-- an endpoint that stopped silently loses every event after it.
--   notice_preferences.webhook_disabled, notices.kind 'webhook_disabled' -> src/notices/notice.repository.ts
ALTER TABLE notice_preferences ADD COLUMN webhook_disabled boolean NOT NULL DEFAULT true;
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('new_request', 'missed', 'digest', 'chat_unanswered', 'webhook_disabled'));

-- Down Migration
DELETE FROM notices WHERE kind = 'webhook_disabled';
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('new_request', 'missed', 'digest', 'chat_unanswered'));
ALTER TABLE notice_preferences DROP COLUMN webhook_disabled;
