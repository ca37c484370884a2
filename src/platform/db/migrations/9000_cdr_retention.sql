-- Up Migration
-- AMI CDRs older than CDR_RETENTION_DAYS are pruned by the worker (src/accounting/cdr-retention.ts);
-- this index keeps each pruning pass a range scan instead of a full table scan.
CREATE INDEX ami_cdrs_received_idx ON ami_cdrs (received_at);

-- Down Migration
DROP INDEX ami_cdrs_received_idx;
