import type { AddressInfo, Server } from 'node:net';

/** Starts listening and resolves with the port bound (a free one for 0); a failure to bind rejects. */
export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
