/**
 * Asterisk ids we choose ourselves, so every channel, bridge and playback names its attempt (the channel id
 * also becomes the AMI Uniqueid and the CDR's UniqueID, which is how CDRs are matched to attempts).
 */
export const callIds = (attemptId: string) => ({
  visitor: `bk-v-${attemptId}`,
  callee: `bk-c-${attemptId}`,
  bridge: `bk-b-${attemptId}`,
  playback: (prompt: string) => `bk-p-${attemptId}-${prompt}`,
});

const ID = /^bk-([vcbp])-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:-(\w+))?$/;

export type Leg = 'visitor' | 'callee' | 'bridge' | 'playback';

export function parseCallId(id: string): { attemptId: string; leg: Leg; prompt?: string } | null {
  const m = ID.exec(id);
  if (!m) return null;
  const leg = ({ v: 'visitor', c: 'callee', b: 'bridge', p: 'playback' } as const)[m[1] as 'v' | 'c' | 'b' | 'p'];
  return { attemptId: m[2]!, leg, ...(m[3] ? { prompt: m[3] } : {}) };
}
