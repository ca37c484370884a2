import type { Queryable } from '../db/pool.ts';
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

export async function listDepartments(db: Queryable, subscriberId: string): Promise<Department[]> {
  const { rows } = await db.query(
    `SELECT id, subscriber_id, name, answered_by, phone_e164, phone_verified_at, position
       FROM departments WHERE subscriber_id = $1 ORDER BY position, name`, [subscriberId]);
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
  phoneE164: string | null; phoneVerified?: boolean; settings?: Record<string, unknown>;
}

export async function insertSubscriber(db: Queryable, s: NewSubscriber): Promise<Subscriber> {
  const { rows } = await db.query(
    `INSERT INTO subscribers (slug, name, email, country, timezone, phone_e164, phone_verified_at, settings)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END, $8) RETURNING ${SUBSCRIBER_COLUMNS}`,
    [s.slug, s.name, s.email ?? null, s.country, s.timezone, s.phoneE164, s.phoneVerified ?? false, s.settings ?? {}]);
  return toSubscriber(rows[0]);
}

export async function insertDomain(db: Queryable, subscriberId: string, host: string): Promise<void> {
  await db.query(`INSERT INTO domains (subscriber_id, host) VALUES ($1, $2)`, [subscriberId, host.toLowerCase()]);
}

export async function insertDepartment(db: Queryable, d: { subscriberId: string; name: string; phoneE164: string | null; answeredBy?: 'phone' | 'agents'; verified?: boolean; position?: number }): Promise<Department> {
  const { rows } = await db.query(
    `INSERT INTO departments (subscriber_id, name, answered_by, phone_e164, phone_verified_at, position)
     VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END, $6)
     RETURNING id, subscriber_id, name, answered_by, phone_e164, phone_verified_at, position`,
    [d.subscriberId, d.name, d.answeredBy ?? 'phone', d.phoneE164, d.verified ?? false, d.position ?? 0]);
  return toDepartment(rows[0]);
}
