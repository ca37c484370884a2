import { randomBytes } from 'node:crypto';
import { withDefaultUser } from '../../src/platform/config.ts';
import { createScratchDatabase, type ScratchDatabase } from '../../src/platform/db/scratch-database.ts';

const ADMIN_URL = withDefaultUser(process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://127.0.0.1:5432/postgres');

/** A fresh, migrated database for one test file, so files run in parallel without seeing each other. */
export function createTestDatabase(label: string): Promise<ScratchDatabase> {
  return createScratchDatabase(ADMIN_URL, 'beckon_t', label);
}

export function testRedisPrefix(label: string): string {
  return `beckon-test-${label}-${randomBytes(3).toString('hex')}`;
}
