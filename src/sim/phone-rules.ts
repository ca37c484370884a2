/** How a simulated phone reacts to an incoming call. Delays are in unscaled milliseconds. */
export type PhoneBehavior =
  | { kind: 'answer'; afterMs?: number; hangupAfterMs?: number; pressKey?: string | null }
  | { kind: 'busy'; afterMs?: number }
  | { kind: 'noanswer' }
  | { kind: 'reject'; afterMs?: number }
  | { kind: 'unreachable'; afterMs?: number }
  | { kind: 'congestion'; afterMs?: number };

/** A dialed number as rules and records compare it: without a leading '+'. */
export function bareNumber(number: string): string {
  return number.replace(/^\+/, '');
}

/** `pattern` is a regular expression source matched against the dialed number without '+'. */
export interface PhoneRule {
  pattern: string;
  behavior: PhoneBehavior;
}

interface CompiledRule {
  rule: PhoneRule;
  re: RegExp;
}

/** The demo, the docs and outside checks rely on these: they go by the last digit. */
export const DEFAULT_RULES: readonly PhoneRule[] = Object.freeze([
  { pattern: '0$', behavior: { kind: 'busy' } },
  { pattern: '9$', behavior: { kind: 'noanswer' } },
  { pattern: '8$', behavior: { kind: 'reject' } },
  { pattern: '7$', behavior: { kind: 'answer', hangupAfterMs: 2000 } },
  { pattern: '6$', behavior: { kind: 'answer', pressKey: null } },
  { pattern: '', behavior: { kind: 'answer' } },
]);

const KINDS = new Set(['answer', 'busy', 'noanswer', 'reject', 'unreachable', 'congestion']);

function delay(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${field} must be a non-negative number of milliseconds`);
  }
  return value;
}

/** Validates a behaviour coming from a test or the control API; throws with a readable message. */
export function parseBehavior(input: unknown): PhoneBehavior {
  if (!input || typeof input !== 'object') throw new Error('behavior must be an object');
  const b = input as Record<string, unknown>;
  const kind = b.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    throw new Error(`behavior.kind must be one of ${[...KINDS].join(', ')}`);
  }
  switch (kind) {
    case 'answer': {
      const pressKey = b.pressKey;
      if (pressKey !== undefined && pressKey !== null && (typeof pressKey !== 'string' || !/^[0-9A-D*#]$/.test(pressKey))) {
        throw new Error('behavior.pressKey must be one DTMF digit or null');
      }
      const out: PhoneBehavior = { kind: 'answer' };
      const afterMs = delay(b.afterMs, 'behavior.afterMs');
      const hangupAfterMs = delay(b.hangupAfterMs, 'behavior.hangupAfterMs');
      if (afterMs !== undefined) out.afterMs = afterMs;
      if (hangupAfterMs !== undefined) out.hangupAfterMs = hangupAfterMs;
      if (pressKey !== undefined) out.pressKey = pressKey as string | null;
      return out;
    }
    case 'noanswer':
      return { kind: 'noanswer' };
    default: {
      const afterMs = delay(b.afterMs, 'behavior.afterMs');
      const out = { kind } as PhoneBehavior & { afterMs?: number };
      if (afterMs !== undefined) out.afterMs = afterMs;
      return out;
    }
  }
}

export function parseRules(input: unknown): PhoneRule[] {
  if (!Array.isArray(input)) throw new Error('rules must be an array');
  return input.map((r, i) => {
    if (!r || typeof r !== 'object') throw new Error(`rules[${i}] must be an object`);
    const { pattern, behavior } = r as Record<string, unknown>;
    if (typeof pattern !== 'string') throw new Error(`rules[${i}].pattern must be a string`);
    try {
      new RegExp(pattern);
    } catch {
      throw new Error(`rules[${i}].pattern is not a valid regular expression`);
    }
    return { pattern, behavior: parseBehavior(behavior) };
  });
}

/**
 * Custom rules are tried first and the default rules after them, so a test can script one
 * number and leave every other number behaving as documented.
 */
export class PhoneBook {
  private custom: CompiledRule[] = [];
  private readonly defaults: CompiledRule[] = DEFAULT_RULES.map(compile);

  set(rules: PhoneRule[]): void {
    this.custom = parseRules(rules).map(compile);
  }

  reset(): void {
    this.custom = [];
  }

  rules(): PhoneRule[] {
    return this.custom.map((c) => c.rule);
  }

  behaviorFor(number: string): PhoneBehavior {
    const digits = bareNumber(number);
    for (const c of this.custom) if (c.re.test(digits)) return c.rule.behavior;
    for (const c of this.defaults) if (c.re.test(digits)) return c.rule.behavior;
    return { kind: 'answer' };
  }
}

function compile(rule: PhoneRule): CompiledRule {
  return { rule, re: new RegExp(rule.pattern) };
}
