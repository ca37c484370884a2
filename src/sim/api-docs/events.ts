import { model, op, opt, query, type Model, type ModelProperty, type ResourceDoc } from './swagger.ts';

const channel = { channel: 'Channel' };

/** Every event the simulator sends needs a model: ari-client looks each type up on arrival. */
const EVENTS: Record<string, [string, Record<string, ModelProperty | string>]> = {
  ApplicationMoveFailed: ['A channel could not be moved to another application', { destination: 'string', args: 'List[string]', ...channel }],
  ApplicationReplaced: ['Another WebSocket took over the application', {}],
  BridgeCreated: ['A bridge was made', { bridge: 'Bridge' }],
  BridgeDestroyed: ['A bridge was taken down', { bridge: 'Bridge' }],
  ChannelCreated: ['A channel was made', channel],
  ChannelDestroyed: ['A channel is gone', { cause: 'int', cause_txt: 'string', tech_cause: opt('int'), ...channel }],
  ChannelEnteredBridge: ['A channel joined a bridge', { bridge: 'Bridge', channel: opt('Channel') }],
  ChannelLeftBridge: ['A channel left a bridge', { bridge: 'Bridge', ...channel }],
  ChannelStateChange: ['A channel changed state', channel],
  ChannelDtmfReceived: ['A key was pressed on the phone', { digit: 'string', duration_ms: 'int', ...channel }],
  ChannelHangupRequest: ['Someone asked for a channel to hang up', { cause: opt('int'), soft: opt('boolean'), tech_cause: opt('int'), ...channel }],
  ChannelVarset: ['A channel variable changed', { variable: 'string', value: 'string', channel: opt('Channel') }],
  ChannelConnectedLine: ['The party a channel is connected to changed', channel],
  ChannelHold: ['A channel put its call on hold', { musicclass: opt('string'), ...channel }],
  ChannelUnhold: ['A channel took its call off hold', channel],
  ContactStatusChange: ['A contact of an endpoint changed reachability', { endpoint: 'Endpoint', contact_info: 'ContactInfo' }],
  PeerStatusChange: ['An endpoint changed reachability', { endpoint: 'Endpoint', peer: 'Peer' }],
  EndpointStateChange: ['An endpoint went online or offline', { endpoint: 'Endpoint' }],
  Dial: [
    'A dial attempt progressed',
    { caller: opt('Channel'), peer: 'Channel', forward: opt('string'), forwarded: opt('Channel'), dialstring: opt('string'), dialstatus: 'string' },
  ],
  PlaybackStarted: ['A playback started', { playback: 'Playback' }],
  PlaybackContinuing: ['A playback moved to its next media', { playback: 'Playback' }],
  PlaybackFinished: ['A playback ended', { playback: 'Playback' }],
  StasisStart: ['A channel entered the application', { args: 'List[string]', ...channel, replace_channel: opt('Channel') }],
  StasisEnd: ['A channel left the application', channel],
  DeviceStateChanged: ['An application device state changed', { device_state: 'DeviceState' }],
};

const models: Record<string, Model> = {
  Message: {
    ...model('Message', 'Base of every event', { type: 'string', asterisk_id: opt('string') }),
    discriminator: 'type',
    subTypes: ['Event'],
  },
  Event: {
    ...model('Event', 'Base of asynchronous events', { application: 'string', timestamp: 'Date' }),
    subTypes: Object.keys(EVENTS),
  },
  ContactInfo: model('ContactInfo', 'Reachability of one contact', {
    uri: 'string',
    contact_status: 'string',
    aor: 'string',
    roundtrip_usec: opt('string'),
  }),
  Peer: model('Peer', 'Reachability of an endpoint', { peer_status: 'string' }),
};
for (const [name, [description, props]] of Object.entries(EVENTS)) models[name] = model(name, description, props);

export const eventsDoc: ResourceDoc = {
  resourcePath: '/api-docs/events.{format}',
  apis: [
    {
      path: '/events',
      description: 'Event stream',
      operations: [
        op('GET', 'eventWebsocket', 'Message', 'Open the WebSocket that carries the events of applications.', [
          query('app', 'Applications to register, comma separated', 'string', { required: true, multiple: true }),
          query('subscribeAll', 'Receive events of every source', 'boolean'),
        ]),
      ],
    },
  ],
  models,
};
