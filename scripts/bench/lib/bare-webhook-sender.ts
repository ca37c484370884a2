import { createHmac } from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';

/**
 * The webhook baseline, run as its own process: the same bodies Beckon delivered, signed with the same HMAC
 * (`Beckon-Signature: t=…,v1=…` over `<t>.<body>`) and POSTed to the same receiver, one loop per endpoint, each
 * sending its endpoint's bodies one at a time in order, as Beckon delivers. A new connection per POST, as Beckon's
 * sender makes (it judges the address at connect time). No database, no queue, no lease, no delivery log.
 *
 * env: JOBS_FILE (JSON: [{url, secret, bodies: string[]}]). Says `bare webhooks ready`; sends on SIGUSR2 and says
 * `bare webhooks done` when every POST was answered.
 */
interface Job { url: string; secret: string; bodies: string[] }
const jobs: Job[] = JSON.parse(readFileSync(process.env.JOBS_FILE!, 'utf8'));

function post(url: URL, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'bare-webhooks', ...headers },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function drain(job: Job): Promise<number> {
  const url = new URL(job.url);
  let failed = 0;
  for (const body of job.bodies) {
    const t = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', job.secret).update(`${t}.${body}`).digest('hex');
    const status = await post(url, body, { 'Beckon-Signature': `t=${t},v1=${sig}`, 'Beckon-Event': 'callback.created' });
    if (status < 200 || status >= 300) failed++;
  }
  return failed;
}

process.stdout.write('bare webhooks ready\n');
process.once('SIGUSR2', () => {
  void Promise.all(jobs.map(drain)).then((failed) => {
    process.stdout.write(`bare webhooks done; ${failed.reduce((a, b) => a + b, 0)} failed\n`);
  });
});
process.on('SIGTERM', () => process.exit(0));
// Stay up until told to stop.
setInterval(() => {}, 1 << 30);
