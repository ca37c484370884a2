import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Unique, valid US numbers for the load: a run must never repeat a number, or duplicate detection (same phone
 * within minutes) would answer from the first request and make the accept path look cheaper than it is.
 *
 * Validity and type in the US metadata depend on the area code and exchange, not on the last four digits, so
 * each NPA-NXX prefix is checked once with libphonenumber-js/max (the same metadata the server uses) and the
 * line number varies freely. Only prefixes the destination policy accepts for a US subscriber are used: in
 * the US (not another +1 country) and of a type a call-back may ring. Exchange 555 (fictional numbers) and
 * N11 service codes are left out. Numbers spread over area codes first, so no prefix gets a burst.
 */
export class PhoneSequence {
  private readonly npas: number[];
  private readonly valid = new Map<number, boolean>();
  private i: number;

  constructor(start = 0, private readonly exclude: ReadonlySet<string> = new Set()) {
    this.npas = [];
    for (let npa = 201; npa <= 989; npa++) if (isCallableUs(`+1${npa}2340100`)) this.npas.push(npa);
    this.i = start;
  }

  /** The next number in E.164 (+1NPANXXXXXX). */
  next(): string {
    for (;;) {
      const i = this.i++;
      const npa = this.npas[i % this.npas.length]!;
      const rest = Math.floor(i / this.npas.length);
      const line = rest % 10_000;
      const nxx = 200 + (Math.floor(rest / 10_000) % 800);
      if (nxx === 555 || nxx % 100 === 11) continue;
      const prefix = npa * 1000 + nxx;
      let ok = this.valid.get(prefix);
      if (ok === undefined) {
        ok = isCallableUs(`+1${npa}${nxx}0100`);
        this.valid.set(prefix, ok);
      }
      if (!ok) continue;
      const e164 = `+1${npa}${nxx}${String(line).padStart(4, '0')}`;
      if (this.exclude.has(e164)) continue;
      return e164;
    }
  }

  take(n: number): string[] {
    const out: string[] = [];
    for (let k = 0; k < n; k++) out.push(this.next());
    return out;
  }
}

const CALLABLE_TYPES = new Set(['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'VOIP']);

/** Valid, in the US, and of a type the destination policy lets a call-back ring. */
export function isCallableUs(e164: string): boolean {
  const p = parsePhoneNumberFromString(e164);
  return !!p && p.isValid() && p.country === 'US' && CALLABLE_TYPES.has(p.getType() ?? '');
}
