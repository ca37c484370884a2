import { z } from 'zod';

/**
 * The one id check: every id Beckon hands out is a PostgreSQL uuid, written 8-4-4-4-12 in hex. Anything else
 * (36 hyphens, NUL, overlong, unicode) is an unknown id (404) and never reaches a `::uuid` cast, which would
 * fail as a 500 (22P02).
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID.test(v);
}

export const uuidSchema = z.string().regex(UUID, 'Not a valid id.');
