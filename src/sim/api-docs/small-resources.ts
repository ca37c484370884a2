import { model, op, opt, path, query, type ResourceDoc } from './swagger.ts';

export const playbacksDoc: ResourceDoc = {
  resourcePath: '/api-docs/playbacks.{format}',
  apis: [
    {
      path: '/playbacks/{playbackId}',
      description: 'One playback',
      operations: [
        op('GET', 'get', 'Playback', 'Show a playback.', [path('playbackId', 'Id of the playback')], { 404: 'No such playback' }),
        op('DELETE', 'stop', 'void', 'Stop a playback.', [path('playbackId', 'Id of the playback')], { 404: 'No such playback' }),
      ],
    },
  ],
  models: {
    Playback: model('Playback', 'Media being played', {
      id: 'string',
      media_uri: 'string',
      next_media_uri: opt('string'),
      target_uri: 'string',
      language: opt('string'),
      state: 'string',
    }),
  },
};

export const asteriskDoc: ResourceDoc = {
  resourcePath: '/api-docs/asterisk.{format}',
  apis: [
    {
      path: '/asterisk/info',
      description: 'System information',
      operations: [op('GET', 'getInfo', 'AsteriskInfo', 'Describe the system.', [query('only', 'Sections to include', 'string', { multiple: true })])],
    },
    {
      path: '/asterisk/ping',
      description: 'Liveness',
      operations: [op('GET', 'ping', 'AsteriskPing', 'Answer if alive.')],
    },
  ],
  models: {
    AsteriskInfo: model('AsteriskInfo', 'System information', {
      build: opt('object'),
      system: opt('object'),
      config: opt('object'),
      status: opt('object'),
    }),
    AsteriskPing: model('AsteriskPing', 'Liveness answer', { asterisk_id: 'string', ping: 'string', timestamp: 'string' }),
    Variable: model('Variable', 'A variable value', { value: 'string' }),
  },
};

const appName = path('applicationName', 'Name of the application');
const eventSource = query('eventSource', 'e.g. endpoint:PJSIP/agent1', 'string', { required: true, multiple: true });

export const applicationsDoc: ResourceDoc = {
  resourcePath: '/api-docs/applications.{format}',
  apis: [
    {
      path: '/applications',
      description: 'Stasis applications',
      operations: [op('GET', 'list', 'List[Application]', 'List the applications.')],
    },
    {
      path: '/applications/{applicationName}',
      description: 'One application',
      operations: [
        op('GET', 'get', 'Application', 'Show an application.', [appName], {
          404: 'No such application',
        }),
      ],
    },
    {
      path: '/applications/{applicationName}/subscription',
      description: 'Event sources',
      operations: [
        op('POST', 'subscribe', 'Application', 'Subscribe the application to event sources.', [
          appName,
          eventSource,
        ]),
        op('DELETE', 'unsubscribe', 'Application', 'Unsubscribe the application from event sources.', [
          appName,
          eventSource,
        ]),
      ],
    },
  ],
  models: {
    Application: model('Application', 'A Stasis application', {
      name: 'string',
      channel_ids: 'List[string]',
      bridge_ids: 'List[string]',
      endpoint_ids: 'List[string]',
      device_names: 'List[string]',
      events_allowed: 'List[object]',
      events_disallowed: 'List[object]',
    }),
  },
};

export const endpointsDoc: ResourceDoc = {
  resourcePath: '/api-docs/endpoints.{format}',
  apis: [
    {
      path: '/endpoints',
      description: 'Endpoints',
      operations: [op('GET', 'list', 'List[Endpoint]', 'List the endpoints.')],
    },
    {
      path: '/endpoints/{tech}',
      description: 'Endpoints of one technology',
      operations: [op('GET', 'listByTech', 'List[Endpoint]', 'List the endpoints of a technology.', [path('tech', 'Technology, e.g. PJSIP')])],
    },
    {
      path: '/endpoints/{tech}/{resource}',
      description: 'One endpoint',
      operations: [
        op('GET', 'get', 'Endpoint', 'Show an endpoint.', [path('tech', 'Technology, e.g. PJSIP'), path('resource', 'Endpoint name')], {
          404: 'No such endpoint',
        }),
      ],
    },
  ],
  models: {
    Endpoint: model('Endpoint', 'A phone or trunk', {
      technology: 'string',
      resource: 'string',
      state: opt('string'),
      channel_ids: 'List[string]',
    }),
  },
};

export const deviceStatesDoc: ResourceDoc = {
  resourcePath: '/api-docs/deviceStates.{format}',
  apis: [
    {
      path: '/deviceStates',
      description: 'Application controlled device states',
      operations: [op('GET', 'list', 'List[DeviceState]', 'List the device states the applications control.')],
    },
  ],
  models: {
    DeviceState: model('DeviceState', 'A device state', { name: 'string', state: 'string' }),
  },
};
