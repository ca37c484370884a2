-- Up Migration
-- Proof of domain ownership (src/portal/domain.service.ts): a host claimed in the portal stays pending until the
-- subscriber serves its token at https://<host>/.well-known/beckon-verification.txt. Only verified hosts own
-- pages (directory, CORS, widget, form tokens), and only a verified host keeps other accounts from claiming it:
-- a claim can no longer squat on someone else's site. Hosts registered before this change were accepted as
-- owned and stay so.
ALTER TABLE domains ADD COLUMN verified_at timestamptz, ADD COLUMN verify_token text;
UPDATE domains SET verified_at = created_at;
ALTER TABLE domains DROP CONSTRAINT domains_host_key;
CREATE UNIQUE INDEX domains_verified_host_idx ON domains (host) WHERE verified_at IS NOT NULL;
CREATE UNIQUE INDEX domains_subscriber_host_idx ON domains (subscriber_id, host);
CREATE INDEX domains_host_idx ON domains (host);

-- Down Migration
DROP INDEX domains_host_idx;
DROP INDEX domains_subscriber_host_idx;
DROP INDEX domains_verified_host_idx;
DELETE FROM domains WHERE verified_at IS NULL;
ALTER TABLE domains ADD CONSTRAINT domains_host_key UNIQUE (host);
ALTER TABLE domains DROP COLUMN verify_token, DROP COLUMN verified_at;
