import type { AmiFields } from './ami-format.ts';
import { dialplanApp } from './ari-snapshots.ts';
import type { Channel } from './model.ts';
import { cdrTime, wholeSeconds } from './time-format.ts';

/**
 * cdr_manager.conf's `[mappings]`: each `variable => Header` line adds `Header: ${CDR(variable)}` after the
 * default fields of every AMI Cdr event (Asterisk's cdr_manager.c). The default fields end with UserField;
 * LinkedID, Sequence and PeerAccount are sent only when mapped (traces cdr-default vs cdr).
 */
export type CdrMappings = readonly (readonly [variable: string, header: string])[];

/** What asterisk/conf/cdr_manager.conf maps (the simulator's default; a unit test keeps the two equal). */
export const SHIPPED_CDR_MAPPINGS: CdrMappings = [
  ['linkedid', 'LinkedID'],
  ['sequence', 'Sequence'],
  ['peeraccount', 'PeerAccount'],
];

/** The `[mappings]` of a cdr_manager.conf text, in order; none when the section is absent. */
export function parseCdrManagerMappings(conf: string): CdrMappings {
  const out: [string, string][] = [];
  let section = '';
  for (const raw of conf.split(/\r?\n/)) {
    const line = raw.replace(/;.*$/, '').trim();
    if (!line) continue;
    const head = /^\[([^\]]+)\]/.exec(line);
    if (head) { section = head[1]!.trim().toLowerCase(); continue; }
    if (section !== 'mappings') continue;
    const m = /^([^=]+?)\s*=>?\s*(.+)$/.exec(line);
    if (m) out.push([m[1]!.trim(), m[2]!.trim()]);
  }
  return out;
}

/** A channel's CDR values that only a mapping sends. */
export interface CdrExtras { linkedid: string; sequence: number; peeraccount: string }

/** The fields `[mappings]` appends to a Cdr event; a CDR variable the simulator does not keep is sent empty. */
export function mappedCdrFields(mappings: CdrMappings, extras: CdrExtras): AmiFields {
  return mappings.map(([variable, header]) => {
    const v = variable.toLowerCase();
    return [header, v === 'linkedid' || v === 'sequence' || v === 'peeraccount' ? extras[v] : ''] as const;
  });
}

/**
 * The AMI Cdr event of a channel destroyed at `endAt`: the default fields of cdr_manager.c, then what `mappings`
 * adds. A leg that joined a bridge someone already waited in ends its CDR at that moment (`cdrEndAt`).
 */
export function cdrEvent(ch: Channel, endAt: number, mappings: CdrMappings): AmiFields {
  const end = ch.cdrEndAt ?? endAt;
  const [lastApp, lastData] = dialplanApp(ch, ch.answeredAt !== null && ch.app !== '');
  const callerId = `"${ch.caller.name}" <${ch.caller.number}>`;
  return [
    ['Event', 'Cdr'],
    ['Privilege', 'cdr,all'],
    ['AccountCode', ch.accountcode],
    ['Source', ch.caller.number],
    ['Destination', ch.inbound?.exten ?? 's'],
    ['DestinationContext', ch.inbound?.context ?? 'from-sip'],
    ['CallerID', callerId],
    ['Channel', ch.name],
    ['DestinationChannel', ch.cdrDestinationChannel],
    ['LastApplication', lastApp],
    ['LastData', lastData],
    ['StartTime', cdrTime(ch.createdAt)],
    ['AnswerTime', ch.answeredAt !== null ? cdrTime(ch.answeredAt) : ''],
    ['EndTime', cdrTime(end)],
    ['Duration', wholeSeconds(ch.createdAt, end)],
    ['BillableSeconds', ch.answeredAt !== null ? wholeSeconds(ch.answeredAt, end) : 0],
    ['Disposition', ch.answeredAt !== null ? 'ANSWERED' : ch.failDisposition],
    ['AMAFlags', 'DOCUMENTATION'],
    ['UniqueID', ch.id],
    ['UserField', ch.userfield],
    ...mappedCdrFields(mappings, { linkedid: ch.linkedid, sequence: ch.cdrSequence, peeraccount: ch.cdrPeerAccount }),
  ];
}
