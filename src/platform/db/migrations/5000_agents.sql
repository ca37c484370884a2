-- Up Migration
-- Call-center agents. Owner: src/agents/agent.repository.ts (agents, agent_subscribers,
-- agent_departments, agent_offers, agent_waits, request_dispositions).

CREATE TABLE agents (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL,
  login         text NOT NULL UNIQUE CHECK (login = lower(login) AND login ~ '^[a-z0-9][a-z0-9._@-]{1,62}$'),
  password_hash text,
  -- dial string of the agent's phone, e.g. PJSIP/agent1; also the AMI device name
  endpoint      text NOT NULL CHECK (endpoint ~ '^[A-Za-z]+/[A-Za-z0-9_.+-]+$'),
  skills        text[] NOT NULL DEFAULT '{}',
  languages     text[] NOT NULL DEFAULT '{}',
  status        text NOT NULL DEFAULT 'away' CHECK (status IN ('available', 'away', 'wrap_up')),
  -- wrap-up seconds after each call; NULL = the global AGENT_WRAP_UP_SEC
  wrap_up_sec   integer CHECK (wrap_up_sec IS NULL OR wrap_up_sec BETWEEN 0 AND 3600),
  wrap_up_until timestamptz,
  -- ring the phone at once instead of waiting for Accept in the console (phone-only agents)
  auto_answer   boolean NOT NULL DEFAULT false,
  -- last AMI device state seen for endpoint (NOT_INUSE, INUSE, UNAVAILABLE, ...); UNKNOWN until AMI says
  device_state  text NOT NULL DEFAULT 'UNKNOWN',
  device_state_at timestamptz,
  -- The reservation: one request at a time per agent, taken atomically, released at the end of the call.
  reserved_request uuid REFERENCES callback_requests(id) ON DELETE SET NULL,
  reserved_attempt uuid,
  reserved_by   text,
  reserved_at   timestamptz,
  -- longest idle first: reset whenever an offer ends
  idle_since    timestamptz NOT NULL DEFAULT now(),
  active        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- A request is offered to one agent at a time.
CREATE UNIQUE INDEX agents_reserved_request_idx ON agents (reserved_request) WHERE reserved_request IS NOT NULL;
CREATE INDEX agents_endpoint_idx ON agents (lower(endpoint));

CREATE TABLE agent_subscribers (
  agent_id      uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  PRIMARY KEY (agent_id, subscriber_id)
);
CREATE INDEX agent_subscribers_subscriber_idx ON agent_subscribers (subscriber_id);

-- Optional narrowing: an agent with department rows for a subscriber takes only those departments of it.
CREATE TABLE agent_departments (
  agent_id      uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  department_id uuid NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
  PRIMARY KEY (agent_id, department_id)
);

-- Every offer of a request to an agent and how it ended; declined/unanswered offers skip that agent for the request.
CREATE TABLE agent_offers (
  id            bigserial PRIMARY KEY,
  agent_id      uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  request_id    uuid NOT NULL REFERENCES callback_requests(id) ON DELETE CASCADE,
  attempt_id    uuid,
  mode          text NOT NULL CHECK (mode IN ('agent_first', 'customer_first')),
  outcome       text CHECK (outcome IN ('connected', 'declined', 'no_answer', 'busy', 'failed', 'visitor_unanswered', 'canceled')),
  offered_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz
);
CREATE INDEX agent_offers_request_idx ON agent_offers (request_id, agent_id);
CREATE INDEX agent_offers_agent_idx ON agent_offers (agent_id, offered_at DESC);

-- Requests waiting for a free agent, served first come first served.
CREATE TABLE agent_waits (
  request_id    uuid PRIMARY KEY REFERENCES callback_requests(id) ON DELETE CASCADE,
  subscriber_id uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  since         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_waits_subscriber_idx ON agent_waits (subscriber_id, since);

CREATE TABLE request_dispositions (
  request_id    uuid PRIMARY KEY REFERENCES callback_requests(id) ON DELETE CASCADE,
  agent_id      uuid REFERENCES agents(id) ON DELETE SET NULL,
  disposition   text NOT NULL CHECK (disposition IN ('resolved', 'follow_up', 'sale', 'not_interested', 'wrong_number', 'other')),
  notes         text NOT NULL DEFAULT '' CHECK (length(notes) <= 4000),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE request_dispositions;
DROP TABLE agent_waits;
DROP TABLE agent_offers;
DROP TABLE agent_departments;
DROP TABLE agent_subscribers;
DROP TABLE agents;
