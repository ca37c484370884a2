/**
 * How a leg Beckon recorded compares with Asterisk's own CDR of the same channel (pure; /admin/calls).
 *
 * They never count seconds the same way, so equality is the wrong test:
 * - Beckon bills whole seconds rounded up (any started second counts); Asterisk truncates (cdr.c). For the same
 *   interval Beckon is 0 or 1 s above Asterisk.
 * - Beckon's times are when the worker heard of the answer and the end over ARI, Asterisk's when they happened:
 *   they may be up to CDR_TOLERANCE_SEC apart.
 * - Asterisk closes a callee's CDR when the callee joins the bridge, so an answered callee's CDR covers only
 *   answer to bridge (the whisper), while Beckon bills the callee from answer to the end of the call.
 */
export const CDR_TOLERANCE_SEC = 1;

export type CdrVerdict = 'match' | 'expected' | 'mismatch' | 'missing';

export interface LegToCompare { leg: 'visitor' | 'callee' | string; disposition: string; billableSec: number }
export interface CdrToCompare { disposition: string | null; billableSec: number | null }

export interface CdrComparison { verdict: CdrVerdict; note: string }

export function compareWithCdr(leg: LegToCompare, cdr: CdrToCompare): CdrComparison {
  if (cdr.disposition === null) return { verdict: 'missing', note: 'Asterisk\'s CDR has not arrived (yet).' };
  if (cdr.disposition !== leg.disposition) {
    return { verdict: 'mismatch', note: `Asterisk says ${cdr.disposition}, Beckon ${leg.disposition}.` };
  }
  const asterisk = cdr.billableSec ?? 0;
  const diff = leg.billableSec - asterisk;
  if (diff >= -CDR_TOLERANCE_SEC && diff <= 1 + CDR_TOLERANCE_SEC) {
    return { verdict: 'match', note: diff === 0 ? 'Same billable seconds.' : 'Within rounding: Beckon rounds seconds up, Asterisk truncates.' };
  }
  if (leg.leg === 'callee' && leg.disposition === 'ANSWERED' && diff > 0) {
    return {
      verdict: 'expected',
      note: `Asterisk closes the callee's CDR when it is bridged: its ${asterisk} s cover answer to bridge; Beckon bills the callee to the end of the call.`,
    };
  }
  return { verdict: 'mismatch', note: `Billable seconds differ by ${diff} s (Beckon ${leg.billableSec} s, Asterisk ${asterisk} s).` };
}
