import { body, model, op, opt, path, query, type ResourceDoc } from './swagger.ts';

const id = path('channelId', 'Id of the channel');

const originateParams = [
  query('endpoint', 'Where to call, e.g. PJSIP/15551234567@carrier or PJSIP/agent1', 'string', { required: true }),
  query('extension', 'Dialplan extension to send the answered channel to (instead of an app)'),
  query('context', 'Dialplan context for extension'),
  query('priority', 'Dialplan priority for extension', 'long'),
  query('label', 'Dialplan label for extension'),
  query('app', 'Stasis application the answered channel enters'),
  query('appArgs', 'Comma separated arguments handed to the application in StasisStart'),
  query('callerId', 'Caller id shown to the called party, e.g. "Name" <number>'),
  query('timeout', 'Seconds to wait for an answer', 'int', { defaultValue: 30 }),
  body('variables', 'Channel variables to set, as {"variables": {"NAME": "value"}}'),
  query('otherChannelId', 'Id for the second half of a local channel'),
  query('originator', 'Channel that causes this one (linked id, account code)'),
  query('formats', 'Comma separated codec names'),
];

export const channelsDoc: ResourceDoc = {
  resourcePath: '/api-docs/channels.{format}',
  apis: [
    {
      path: '/channels',
      description: 'Live channels',
      operations: [
        op('GET', 'list', 'List[Channel]', 'List the live channels.'),
        op('POST', 'originate', 'Channel', 'Place a call.', [...originateParams, query('channelId', 'Id for the new channel')], {
          400: 'Invalid parameters',
          409: 'Channel id already in use',
        }),
      ],
    },
    {
      path: '/channels/{channelId}',
      description: 'One channel',
      operations: [
        op('GET', 'get', 'Channel', 'Show one channel.', [id], { 404: 'No such channel' }),
        op('POST', 'originateWithId', 'Channel', 'Place a call with a chosen channel id.', [id, ...originateParams], {
          400: 'Invalid parameters',
          409: 'Channel id already in use',
        }),
        op('DELETE', 'hangup', 'void', 'Hang a channel up.', [id, query('reason_code', 'Numeric cause'), query('reason', 'Cause name, e.g. normal, busy')], {
          400: 'Unknown reason',
          404: 'No such channel',
        }),
      ],
    },
    {
      path: '/channels/{channelId}/answer',
      description: 'Answering',
      operations: [op('POST', 'answer', 'void', 'Answer a channel.', [id], { 404: 'No such channel', 409: 'Not in an application' })],
    },
    {
      path: '/channels/{channelId}/move',
      description: 'Moving between Stasis applications',
      operations: [
        op('POST', 'move', 'void', 'Move the channel to another Stasis application.', [
          id,
          query('app', 'The application to move to (required: Asterisk 22.10.1 crashes without it)', 'string', { required: true }),
          query('appArgs', 'Arguments for StasisStart, comma separated'),
        ], { 404: 'No such channel', 409: 'Not in an application' }),
      ],
    },
    {
      path: '/channels/{channelId}/ring',
      description: 'Ringing indication',
      operations: [
        op('POST', 'ring', 'void', 'Indicate ringing.', [id], { 404: 'No such channel', 409: 'Not in an application' }),
        op('DELETE', 'ringStop', 'void', 'Stop indicating ringing.', [id], { 404: 'No such channel', 409: 'Not in an application' }),
      ],
    },
    {
      path: '/channels/{channelId}/dtmf',
      description: 'Sending tones',
      operations: [
        op('POST', 'sendDTMF', 'void', 'Send DTMF to the phone.', [
          id,
          query('dtmf', 'Digits to send'),
          query('before', 'ms before', 'int'),
          query('between', 'ms between', 'int'),
          query('duration', 'ms per digit', 'int'),
          query('after', 'ms after', 'int'),
        ]),
      ],
    },
    {
      path: '/channels/{channelId}/moh',
      description: 'Music on hold',
      operations: [
        op('POST', 'startMoh', 'void', 'Play music on hold to the channel.', [id, query('mohClass', 'Music class')]),
        op('DELETE', 'stopMoh', 'void', 'Stop the music on hold.', [id]),
      ],
    },
    {
      path: '/channels/{channelId}/play',
      description: 'Playing media',
      operations: [
        op('POST', 'play', 'Playback', 'Play media to the channel.', [
          id,
          query('media', 'Media URIs (sound:, digits:, number:, tone:), comma separated', 'string', { required: true, multiple: true }),
          query('lang', 'Language of the sounds'),
          query('offsetms', 'Start offset', 'int'),
          query('skipms', 'Skip step', 'int'),
          query('playbackId', 'Id for the playback'),
        ]),
      ],
    },
    {
      path: '/channels/{channelId}/play/{playbackId}',
      description: 'Playing media with an id',
      operations: [
        op('POST', 'playWithId', 'Playback', 'Play media to the channel under a chosen playback id.', [
          id,
          path('playbackId', 'Id for the playback'),
          query('media', 'Media URIs, comma separated', 'string', { required: true, multiple: true }),
          query('lang', 'Language of the sounds'),
          query('offsetms', 'Start offset', 'int'),
          query('skipms', 'Skip step', 'int'),
        ]),
      ],
    },
    {
      path: '/channels/{channelId}/variable',
      description: 'Channel variables',
      operations: [
        op('GET', 'getChannelVar', 'Variable', 'Read a channel variable.', [id, query('variable', 'Name', 'string', { required: true })]),
        op('POST', 'setChannelVar', 'void', 'Set a channel variable.', [
          id,
          query('variable', 'Name', 'string', { required: true }),
          query('value', 'Value'),
        ]),
      ],
    },
  ],
  models: {
    CallerID: model('CallerID', 'A name and a number', { name: 'string', number: 'string' }),
    DialplanCEP: model('DialplanCEP', 'Where the channel is in the dialplan', {
      context: 'string',
      exten: 'string',
      priority: 'long',
      app_name: 'string',
      app_data: 'string',
    }),
    Channel: model('Channel', 'A call leg', {
      id: 'string',
      name: 'string',
      state: 'string',
      protocol_id: 'string',
      caller: 'CallerID',
      connected: 'CallerID',
      accountcode: 'string',
      dialplan: 'DialplanCEP',
      creationtime: 'Date',
      language: 'string',
      channelvars: opt('object'),
    }),
  },
};
