import type { AmiFields } from './ami-format.ts';

/** Where the exchange sends ARI events; `apps` are the Stasis apps subscribed to the source. */
export interface AriSink {
  publish(apps: Iterable<string>, event: Record<string, unknown>): void;
  /** apps subscribed to an endpoint such as PJSIP/agent1 (explicitly or by subscribeAll) */
  endpointSubscribers(endpoint: string): string[];
  /** the app has an open WebSocket now (Asterisk hands channels only to such an app) */
  live(app: string): boolean;
}

/** Where the exchange sends AMI events. Building fields is skipped when nobody listens. */
export interface AmiSink {
  readonly listening: boolean;
  send(fields: AmiFields): void;
}
