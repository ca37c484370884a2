/** Scripted delays (unscaled ms) measured on the recorded Asterisk. */
export const TIMING = {
  busyAfterMs: 300,
  rejectAfterMs: 300,
  congestionAfterMs: 100,
  /** SIP timer B: a dead address without qualify fails after 32 s */
  unreachableAfterMs: 32000,
  answerAfterMs: 1000,
  maxCallMs: 60000,
  keyAfterPlaybackMs: 500,
  dtmfReportAfterMs: 140,
  dtmfDurationMs: 280,
  defaultTimeoutSec: 30,
} as const;
