-- Up Migration
-- Each worker's last sign of life, written every few seconds. Takeover (src/calls/upkeep/takeover.ts) decides from
-- this table whether a worker is gone, not from Redis: Redis may lose its data (restart without persistence,
-- failover, eviction) while every worker lives on, and then every worker would look dead. Times are the
-- database's own clock, so workers on hosts with skewed clocks still agree.
--   worker_liveness -> src/calls/upkeep/worker-liveness.ts
CREATE TABLE worker_liveness (
  worker_id  text PRIMARY KEY,
  pid        integer NOT NULL,
  beat_at    timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE worker_liveness;
