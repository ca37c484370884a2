import { z } from 'zod';
import { hashPassword, passwordProblem } from '../auth/password.ts';
import { BadRequestError, ConflictError, onField } from '../platform/errors.ts';
import type { AgentInput } from './agent.repository.ts';
import { OWN_SOFTPHONE_PREFIX, ownSoftphoneDevice } from './softphone.ts';

// The agent forms' validation, shared by the operator's /admin/agents and the subscriber's /portal/team.

export type Body = Record<string, unknown>;

/** `PJSIP/<name>`: a letter or digit (extensions like 1001 are common names), then letters, digits, `_ . -` (at most 64). */
const AGENT_ENDPOINT = /^PJSIP\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const AgentForm = z.object({
  name: z.string().trim().min(1, 'Give the agent a name.').max(100),
  // An agent is a PJSIP endpoint of this installation, by name: no Local/ channels (a dialplan hop that can
  // reach any number), no @host (a trunk or another server), nothing the dialplan could read as a number to dial.
  // Empty: the agent's own browser softphone (null). Which names an agent may have: agentEndpoint below.
  endpoint: z.string().trim()
    .refine((v) => v === '' || AGENT_ENDPOINT.test(v), 'Use a PJSIP endpoint of this installation, like PJSIP/agent1, or leave it empty to answer in the browser.')
    .optional().transform((v) => v || null),
  wrapUpSec: z.union([z.literal(''), z.coerce.number().int().min(0).max(3600)]).optional(),
});
/** The Asterisk node the agent's phone is registered on (ASTERISK_NODE of its workers); empty = any node reaches it. */
export const AgentNode = z.string().trim().regex(/^([\w.-]{1,40})?$/, 'A node is named like ASTERISK_NODE: letters, digits, . _ - (at most 40); empty for any node.');
const AgentLogin = z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9._@-]{1,62}$/, 'Logins are 2-63 letters, digits, . _ @ -.');

/** A form's list field (one value or many) as strings. */
export const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v]).map(String);
/** A comma separated field (skills, languages): at most 20 words of 40 characters. */
export const words = (v: unknown): string[] => String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean).slice(0, 20).map((s) => s.slice(0, 40));

/** `v` as the schema reads it, or a 400 invalid_input with the first problem's message. */
export function parse<T>(schema: z.ZodType<T>, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new BadRequestError('invalid_input', r.error.issues[0]?.message ?? 'Invalid input.');
  return r.data;
}

/** A password typed for an agent, hashed; a 400 saying what is wrong when it is too weak. */
export async function agentPasswordHash(v: unknown): Promise<string> {
  const problem = passwordProblem(v);
  if (problem) throw new BadRequestError('invalid_input', problem);
  return hashPassword(String(v));
}

/**
 * Who fills an agent form. The operator names endpoints (it wrote pjsip.conf); `trunk` is the trunk's device
 * (TRUNK_ENDPOINT's endpoint, e.g. PJSIP/carrier; null when the template names none). A subscriber names none.
 */
export type EndpointRules = { by: 'operator'; trunk: string | null } | { by: 'subscriber' };

const refused = (message: string) => new BadRequestError(...onField('endpoint', 'endpoint_refused', message));

/**
 * The endpoint an agent may be given, as the operator typed it (null: its own browser softphone), or a 400 saying
 * why not. `agent.id` is null for an agent not made yet; `agent.owned` when a subscriber made it. Refused:
 * - `anonymous`: the endpoint visitors' browser calls arrive on, not a phone;
 * - the trunk: an originate to it goes to the carrier, outside every destination check;
 * - `webagent-…` other than the agent's own: Beckon's softphone of another agent (its calls, its credentials);
 * - any other `webagentN` for a subscriber's agent: a declared browser endpoint is the operator's pool's, and a
 *   subscriber's agent answers in the browser on its own.
 * A phone another agent answers on is refused by the database (agentTaken).
 */
export function agentEndpoint(endpoint: string | null, agent: { id: string | null; owned: boolean }, trunk: string | null): string | null {
  if (endpoint === null) return null;
  const lower = endpoint.toLowerCase();
  if (lower === 'pjsip/anonymous') throw refused('PJSIP/anonymous is where visitors call from the browser, not a phone an agent answers on.');
  if (trunk && lower === trunk.toLowerCase()) throw refused(`${endpoint} is the trunk to the phone network, not a phone an agent answers on.`);
  if (OWN_SOFTPHONE_PREFIX.test(endpoint)) {
    if (agent.id && lower === ownSoftphoneDevice(agent.id).toLowerCase()) return ownSoftphoneDevice(agent.id);
    throw refused('Endpoints named webagent-… are the browser softphones Beckon makes, one per agent. Leave the endpoint empty and this agent answers in the browser on its own.');
  }
  if (agent.owned && lower.startsWith('pjsip/webagent')) {
    throw refused("A subscriber's agent answers in the browser on its own softphone (leave the endpoint empty) or on a desk phone; webagentN endpoints are for the operator's agents.");
  }
  return endpoint;
}

/**
 * The new-agent form (name, login, endpoint, password, skills, languages, wrap-up, auto answer), validated. A
 * subscriber's form has no endpoint: any given is refused (its agents answer on their own softphone; the operator
 * gives one a desk phone).
 */
export async function parseNewAgent(body: Body, rules: EndpointRules): Promise<AgentInput> {
  if (rules.by === 'subscriber' && String(body.endpoint ?? '').trim() !== '') {
    throw refused('Your agents answer in the browser, on a softphone Beckon makes for each of them. To have one answer on a desk phone, ask your operator.');
  }
  const f = parse(AgentForm, body);
  const login = parse(AgentLogin, body.login);
  const endpoint = rules.by === 'subscriber' ? null : agentEndpoint(f.endpoint, { id: null, owned: false }, rules.trunk);
  return {
    name: f.name, login, endpoint, skills: words(body.skills), languages: words(body.languages),
    wrapUpSec: typeof f.wrapUpSec === 'number' ? f.wrapUpSec : null, autoAnswer: body.autoAnswer === 'on' || body.autoAnswer === true,
    passwordHash: await agentPasswordHash(body.password),
  };
}

/** Unique indexes on agents' endpoints (migration 9991): one agent per phone, both as rung now and as configured. */
const ENDPOINT_KEYS = new Set(['agents_endpoint_key', 'agents_phone_key']);

/** A duplicate login or endpoint is the person's mistake (409), not a server error. */
export function agentTaken(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint && ENDPOINT_KEYS.has(e.constraint)) {
    throw new ConflictError(...onField('endpoint', 'endpoint_taken', 'Another agent already answers on that endpoint: a phone belongs to one agent.'));
  }
  if (e.code === '23505') throw new ConflictError('login_taken', 'That login is taken.');
  throw err;
}
