/**
 * Asterisk ids we choose ourselves, so every channel, bridge and playback names its attempt (the channel id
 * also becomes the AMI Uniqueid and the CDR's UniqueID, which is how CDRs are matched to attempts).
 *
 * Each callee leg of an attempt has its own channel id: customer-first may ring several agents in turn while
 * the visitor holds (one busy, the next answers), and Asterisk writes a CDR for every one of them. The first
 * leg is `bk-c-<attempt>`, the n-th (n >= 2) `bk-c-<attempt>-<n>`.
 */
export const callIds = (attemptId: string) => ({
  visitor: `bk-v-${attemptId}`,
  callee: calleeLegId(attemptId, 1),
  bridge: `bk-b-${attemptId}`,
  playback: (prompt: string) => `bk-p-${attemptId}-${prompt}`,
});

export type CallIds = ReturnType<typeof callIds>;

/** The channel id of the attempt's n-th callee leg (n counts from 1). */
export function calleeLegId(attemptId: string, n: number): string {
  return n <= 1 ? `bk-c-${attemptId}` : `bk-c-${attemptId}-${n}`;
}

const ID = /^bk-([vcbp])-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:-(\w+))?$/;

export type Leg = 'visitor' | 'callee' | 'bridge' | 'playback';

/** What an id names: its attempt and leg, the prompt of a playback, the number of a callee leg (1 for the first). */
export function parseCallId(id: string): { attemptId: string; leg: Leg; prompt?: string; calleeLeg?: number } | null {
  const m = ID.exec(id);
  if (!m) return null;
  const leg = ({ v: 'visitor', c: 'callee', b: 'bridge', p: 'playback' } as const)[m[1] as 'v' | 'c' | 'b' | 'p'];
  if (leg === 'callee') {
    if (m[3] !== undefined && !/^[1-9][0-9]{0,3}$/.test(m[3])) return null;
    return { attemptId: m[2]!, leg, calleeLeg: m[3] ? Number(m[3]) : 1 };
  }
  if (m[3] !== undefined && leg !== 'playback') return null;
  return { attemptId: m[2]!, leg, ...(m[3] ? { prompt: m[3] } : {}) };
}
