import type { Pool, PoolClient } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import { AppError } from '../errors/app-error.ts';
import { patternsOverlap } from '../subscribers/domain-match.ts';
import { domainsNear, insertDomain, listDomains } from '../subscribers/subscriber.repository.ts';

export const MAX_DOMAINS = 50;

/**
 * Claims hosts for a subscriber. One host has one owner: an exact host inside another subscriber's wildcard,
 * or a wildcard covering another subscriber's host, is refused. The check and the insert run under one
 * transaction-scoped advisory lock, so two sign-ups racing for the same site cannot both win.
 */
export async function claimHosts(tx: PoolClient, subscriberId: string, hosts: string[]): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('beckon:domains'))`);
  const mine = new Set((await listDomains(tx, subscriberId)).map((d) => d.host));
  if (mine.size + hosts.length > MAX_DOMAINS) throw new AppError(400, 'too_many_domains', `At most ${MAX_DOMAINS} hosts per account.`, [{ field: 'domains', code: 'too_many_domains', message: `At most ${MAX_DOMAINS} hosts per account.` }]);
  for (const host of hosts) {
    if (mine.has(host)) continue;
    const others = await domainsNear(tx, host, subscriberId);
    if (others.some((o) => patternsOverlap(o.host, host))) {
      const message = `${host} is already registered by another account. If it is yours, contact support.`;
      throw new AppError(409, 'domain_taken', message, [{ field: 'domains', code: 'domain_taken', message }]);
    }
    await insertDomain(tx, subscriberId, host);
    mine.add(host);
  }
}

export async function addHosts(pool: Pool, subscriberId: string, hosts: string[]): Promise<void> {
  await withTransaction(pool, (tx) => claimHosts(tx, subscriberId, hosts));
}
