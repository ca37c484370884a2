/** Tiny builders for the Swagger 1.1 shapes ari-client (swagger-client 2.0) reads. */

export interface Param {
  name: string;
  description: string;
  paramType: 'path' | 'query' | 'body';
  required: boolean;
  allowMultiple: boolean;
  dataType: string;
  defaultValue?: unknown;
}

export interface Operation {
  httpMethod: 'GET' | 'POST' | 'PUT' | 'DELETE';
  summary: string;
  nickname: string;
  responseClass: string;
  parameters: Param[];
  errorResponses?: Array<{ code: number; reason: string }>;
}

export interface Api {
  path: string;
  description: string;
  operations: Operation[];
}

export interface ModelProperty {
  type: string;
  required?: boolean;
  description?: string;
  items?: { $ref: string };
}

export interface Model {
  id: string;
  description: string;
  properties: Record<string, ModelProperty>;
  subTypes?: string[];
  discriminator?: string;
}

export interface ResourceDoc {
  resourcePath: string;
  apis: Api[];
  models: Record<string, Model>;
}

export const path = (name: string, description: string): Param => ({
  name,
  description,
  paramType: 'path',
  required: true,
  allowMultiple: false,
  dataType: 'string',
});

export const query = (
  name: string,
  description: string,
  dataType = 'string',
  opts: { required?: boolean; multiple?: boolean; defaultValue?: unknown } = {},
): Param => ({
  name,
  description,
  paramType: 'query',
  required: opts.required ?? false,
  allowMultiple: opts.multiple ?? false,
  dataType,
  ...(opts.defaultValue !== undefined ? { defaultValue: opts.defaultValue } : {}),
});

export const body = (name: string, description: string, required = false): Param => ({
  name,
  description,
  paramType: 'body',
  required,
  allowMultiple: false,
  dataType: 'containers',
});

export function op(
  httpMethod: Operation['httpMethod'],
  nickname: string,
  responseClass: string,
  summary: string,
  parameters: Param[] = [],
  errors: Record<number, string> = {},
): Operation {
  const errorResponses = Object.entries(errors).map(([code, reason]) => ({ code: Number(code), reason }));
  return { httpMethod, summary, nickname, responseClass, parameters, ...(errorResponses.length ? { errorResponses } : {}) };
}

export function model(id: string, description: string, properties: Record<string, ModelProperty | string>): Model {
  const props: Record<string, ModelProperty> = {};
  for (const [k, v] of Object.entries(properties)) props[k] = typeof v === 'string' ? { type: v, required: true } : v;
  return { id, description, properties: props };
}

export const opt = (type: string, description?: string): ModelProperty => ({
  type,
  required: false,
  ...(description ? { description } : {}),
});
