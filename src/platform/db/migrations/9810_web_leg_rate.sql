-- Up Migration
-- A web call's browser leg crosses no carrier: it is rated by the rate whose prefix is `web` (a plan's over the
-- base table's) and is free without one (src/accounting/rating.ts rateWebLeg). Number prefixes stay digits.
ALTER TABLE rates DROP CONSTRAINT rates_prefix_check;
ALTER TABLE rates ADD CONSTRAINT rates_prefix_check CHECK (prefix ~ '^[0-9]{0,15}$' OR prefix = 'web');

-- Down Migration
DELETE FROM rates WHERE prefix = 'web';
ALTER TABLE rates DROP CONSTRAINT rates_prefix_check;
ALTER TABLE rates ADD CONSTRAINT rates_prefix_check CHECK (prefix ~ '^[0-9]{0,15}$');
