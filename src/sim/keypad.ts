import { AriError } from './ari-error.ts';
import { channelJson } from './ari-snapshots.ts';
import type { Clock } from './clock.ts';
import type { Channel } from './model.ts';
import type { PhoneLog } from './phone-log.ts';
import type { Signals } from './signals.ts';
import { TIMING } from './timing.ts';

/** Keys pressed on a simulated phone, heard by AMI as the key goes down and by ARI once it is up. */
export class Keypad {
  constructor(
    private readonly clock: Clock,
    private readonly signals: Signals,
    private readonly phoneLog: PhoneLog,
  ) {}

  /**
   * A key pressed on the phone `inMs` from now: AMI sees the key start, ARI the whole digit 140 ms
   * later. Both timers start together so nothing scheduled meanwhile can slip between them.
   */
  press(ch: Channel, digit: string, inMs = 0): void {
    if (!/^[0-9A-D*#]$/.test(digit)) throw new AriError(400, { message: 'digit must be one DTMF digit' });
    if (ch.state !== 'Up') throw new AriError(409, { message: 'Channel is not answered' });
    const pressed = () => ch.state === 'Up' && !ch.ending;
    this.clock.after(ch, inMs, () => {
      if (pressed()) this.signals.amiCall('DTMFBegin', ch, [['Digit', digit], ['Direction', 'Received']]);
    });
    this.clock.after(ch, inMs + TIMING.dtmfReportAfterMs, () => {
      if (!pressed()) return;
      this.signals.amiCall('DTMFEnd', ch, [['Digit', digit], ['DurationMs', TIMING.dtmfDurationMs], ['Direction', 'Received']]);
      this.phoneLog.key(ch.id, digit);
      if (ch.inStasis) {
        this.signals.toChannel(ch, 'ChannelDtmfReceived', { digit, duration_ms: TIMING.dtmfDurationMs, channel: channelJson(ch) });
      }
    });
  }
}
