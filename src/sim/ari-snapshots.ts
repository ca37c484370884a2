import type { Bridge, Channel, Playback } from './model.ts';

/** The channel as ARI shows it. Before and after Stasis the dialplan shows the outgoing-call app. */
export function channelJson(ch: Channel, afterStasis = false): Record<string, unknown> {
  const [appName, appData] = dialplanApp(ch, ch.inStasis && !afterStasis);
  return {
    id: ch.id,
    name: ch.name,
    state: ch.state,
    protocol_id: ch.protocolId,
    caller: { name: ch.caller.name, number: ch.caller.number },
    connected: { name: ch.connected.name, number: ch.connected.number },
    accountcode: ch.accountcode,
    dialplan: {
      context: ch.inbound?.context ?? 'from-sip',
      exten: ch.inbound?.exten ?? 's',
      priority: 1,
      app_name: appName,
      app_data: appData,
    },
    creationtime: ch.creationtime,
    language: 'en',
  };
}

/**
 * The dialplan application a channel runs: Stasis with the app and arguments it first entered with (a move to
 * another app does not change it), else the outgoing-call app. A call that came in through the dialplan shows
 * the Stasis() it reached, in the app or out.
 */
export function dialplanApp(ch: Channel, inApp: boolean): [name: string, data: string] {
  if (ch.inbound) return ['Stasis', ch.inbound.appData];
  if (!inApp) return ['AppDial2', '(Outgoing Line)'];
  return ['Stasis', ch.appArgs ? `${ch.app},${ch.appArgs}` : ch.app];
}

export function bridgeJson(b: Bridge): Record<string, unknown> {
  return {
    id: b.id,
    technology: b.technology,
    bridge_type: b.bridgeType,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: b.name,
    // Asterisk lists bridge members in its own container order; sorted ids are as stable.
    channels: [...b.channels].sort(),
    creationtime: b.creationtime,
    video_mode: 'talker',
  };
}

export function playbackJson(pb: Playback): Record<string, unknown> {
  const out: Record<string, unknown> = { id: pb.id, media_uri: pb.media[pb.index] };
  const next = pb.media[pb.index + 1];
  if (next !== undefined) out.next_media_uri = next;
  out.target_uri = pb.target.kind === 'channel' ? `channel:${pb.target.channel.id}` : `bridge:${pb.target.bridge.id}`;
  out.language = pb.language;
  out.state = pb.state;
  return out;
}
