import { randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { BadRequestError, ConflictError, NotFoundError, onField, UnprocessableError } from '../platform/errors.ts';
import { patternsOverlap } from '../subscribers/domain-match.ts';
import { deletePendingDomains, domainsNear, findDomain, insertDomain, listDomains, markDomainVerified } from '../subscribers/subscriber.repository.ts';
import type { DomainChecker } from './domain-verification.ts';

const MAX_DOMAINS = 50;

const lockDomains = (tx: PoolClient) => tx.query(`SELECT pg_advisory_xact_lock(hashtext('beckon:domains'))`);

function taken(host: string): ConflictError {
  return new ConflictError(...onField('domains', 'domain_taken', `${host} is already registered by another account. If it is yours, contact support.`));
}

export const domainNotFound = () => new NotFoundError('domain_not_found', 'No such domain.');

/**
 * Claims hosts for a subscriber, pending until proven (verifyDomain). One host has one owner: a claim that
 * overlaps another subscriber's verified host (an exact host inside its wildcard, or a wildcard covering it) is
 * refused; a claim overlapping only others' pending claims is allowed, since a claim proves nothing and must not
 * let anyone squat on a site. The check and the insert run under one transaction-scoped advisory lock, so two
 * accounts racing for the same site cannot both win.
 */
export async function claimHosts(tx: PoolClient, subscriberId: string, hosts: string[]): Promise<void> {
  await lockDomains(tx);
  const mine = new Set((await listDomains(tx, subscriberId)).map((d) => d.host));
  if (mine.size + hosts.length > MAX_DOMAINS) throw new BadRequestError(...onField('domains', 'too_many_domains', `At most ${MAX_DOMAINS} hosts per account.`));
  for (const host of hosts) {
    if (mine.has(host)) continue;
    const others = await domainsNear(tx, host, subscriberId);
    if (others.some((o) => o.verified && patternsOverlap(o.host, host))) throw taken(host);
    await insertDomain(tx, subscriberId, host, { token: `beckon-verification=${randomBytes(18).toString('base64url')}` });
    mine.add(host);
  }
}

export async function addHosts(pool: Pool, subscriberId: string, hosts: string[]): Promise<void> {
  await withTransaction(pool, (tx) => claimHosts(tx, subscriberId, hosts));
}

/**
 * Checks a pending host's token on its site and, when found, makes the host the subscriber's: refused if another
 * account verified an overlapping host first; other accounts' pending claims on it are dropped. The site is
 * fetched before the transaction (a slow site must not hold the lock). Returns the host.
 */
export async function verifyDomain(pool: Pool, check: DomainChecker, subscriberId: string, domainId: string): Promise<string> {
  const d = await findDomain(pool, subscriberId, domainId);
  if (!d) throw domainNotFound();
  if (d.verifiedAt) return d.host;
  if (!d.verifyToken) throw new ConflictError('domain_not_verifiable', 'This host has no token; remove it and add it again.');
  const found = await check(d.host, d.verifyToken);
  if (!found.ok) throw new UnprocessableError('domain_not_verified', `The token was not found: ${found.reason}`, [{ field: 'domain', code: 'domain_not_verified', message: found.reason }]);
  await withTransaction(pool, async (tx) => {
    await lockDomains(tx);
    const others = (await domainsNear(tx, d.host, subscriberId)).filter((o) => patternsOverlap(o.host, d.host));
    if (others.some((o) => o.verified)) throw taken(d.host);
    await markDomainVerified(tx, subscriberId, d.id);
    await deletePendingDomains(tx, others.map((o) => o.id));
  });
  return d.host;
}
