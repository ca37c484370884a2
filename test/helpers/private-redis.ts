import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as net.AddressInfo).port; srv.close(() => resolve(p)); });
  });
}

async function waitPing(port: number, up: boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    let ok = false;
    try { ok = execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() === 'PONG'; } catch { ok = false; }
    if (ok === up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis on ${port} did not become ${up ? 'ready' : 'unreachable'}`);
}

/** A Redis of the test's own on a free port, which the test may stop and start (fault tests). */
export async function startPrivateRedis(port?: number) {
  const p = port ?? await freePort();
  const start = async () => {
    spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes'], { stdio: 'ignore' });
    await waitPing(p, true);
  };
  const stop = async () => {
    try { execFileSync('redis-cli', ['-p', String(p), 'shutdown', 'nosave'], { stdio: 'ignore' }); } catch { /* already down */ }
    await waitPing(p, false);
  };
  await start();
  return { port: p, url: `redis://127.0.0.1:${p}`, start, stop };
}
