import { bridgesDoc } from './bridges.ts';
import { channelsDoc } from './channels.ts';
import { eventsDoc } from './events.ts';
import { applicationsDoc, asteriskDoc, deviceStatesDoc, endpointsDoc, playbacksDoc } from './small-resources.ts';
import type { ResourceDoc } from './swagger.ts';

/**
 * The simulator's own ARI description: only what it implements. Like Asterisk, it writes the
 * basePath from the Host the client used, because swagger-client calls whatever basePath says.
 */
const RESOURCES: Record<string, [ResourceDoc, string]> = {
  asterisk: [asteriskDoc, 'System information'],
  endpoints: [endpointsDoc, 'Phones and trunks'],
  channels: [channelsDoc, 'Call legs'],
  bridges: [bridgesDoc, 'Bridges'],
  playbacks: [playbacksDoc, 'Playbacks'],
  deviceStates: [deviceStatesDoc, 'Device states'],
  applications: [applicationsDoc, 'Stasis applications'],
  events: [eventsDoc, 'WebSocket events'],
};

const API_VERSION = '10.0.0';

export function resourceListing(basePath: string): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    swaggerVersion: '1.1',
    basePath,
    apis: Object.entries(RESOURCES).map(([name, [, description]]) => ({ path: `/api-docs/${name}.{format}`, description })),
  };
}

export function resourceDoc(name: string, basePath: string): Record<string, unknown> | null {
  if (!Object.hasOwn(RESOURCES, name)) return null;
  const entry = RESOURCES[name]!;
  const [doc] = entry;
  return { apiVersion: API_VERSION, swaggerVersion: '1.1', basePath, resourcePath: doc.resourcePath, apis: doc.apis, models: doc.models };
}
