import type { Container } from '../../src/main/container.ts';
import { signUp, type FormClient } from './portal.ts';

/** What the subscriber helpers need of a test's installation (a Stack or a PolicyWeb). */
interface Installation { base: string; c: Container }

/**
 * Merges `settings` into a subscriber's settings (top-level keys replaced, as jsonb `||` does) and drops the
 * cached subscribers, so the next request or call reads the new settings.
 */
export async function mergeSettings(s: { c: Container }, settings: Record<string, unknown>, slug = 'demo'): Promise<void> {
  await s.c.pool.query(`UPDATE subscribers SET settings = settings || $1::jsonb WHERE slug = $2`, [JSON.stringify(settings), slug]);
  s.c.subscribers.invalidate();
}

export async function subscriberId(s: { c: Container }, slug = 'demo'): Promise<string> {
  return (await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = $1`, [slug])).rows[0].id;
}

/**
 * A subscriber signed up through the portal's form (`over` changes its fields), its phone marked verified in
 * the database: an account that may be called back, with its owner's browser logged in.
 */
export async function verifiedSignUp(s: Installation, over: Record<string, string> = {}): Promise<{ client: FormClient; form: Record<string, string>; id: string; slug: string }> {
  const { client, form } = await signUp(s.base, over);
  const row = (await s.c.pool.query(`SELECT id, slug FROM subscribers WHERE email = $1`, [form.email])).rows[0];
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE id = $1`, [row.id]);
  s.c.subscribers.invalidate();
  return { client, form, id: row.id, slug: row.slug };
}
