import { parsePhone } from '../../phone/phone-number.ts';
import { checkDestination, operatorPolicy, policySettings, type DestinationRefusal, type OperatorDestinations } from '../../policy/destination-policy.ts';
import type { Department, Subscriber } from '../../subscribers/subscriber.types.ts';

/**
 * The last word before a leg is dialed, on data read afresh for that dial. Pure. Whatever was true when a
 * request was accepted may have changed by the time it is dialed (scheduled, retried, or waiting in line): the
 * subscriber may have changed its phone (verification cleared) or its country, the operator its policy.
 * A refusal names its reason for the owner (shown in the portal's request list) and nothing is dialed.
 */
export interface DialRefusal { code: string; reason: string }

const VISITOR_REASONS: Record<DestinationRefusal['code'], string> = {
  country_not_served: "refused: your country is not among the destinations this service calls, so no number can be called",
  number_type_refused: "refused: the visitor's number is of a kind this service does not call (premium-rate, toll-free or other special numbers)",
  country_not_allowed: "refused: the visitor's number is in a country that is not allowed",
};

type PhoneFacts = { country: string | undefined; type: string | undefined };

/**
 * Facts by `number|country`. The same subscriber phone is checked before every call it takes, and a visitor's
 * number at each dial; the answer depends on libphonenumber's metadata alone, which is fixed for the life of the
 * process, so it never goes stale. Emptied past 10,000 entries (one parse each is all a full map saves).
 */
const factsOf = new Map<string, PhoneFacts>();

function phoneFacts(e164: string, country: string): PhoneFacts {
  const key = `${e164}|${country}`;
  let facts = factsOf.get(key);
  if (!facts) {
    const p = parsePhone(e164, country);
    facts = p.ok ? { country: p.country, type: p.type } : { country: undefined, type: undefined };
    if (factsOf.size >= 10_000) factsOf.clear();
    factsOf.set(key, facts);
  }
  return facts;
}

/** The visitor's number against the subscriber's policy narrowed by the operator's (same check as at accept). */
export function visitorRefusal(phoneE164: string, subscriber: Subscriber, operator: OperatorDestinations): DialRefusal | null {
  const refusal = checkDestination(phoneFacts(phoneE164, subscriber.country), policySettings(subscriber.settings, subscriber.country, operator));
  return refusal ? { code: refusal.code, reason: VISITOR_REASONS[refusal.code] } : null;
}

/** The verified numbers of the subscriber's side for this request: the department's, then the subscriber's own. */
function verifiedNumbers(subscriber: Subscriber, department: Department | null): string[] {
  const out: string[] = [];
  if (department?.phoneE164 && department.phoneVerifiedAt) out.push(department.phoneE164);
  if (subscriber.phoneE164 && subscriber.phoneVerifiedAt) out.push(subscriber.phoneE164);
  return out;
}

/**
 * A phone on the subscriber's side that is about to be rung (its own or its department's): it must be one of
 * the request's verified numbers, and within the operator's destinations.
 */
export function calleePhoneRefusal(phoneE164: string | null | undefined, subscriber: Subscriber, department: Department | null, operator: OperatorDestinations): DialRefusal | null {
  if (!phoneE164 || !verifiedNumbers(subscriber, department).includes(phoneE164)) {
    return { code: 'callee_not_verified', reason: 'refused: the phone to connect the call to is not verified (it was changed or never confirmed); verify it in the portal' };
  }
  if (checkDestination(phoneFacts(phoneE164, subscriber.country), operatorPolicy(operator))) {
    return { code: 'callee_not_allowed', reason: 'refused: the phone to connect the call to is outside the destinations this service calls' };
  }
  return null;
}

/**
 * The number the visitor's phone shows: the subscriber's own verified phone, else the department's verified
 * phone; null when neither is verified (agents answer): then no number is shown, never an unverified one.
 */
export function presentedNumber(subscriber: Subscriber, department: Department | null): string | null {
  if (subscriber.phoneE164 && subscriber.phoneVerifiedAt) return subscriber.phoneE164;
  if (department?.phoneE164 && department.phoneVerifiedAt) return department.phoneE164;
  return null;
}

/** Any number the installation is to ring on its own account (a verification call): the operator's policy alone. */
export function operatorNumberRefusal(phoneE164: string, operator: OperatorDestinations): DialRefusal | null {
  const refusal = checkDestination(phoneFacts(phoneE164, operator.countries[0] ?? 'US'), operatorPolicy(operator));
  if (!refusal) return null;
  const reason = refusal.code === 'number_type_refused' ? 'it is a premium-rate, toll-free or other special number' : 'it is in a country this service does not call';
  return { code: refusal.code === 'number_type_refused' ? 'number_type_refused' : 'country_not_allowed', reason };
}
