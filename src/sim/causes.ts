/** Q.850 cause texts as Asterisk reports them in ChannelDestroyed and AMI Hangup. */
const CAUSE_TEXT: Record<number, string> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  4: 'Service or option not implemented',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format (incomplete number)',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  58: 'Bearer capability not available',
  127: 'Interworking, unspecified',
};

export function causeText(cause: number): string {
  return CAUSE_TEXT[cause] ?? 'Unknown';
}

/** DELETE /channels/{id}?reason=... names, mapped to the cause the channel is destroyed with. */
const REASONS: Record<string, number> = {
  normal: 16,
  busy: 17,
  congestion: 34,
  no_answer: 19,
  timeout: 19,
  rejected: 21,
  unallocated: 1,
  normal_unspecified: 31,
  number_incomplete: 28,
  codec_mismatch: 58,
  interworking: 127,
  failure: 38,
  answered_elsewhere: 26,
};

/** Returns the hangup cause, or null when the reason is not one ARI accepts. */
export function reasonToCause(reason: string | undefined, reasonCode: string | undefined): number | null {
  if (reasonCode !== undefined && reasonCode !== '') {
    const n = Number(reasonCode);
    return Number.isInteger(n) && n >= 0 && n <= 127 ? n : null;
  }
  if (reason === undefined || reason === '') return 16;
  return REASONS[reason] ?? null;
}
