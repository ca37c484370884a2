import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY = 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** Parses a JSON body; an empty body is an empty object. Throws on malformed JSON. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  return JSON.parse(text);
}

/** The decoded path segments after the first (/ari/channels/x -> ['channels', 'x']). */
export function pathSegments(url: URL): string[] {
  return url.pathname.split('/').filter((s) => s !== '').slice(1).map((s) => decodeURIComponent(s));
}
