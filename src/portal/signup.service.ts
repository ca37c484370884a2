import { randomBytes } from 'node:crypto';
import type { Pool } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { hashPassword } from '../auth/password.ts';
import { ConflictError, onField, UnavailableError } from '../platform/errors.ts';
import { emailTaken, insertSubscriber, takenSlugs } from '../subscribers/subscriber.repository.ts';
import type { Subscriber } from '../subscribers/subscriber.types.ts';
import { claimHosts } from './domain.service.ts';
import { slugCandidates, type SignupInput } from './portal-forms.ts';

const emailTakenError = () => new ConflictError(...onField('email', 'email_taken', 'An account with this email exists already. Log in instead.'));

/**
 * Creates an active but unverified subscriber with its hosts. Nothing is dialed for it until its phone answers
 * the verification call (the accept path refuses with subscriber_not_verified).
 */
export async function signUp(pool: Pool, input: SignupInput): Promise<Subscriber> {
  if (await emailTaken(pool, input.email)) throw emailTakenError();
  const passwordHash = await hashPassword(input.password);
  for (let round = 0; round < 3; round++) {
    const candidates = slugCandidates(input.name, () => randomBytes(3).toString('hex'));
    const taken = await takenSlugs(pool, candidates);
    const slug = candidates.find((c) => !taken.has(c))!;
    try {
      return await withTransaction(pool, async (tx) => {
        const s = await insertSubscriber(tx, {
          slug, name: input.name, email: input.email, country: input.country, timezone: input.timezone,
          phoneE164: input.phoneE164, phoneVerified: false, passwordHash,
        });
        await claimHosts(tx, s.id, input.domains);
        return s;
      });
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && /email/.test(e.constraint ?? '')) throw emailTakenError();
      if (e.code === '23505' && /slug/.test(e.constraint ?? '')) continue; // taken meanwhile: next candidates
      throw err;
    }
  }
  throw new UnavailableError('Please try again.');
}
