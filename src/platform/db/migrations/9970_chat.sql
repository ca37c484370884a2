-- Up Migration
-- Live chat between visitors and a subscriber's service center. Owner: src/chat/chat.repository.ts.
--   chat_conversations: one per "Message us"; token_hash is the visitor's credential (the raw token is given once,
--     at the start). next_seq numbers the conversation's messages: taking the next number locks the row until the
--     message commits, so a message is visible only after every earlier one of its conversation.
--   chat_messages: plain text (never HTML), 1 to 2000 characters, ordered by seq within their conversation.
CREATE TABLE chat_conversations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscriber_id     uuid NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  department_id     uuid REFERENCES departments(id) ON DELETE SET NULL,
  request_id        uuid REFERENCES callback_requests(id) ON DELETE SET NULL,
  callback_request_id uuid REFERENCES callback_requests(id) ON DELETE SET NULL,
  agent_id          uuid REFERENCES agents(id) ON DELETE SET NULL,
  visitor_name      text,
  visitor_phone     text,
  page_url          text,
  referrer          text,
  ip                text,
  token_hash        bytea NOT NULL,
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  next_seq          integer NOT NULL DEFAULT 0,
  created_at        timestamptz NOT NULL DEFAULT now(),
  first_message_at  timestamptz,
  first_response_at timestamptz,
  unanswered_at     timestamptz,
  last_message_at   timestamptz NOT NULL DEFAULT now(),
  closed_at         timestamptz,
  closed_by         text CHECK (closed_by IN ('visitor', 'agent', 'owner'))
);
CREATE INDEX chat_conversations_subscriber_idx ON chat_conversations (subscriber_id, created_at DESC);
CREATE INDEX chat_conversations_agent_open_idx ON chat_conversations (agent_id) WHERE status = 'open';
CREATE INDEX chat_conversations_waiting_idx ON chat_conversations (first_message_at)
  WHERE status = 'open' AND first_response_at IS NULL AND unanswered_at IS NULL;
CREATE INDEX chat_conversations_unassigned_idx ON chat_conversations (created_at) WHERE status = 'open' AND agent_id IS NULL;
CREATE INDEX chat_conversations_request_idx ON chat_conversations (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX chat_conversations_last_idx ON chat_conversations (last_message_at);

CREATE TABLE chat_messages (
  id              bigserial PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES chat_conversations(id) ON DELETE CASCADE,
  seq             integer NOT NULL,
  author          text NOT NULL CHECK (author IN ('visitor', 'agent', 'owner', 'system')),
  author_name     text,
  -- what a system message says to the visitor's page (unanswered: offer a call-back), null for people's messages
  kind            text,
  body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (conversation_id, seq)
);
