import type { Queryable } from '../platform/db/pool.ts';
import { isUuid } from '../platform/validation/ids.ts';
import type { Department, Subscriber } from './subscriber.types.ts';

// Owner of the subscribers, domains and departments tables.

const SUBSCRIBER_COLUMNS = `id, slug, name, email, country, timezone, phone_e164, phone_verified_at, status, settings`;

export function toSubscriber(r: Record<string, any>): Subscriber {
  return {
    id: r.id, slug: r.slug, name: r.name, email: r.email, country: r.country.trim(), timezone: r.timezone,
    phoneE164: r.phone_e164, phoneVerifiedAt: r.phone_verified_at, status: r.status, settings: r.settings ?? {},
  };
}

export function toDepartment(r: Record<string, any>): Department {
  return {
    id: r.id, subscriberId: r.subscriber_id, name: r.name, answeredBy: r.answered_by,
    phoneE164: r.phone_e164, phoneVerifiedAt: r.phone_verified_at, position: r.position,
  };
}

export async function findSubscriberBySlug(db: Queryable, slug: string): Promise<Subscriber | null> {
  const { rows } = await db.query(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE slug = $1`, [slug]);
  return rows[0] ? toSubscriber(rows[0]) : null;
}

export async function findSubscriberById(db: Queryable, id: string): Promise<Subscriber | null> {
  const { rows } = await db.query(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = $1`, [id]);
  return rows[0] ? toSubscriber(rows[0]) : null;
}

/** Seconds since the account was created (null: no such subscriber); new accounts get fewer verification calls. */
export async function accountAgeSec(db: Queryable, id: string): Promise<number | null> {
  const { rows } = await db.query(`SELECT extract(epoch FROM now() - created_at)::float8 AS age FROM subscribers WHERE id = $1`, [id]);
  return rows[0] ? Number(rows[0].age) : null;
}

export async function listDepartments(db: Queryable, subscriberId: string): Promise<Department[]> {
  const { rows } = await db.query(
    `SELECT id, subscriber_id, name, answered_by, phone_e164, phone_verified_at, position
       FROM departments WHERE subscriber_id = $1 AND archived_at IS NULL ORDER BY position, name`, [subscriberId]);
  return rows.map(toDepartment);
}

export async function findDepartment(db: Queryable, subscriberId: string, id: string): Promise<Department | null> {
  const { rows } = await db.query(
    `SELECT id, subscriber_id, name, answered_by, phone_e164, phone_verified_at, position
       FROM departments WHERE subscriber_id = $1 AND id = $2`, [subscriberId, id]);
  return rows[0] ? toDepartment(rows[0]) : null;
}

export interface NewSubscriber {
  slug: string; name: string; email?: string | null; country: string; timezone: string;
  phoneE164: string | null; phoneVerified?: boolean; settings?: Record<string, unknown>; passwordHash?: string | null;
}

export async function insertSubscriber(db: Queryable, s: NewSubscriber): Promise<Subscriber> {
  const { rows } = await db.query(
    `INSERT INTO subscribers (slug, name, email, country, timezone, phone_e164, phone_verified_at, settings, password_hash)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END, $8, $9) RETURNING ${SUBSCRIBER_COLUMNS}`,
    [s.slug, s.name, s.email ?? null, s.country, s.timezone, s.phoneE164, s.phoneVerified ?? false, s.settings ?? {}, s.passwordHash ?? null]);
  return toSubscriber(rows[0]);
}

/**
 * Registers a host for a subscriber: owned at once (`verified`, for the operator, the demo and tests) or pending
 * until its token is found on the site (`{ token }`, a claim from the portal; see src/portal/domain.service.ts).
 */
export async function insertDomain(db: Queryable, subscriberId: string, host: string, how: 'verified' | { token: string } = 'verified'): Promise<void> {
  await db.query(
    `INSERT INTO domains (subscriber_id, host, verified_at, verify_token) VALUES ($1, $2, CASE WHEN $3::text IS NULL THEN now() END, $3)`,
    [subscriberId, host.toLowerCase(), how === 'verified' ? null : how.token]);
}

export async function insertDepartment(db: Queryable, d: { subscriberId: string; name: string; phoneE164: string | null; answeredBy?: 'phone' | 'agents'; verified?: boolean; position?: number }): Promise<Department> {
  const { rows } = await db.query(
    `INSERT INTO departments (subscriber_id, name, answered_by, phone_e164, phone_verified_at, position)
     VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END, $6)
     RETURNING id, subscriber_id, name, answered_by, phone_e164, phone_verified_at, position`,
    [d.subscriberId, d.name, d.answeredBy ?? 'phone', d.phoneE164, d.verified ?? false, d.position ?? 0]);
  return toDepartment(rows[0]);
}

// ---- self-service (portal): every query below is scoped by subscriber id.

export async function findLoginByEmail(db: Queryable, email: string): Promise<{ id: string; name: string; slug: string; status: string; passwordHash: string | null; sessionGeneration: number } | null> {
  const { rows } = await db.query(`SELECT id, name, slug, status, password_hash, session_generation FROM subscribers WHERE lower(email) = lower($1)`, [email]);
  const r = rows[0];
  return r ? { id: r.id, name: r.name, slug: r.slug, status: r.status, passwordHash: r.password_hash, sessionGeneration: r.session_generation } : null;
}

export async function findPasswordHash(db: Queryable, id: string): Promise<string | null> {
  const { rows } = await db.query(`SELECT password_hash FROM subscribers WHERE id = $1`, [id]);
  return rows[0]?.password_hash ?? null;
}

/** Sets a new password and ends the account's other sessions; returns the new session generation. */
export async function setPasswordHash(db: Queryable, id: string, hash: string): Promise<number> {
  const { rows } = await db.query(
    `UPDATE subscribers SET password_hash = $2, session_generation = session_generation + 1, updated_at = now() WHERE id = $1 RETURNING session_generation`,
    [id, hash]);
  return rows[0]?.session_generation ?? 0;
}

/** The account's status (active or suspended); null when there is no such account. */
export async function findSubscriberStatus(db: Queryable, id: string): Promise<'active' | 'suspended' | null> {
  const { rows } = await db.query(`SELECT status FROM subscribers WHERE id = $1`, [id]);
  return rows[0]?.status ?? null;
}

/** The account's session generation (see setPasswordHash); null when there is no such account. */
export async function findSessionGeneration(db: Queryable, id: string): Promise<number | null> {
  const { rows } = await db.query(`SELECT session_generation FROM subscribers WHERE id = $1`, [id]);
  return rows[0]?.session_generation ?? null;
}

export async function emailTaken(db: Queryable, email: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM subscribers WHERE lower(email) = lower($1)`, [email]);
  return !!rowCount;
}

/** Slugs already used among `candidates`. */
export async function takenSlugs(db: Queryable, candidates: string[]): Promise<Set<string>> {
  const { rows } = await db.query(`SELECT slug FROM subscribers WHERE slug = ANY($1::text[])`, [candidates]);
  return new Set(rows.map((r) => r.slug as string));
}

/**
 * Changing the phone number or the country drops the phone's verification: only a number that answered with the
 * code is ever dialed, and the country decides which destinations the subscriber's visitors may have (it must
 * not be a free switch to another country's numbers).
 */
export async function updateProfile(db: Queryable, id: string, p: { name: string; country: string; timezone: string; phoneE164: string }): Promise<void> {
  await db.query(
    `UPDATE subscribers SET name = $2, country = $3, timezone = $4,
        phone_verified_at = CASE WHEN phone_e164 IS DISTINCT FROM $5 OR country IS DISTINCT FROM $3 THEN NULL ELSE phone_verified_at END,
        phone_e164 = $5, updated_at = now()
      WHERE id = $1`, [id, p.name, p.country, p.timezone, p.phoneE164]);
}

/** Shallow merge of the given top-level settings keys; keys owned by other modules are left alone. */
export async function mergeSettings(db: Queryable, id: string, patch: Record<string, unknown>): Promise<void> {
  await db.query(`UPDATE subscribers SET settings = settings || $2::jsonb, updated_at = now() WHERE id = $1`, [id, JSON.stringify(patch)]);
}

/** Marks a phone verified only if it is still the number that was verified (it may have changed meanwhile). */
export async function markPhoneVerified(db: Queryable, subscriberId: string, departmentId: string | null, phoneE164: string): Promise<boolean> {
  const { rowCount } = departmentId
    ? await db.query(`UPDATE departments SET phone_verified_at = now() WHERE id = $1 AND subscriber_id = $2 AND phone_e164 = $3`, [departmentId, subscriberId, phoneE164])
    : await db.query(`UPDATE subscribers SET phone_verified_at = now(), updated_at = now() WHERE id = $1 AND phone_e164 = $2`, [subscriberId, phoneE164]);
  return !!rowCount;
}

export interface DomainRow { id: string; host: string; createdAt: Date; verifiedAt: Date | null; verifyToken: string | null }

const DOMAIN_COLUMNS = `id, host, created_at, verified_at, verify_token`;

const toDomain = (r: Record<string, any>): DomainRow =>
  ({ id: r.id, host: r.host, createdAt: r.created_at, verifiedAt: r.verified_at, verifyToken: r.verify_token });

export async function listDomains(db: Queryable, subscriberId: string): Promise<DomainRow[]> {
  const { rows } = await db.query(`SELECT ${DOMAIN_COLUMNS} FROM domains WHERE subscriber_id = $1 ORDER BY host`, [subscriberId]);
  return rows.map(toDomain);
}

export async function findDomain(db: Queryable, subscriberId: string, domainId: string): Promise<DomainRow | null> {
  if (!isUuid(domainId)) return null;
  const { rows } = await db.query(
    `SELECT ${DOMAIN_COLUMNS} FROM domains WHERE id = $1 AND subscriber_id = $2`, [domainId, subscriberId]);
  return rows[0] ? toDomain(rows[0]) : null;
}

/**
 * Hosts (exact or wildcard) of other subscribers that share the wildcard's base or the host's parents, with
 * whether each is verified (only verified hosts are owned; pending ones are claims).
 */
export async function domainsNear(db: Queryable, host: string, exceptSubscriberId: string | null): Promise<{ id: string; host: string; subscriberId: string; verified: boolean }[]> {
  const base = host.startsWith('*.') ? host.slice(2) : host;
  const labels = base.split('.');
  const parents = labels.map((_, i) => `*.${labels.slice(i).join('.')}`);
  const { rows } = await db.query(
    `SELECT id, host, subscriber_id, verified_at IS NOT NULL AS verified FROM domains
      WHERE (host = $1 OR host = ANY($2::text[]) OR host LIKE $3 ESCAPE '\\')
        AND ($4::uuid IS NULL OR subscriber_id <> $4)`,
    [base, parents, `%.${base.replace(/[\\%_]/g, (c) => `\\${c}`)}`, exceptSubscriberId]);
  return rows.map((r) => ({ id: r.id, host: r.host, subscriberId: r.subscriber_id, verified: r.verified }));
}

/** Marks a subscriber's host verified; false when it is not theirs. */
export async function markDomainVerified(db: Queryable, subscriberId: string, domainId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE domains SET verified_at = COALESCE(verified_at, now()) WHERE id = $1 AND subscriber_id = $2`, [domainId, subscriberId]);
  return !!rowCount;
}

/** Drops other accounts' pending claims (by id) once a host they overlap has been verified by its owner. */
export async function deletePendingDomains(db: Queryable, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { rowCount } = await db.query(`DELETE FROM domains WHERE id = ANY($1::uuid[]) AND verified_at IS NULL`, [ids]);
  return rowCount ?? 0;
}

export async function deleteDomain(db: Queryable, subscriberId: string, domainId: string): Promise<boolean> {
  if (!isUuid(domainId)) return false;
  const { rowCount } = await db.query(`DELETE FROM domains WHERE id = $1 AND subscriber_id = $2`, [domainId, subscriberId]);
  return !!rowCount;
}

export async function updateDepartment(db: Queryable, subscriberId: string, id: string, d: { name: string; answeredBy: 'phone' | 'agents'; phoneE164: string | null; position: number }): Promise<boolean> {
  if (!isUuid(id)) return false;
  const { rowCount } = await db.query(
    `UPDATE departments SET name = $3, answered_by = $4,
        phone_verified_at = CASE WHEN phone_e164 IS DISTINCT FROM $5 THEN NULL ELSE phone_verified_at END,
        phone_e164 = $5, position = $6
      WHERE id = $1 AND subscriber_id = $2 AND archived_at IS NULL`,
    [id, subscriberId, d.name, d.answeredBy, d.phoneE164, d.position]);
  return !!rowCount;
}

/** Deletes a department; one that call-back requests still point at is archived (kept for their history). */
export async function removeDepartment(db: Queryable, subscriberId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  try {
    const { rowCount } = await db.query(`DELETE FROM departments WHERE id = $1 AND subscriber_id = $2`, [id, subscriberId]);
    return !!rowCount;
  } catch (err) {
    if ((err as { code?: string }).code !== '23503') throw err;
    const { rowCount } = await db.query(
      `UPDATE departments SET archived_at = now(), name = name || ' (removed ' || left(id::text, 8) || ')'
        WHERE id = $1 AND subscriber_id = $2 AND archived_at IS NULL`, [id, subscriberId]);
    return !!rowCount;
  }
}

export { isUuid } from '../platform/validation/ids.ts';

// Operator-side setters (operator console, agent administration).

export async function setSubscriberStatus(db: Queryable, id: string, status: 'active' | 'suspended'): Promise<string | null> {
  const { rows } = await db.query(`UPDATE subscribers SET status = $2, updated_at = now() WHERE id = $1 RETURNING slug`, [id, status]);
  return rows[0]?.slug ?? null;
}

/** Who answers a subscriber's calls: its phone, or the agents the operator assigns (with the agents' mode). */
export async function setSubscriberAgentRouting(db: Queryable, subscriberId: string, s: { answeredBy: 'phone' | 'agents'; mode: string; waitSec: number; fallback: string }): Promise<void> {
  await db.query(
    `UPDATE subscribers SET settings = settings || jsonb_build_object('answeredBy', $2::text, 'agents', jsonb_build_object('mode', $3::text, 'waitSec', $4::int, 'fallback', $5::text)),
       updated_at = now() WHERE id = $1`, [subscriberId, s.answeredBy, s.mode, s.waitSec, s.fallback]);
}

export async function setDepartmentAnsweredBy(db: Queryable, departmentId: string, answeredBy: 'phone' | 'agents'): Promise<boolean> {
  // A department without its own phone can only be answered by agents (the table's CHECK says so too).
  const { rowCount } = await db.query(
    `UPDATE departments SET answered_by = $2 WHERE id = $1 AND ($2 = 'agents' OR phone_e164 IS NOT NULL)`, [departmentId, answeredBy]);
  return (rowCount ?? 0) > 0;
}
