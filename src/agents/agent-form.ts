import { z } from 'zod';
import { hashPassword, passwordProblem } from '../auth/password.ts';
import { BadRequestError, ConflictError } from '../platform/errors.ts';
import type { AgentInput } from './agent.repository.ts';

// The agent forms' validation, shared by the operator's /admin/agents and the subscriber's /portal/team.

export type Body = Record<string, unknown>;

/** `PJSIP/<name>`: a letter or digit (extensions like 1001 are common names), then letters, digits, `_ . -` (at most 64). */
const AGENT_ENDPOINT = /^PJSIP\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const AgentForm = z.object({
  name: z.string().trim().min(1, 'Give the agent a name.').max(100),
  // An agent is a PJSIP endpoint of this installation, by name: no Local/ channels (a dialplan hop that can
  // reach any number), no @host (a trunk or another server), nothing the dialplan could read as a number to dial.
  endpoint: z.string().trim().regex(AGENT_ENDPOINT, 'Use a PJSIP endpoint of this installation, like PJSIP/agent1.'),
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

/** The new-agent form (name, login, endpoint, password, skills, languages, wrap-up, auto answer), validated. */
export async function parseNewAgent(body: Body): Promise<AgentInput> {
  const f = parse(AgentForm, body);
  const login = parse(AgentLogin, body.login);
  return {
    name: f.name, login, endpoint: f.endpoint, skills: words(body.skills), languages: words(body.languages),
    wrapUpSec: typeof f.wrapUpSec === 'number' ? f.wrapUpSec : null, autoAnswer: body.autoAnswer === 'on' || body.autoAnswer === true,
    passwordHash: await agentPasswordHash(body.password),
  };
}

/** A duplicate login is the person's mistake (409), not a server error. */
export function loginTaken(err: unknown): never {
  if ((err as { code?: string }).code === '23505') throw new ConflictError('login_taken', 'That login is taken.');
  throw err;
}
