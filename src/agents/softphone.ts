import { randomBytes } from 'node:crypto';

/**
 * The agent console's softphone, pure: which WebRTC endpoint an agent registers as, the SIP password, and the
 * sorcery objects Beckon pushes to Asterisk for it (ARI push configuration, `res_pjsip` in sorcery.conf's `memory`
 * wizard). The password is random per session, never shown: the console script fetches it over the agent's
 * authenticated session and hands it to JsSIP, and a new one replaces it at every login, logout and choice, so a
 * password that left with a closed session registers nothing afterwards.
 */

/** An ARI push-configuration field (ConfigTuple). */
export interface ConfigTuple { attribute: string; value: string }

/** A sorcery object of class res_pjsip to create or replace: `PUT /asterisk/config/dynamic/res_pjsip/<type>/<id>`. */
export interface PjsipObject { type: 'auth' | 'aor' | 'endpoint'; id: string; fields: ConfigTuple[] }

/**
 * Names beginning `webagent-` are Beckon's: `webagent-<first 12 hex digits of an agent's id>`, one per agent, made
 * by Beckon for that agent alone. A form never gives an agent one of them but its own (agent-form.ts).
 */
export const OWN_SOFTPHONE_PREFIX = /^PJSIP\/webagent-/i;
/** A browser endpoint declared in pjsip.conf (`webagentN`): never one of Beckon's `webagent-` names. */
const DECLARED = /^PJSIP\/(webagent(?!-)[A-Za-z0-9_.-]*)$/i;

/** The browser endpoint Beckon makes for this agent: `webagent-<12 hex of its id>`. */
export function ownSoftphoneName(agentId: string): string {
  return `webagent-${agentId.replace(/-/g, '').slice(0, 12).toLowerCase()}`;
}

/** The agent's own softphone as a device (`PJSIP/webagent-<12 hex of its id>`). */
export function ownSoftphoneDevice(agentId: string): string {
  return `PJSIP/${ownSoftphoneName(agentId)}`;
}

/** Whether `endpoint` is this agent's own softphone. */
export function isOwnSoftphone(agent: { id: string; endpoint: string }): boolean {
  return agent.endpoint.toLowerCase() === ownSoftphoneDevice(agent.id).toLowerCase();
}

/**
 * The endpoint an agent answers on in the browser, and so the one whose password Beckon pushes and hands to that
 * agent. An agent of the operator's pool configured on a declared WebRTC endpoint (`PJSIP/webagentN` of pjsip.conf,
 * the operator's choice at /admin/agents) answers there. Every other agent, and every agent a subscriber made,
 * answers on the one named after it (`webagent-<12 hex of its id>`, aor and endpoint pushed along with the auth):
 * whatever its row says, the name comes from its own id, so an agent can never be handed the credentials of an
 * endpoint another agent answers on.
 */
export function softphoneEndpoint(agent: { id: string; endpoint: string; ownerSubscriberId: string | null }): { name: string; device: string; declared: boolean } {
  const m = agent.ownerSubscriberId === null ? DECLARED.exec(agent.endpoint) : null;
  if (m) return { name: m[1]!, device: `PJSIP/${m[1]!}`, declared: true };
  const name = ownSoftphoneName(agent.id);
  return { name, device: `PJSIP/${name}`, declared: false };
}

/** 32 random bytes, base64url: far beyond guessing over digest auth, and safe in a SIP header. */
export function newSipPassword(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What to push for an agent's softphone: always the auth (the password of this session); for an endpoint named
 * after the agent also its aor and endpoint, with the settings pjsip.conf gives webagentN (webrtc-common and
 * agent-aor): one contact replacing the last, qualified every 10 s so a frozen tab turns UNAVAILABLE, context
 * from-agents (nothing there reaches the carrier).
 */
export function softphoneObjects(endpoint: { name: string; declared: boolean }, password: string): PjsipObject[] {
  const t = (attribute: string, value: string): ConfigTuple => ({ attribute, value });
  const auth: PjsipObject = { type: 'auth', id: endpoint.name, fields: [t('auth_type', 'userpass'), t('username', endpoint.name), t('password', password)] };
  if (endpoint.declared) return [auth];
  return [
    auth,
    { type: 'aor', id: endpoint.name, fields: [t('max_contacts', '1'), t('remove_existing', 'yes'), t('qualify_frequency', '10'), t('qualify_timeout', '3')] },
    {
      type: 'endpoint', id: endpoint.name, fields: [
        t('webrtc', 'yes'), t('dtls_auto_generate_cert', 'yes'), t('disallow', 'all'), t('allow', 'opus,ulaw'),
        t('dtmf_mode', 'rfc4733'), t('direct_media', 'no'), t('send_rpid', 'no'), t('send_pai', 'no'),
        t('context', 'from-agents'), t('aors', endpoint.name), t('auth', endpoint.name),
      ],
    },
  ];
}

/** What the console script is given to register (GET /agent/softphone): for this session only. */
export interface SoftphoneCredentials {
  /** sip:<endpoint>@<host of the WebSocket> */
  uri: string;
  /** the digest user name (the endpoint's name) */
  user: string;
  password: string;
  wsUrl: string;
  iceServers: unknown[];
}

export function credentialsFor(endpointName: string, password: string, wsUrl: string, iceServers: unknown[]): SoftphoneCredentials {
  return { uri: `sip:${endpointName}@${new URL(wsUrl).hostname}`, user: endpointName, password, wsUrl, iceServers };
}
