import ari from 'ari-client';

/**
 * The web-call set-up baseline, run as its own process: a bare ARI app holding the inbound Stasis app that
 * browsers' calls enter, which originates the callee the moment a call arrives (StasisStart) and refuses the
 * browser with busy when the callee's channel is gone. No ticket, no PostgreSQL, no move to a worker, no
 * ringback, no logging: what is left of a web call's set-up when only the exchange and one ARI client remain.
 *
 * env: ARI_URL, APP (the inbound app), CALLEE (E.164 without +). Says `bare inbound ready` once subscribed.
 */
const env = process.env;
const app = env.APP!;
const callee = env.CALLEE!.replace(/^\+/, '');
const ignore = () => {};
let n = 0;
/** callee channel → the browser's channel it was rung for */
const browserOf = new Map<string, string>();

const client: any = await ari.connect(env.ARI_URL!, 'beckon', 'beckon');
client.on('StasisStart', (e: any) => {
  const id = e.channel?.id as string | undefined;
  if (!id || e.args?.[0] !== 'webcall') return;
  const calleeId = `bare-c-${process.pid}-${++n}`;
  browserOf.set(calleeId, id);
  client.channels.originate({ endpoint: `PJSIP/${callee}@carrier`, app, appArgs: `callee,${e.args?.[1] ?? ''}`, callerId: `+${callee}`, timeout: 30, channelId: calleeId })
    .catch((err: Error) => {
      process.stdout.write(`originate failed: ${err.message}\n`);
      browserOf.delete(calleeId);
      client.channels.hangup({ channelId: id, reason: 'normal' }).catch(ignore);
    });
});
client.on('ChannelDestroyed', (e: any) => {
  const browser = browserOf.get(e.channel?.id);
  if (!browser) return;
  browserOf.delete(e.channel.id);
  client.channels.hangup({ channelId: browser, reason: 'busy' }).catch(ignore);
});
await client.start(app);
process.stdout.write('bare inbound ready\n');
process.on('SIGTERM', () => { try { client.stop(); } catch { /* closed */ } process.exit(0); });
