import { body, model, op, path, query, type ResourceDoc } from './swagger.ts';

const id = path('bridgeId', 'Id of the bridge');
const channels = query('channel', 'Channel ids, comma separated', 'string', { required: true, multiple: true });

export const bridgesDoc: ResourceDoc = {
  resourcePath: '/api-docs/bridges.{format}',
  apis: [
    {
      path: '/bridges',
      description: 'Bridges',
      operations: [
        op('GET', 'list', 'List[Bridge]', 'List the bridges.'),
        op('POST', 'create', 'Bridge', 'Make a bridge.', [
          query('type', 'mixing or holding, with optional flags, comma separated'),
          query('bridgeId', 'Id for the bridge'),
          query('name', 'Name of the bridge'),
          body('variables', 'Bridge variables'),
        ]),
      ],
    },
    {
      path: '/bridges/{bridgeId}',
      description: 'One bridge',
      operations: [
        op('POST', 'createWithId', 'Bridge', 'Make a bridge with a chosen id.', [
          query('type', 'mixing or holding'),
          id,
          query('name', 'Name of the bridge'),
          body('variables', 'Bridge variables'),
        ]),
        op('GET', 'get', 'Bridge', 'Show one bridge.', [id], { 404: 'No such bridge' }),
        op('DELETE', 'destroy', 'void', 'Take a bridge down; channels in it stay up.', [id], { 404: 'No such bridge' }),
      ],
    },
    {
      path: '/bridges/{bridgeId}/addChannel',
      description: 'Joining',
      operations: [
        op('POST', 'addChannel', 'void', 'Put channels into the bridge.', [
          id,
          channels,
          query('role', 'Role of the channels'),
          query('absorbDTMF', 'Swallow DTMF', 'boolean'),
          query('mute', 'Join muted', 'boolean'),
          query('inhibitConnectedLineUpdates', 'Keep connected line as is', 'boolean'),
        ]),
      ],
    },
    {
      path: '/bridges/{bridgeId}/removeChannel',
      description: 'Leaving',
      operations: [op('POST', 'removeChannel', 'void', 'Take channels out of the bridge.', [id, channels])],
    },
    {
      path: '/bridges/{bridgeId}/moh',
      description: 'Music on hold',
      operations: [
        op('POST', 'startMoh', 'void', 'Play music on hold into the bridge.', [id, query('mohClass', 'Music class')]),
        op('DELETE', 'stopMoh', 'void', 'Stop the music on hold.', [id]),
      ],
    },
    {
      path: '/bridges/{bridgeId}/play',
      description: 'Playing media',
      operations: [
        op('POST', 'play', 'Playback', 'Play media into the bridge.', [
          id,
          query('media', 'Media URIs, comma separated', 'string', { required: true, multiple: true }),
          query('lang', 'Language of the sounds'),
          query('playbackId', 'Id for the playback'),
        ]),
      ],
    },
    {
      path: '/bridges/{bridgeId}/play/{playbackId}',
      description: 'Playing media with an id',
      operations: [
        op('POST', 'playWithId', 'Playback', 'Play media into the bridge under a chosen id.', [
          id,
          path('playbackId', 'Id for the playback'),
          query('media', 'Media URIs, comma separated', 'string', { required: true, multiple: true }),
          query('lang', 'Language of the sounds'),
        ]),
      ],
    },
  ],
  models: {
    Bridge: model('Bridge', 'Channels talking together', {
      id: 'string',
      technology: 'string',
      bridge_type: 'string',
      bridge_class: 'string',
      creator: 'string',
      name: 'string',
      channels: 'List[string]',
      creationtime: 'Date',
      video_mode: 'string',
    }),
  },
};
