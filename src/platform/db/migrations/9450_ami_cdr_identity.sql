-- Up Migration
-- An Asterisk CDR is kept once per distinct event, not once per (uniqueid, sequence): a Cdr event carries
-- Sequence only when cdr_manager.conf maps it ([mappings]), so without it every CDR of a channel had sequence 0
-- and all but the first were dropped. Every worker receives every Cdr event over its own AMI session; what
-- makes two of them the same CDR is that they are the same event, so the key is the channel and a digest of the
-- event as received (jsonb text is canonical: key order and spacing do not matter).
ALTER TABLE ami_cdrs ADD COLUMN fingerprint text GENERATED ALWAYS AS (md5(raw::text)) STORED;
ALTER TABLE ami_cdrs DROP CONSTRAINT ami_cdrs_uniqueid_sequence_key;
ALTER TABLE ami_cdrs ADD CONSTRAINT ami_cdrs_event_key UNIQUE (uniqueid, fingerprint);

-- Down Migration
ALTER TABLE ami_cdrs DROP CONSTRAINT ami_cdrs_event_key;
DELETE FROM ami_cdrs a USING ami_cdrs b WHERE a.uniqueid = b.uniqueid AND a.sequence = b.sequence AND a.id > b.id;
ALTER TABLE ami_cdrs ADD CONSTRAINT ami_cdrs_uniqueid_sequence_key UNIQUE (uniqueid, sequence);
ALTER TABLE ami_cdrs DROP COLUMN fingerprint;
