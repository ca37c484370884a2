import { pino } from 'pino';
import { startSim } from './index.ts';

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number (got "${raw}")`);
  return n;
}

/** `beckon sim`: runs the Asterisk stand-in until SIGTERM or SIGINT. */
export async function runSim(env: NodeJS.ProcessEnv): Promise<void> {
  const logger = pino({ name: 'beckon-sim', level: env.LOG_LEVEL ?? 'info' });
  const timeScale = env.SIM_TIME_SCALE ? Number(env.SIM_TIME_SCALE) : 1;
  if (!(timeScale > 0)) throw new Error(`SIM_TIME_SCALE must be a positive number (got "${env.SIM_TIME_SCALE}")`);
  const sim = await startSim({
    host: env.SIM_HOST ?? '127.0.0.1',
    port: intFrom(env, 'SIM_PORT', 8088),
    amiPort: intFrom(env, 'SIM_AMI_PORT', 5038),
    user: env.ARI_USER ?? 'beckon',
    password: env.ARI_PASSWORD ?? 'beckon',
    amiUser: env.AMI_USER ?? 'beckon',
    amiSecret: env.AMI_SECRET ?? 'beckon',
    timeScale,
    indications: env.SIM_INDICATIONS !== '0',
    // The web-call dialplan hands browser calls to the shared inbound app of the workers' ARI_APP.
    inboundApp: `${env.ARI_APP || 'beckon'}-inbound`,
    ...(env.SIM_RESTART_WS_GAP_MS ? { restartWsGapMs: intFrom(env, 'SIM_RESTART_WS_GAP_MS', 1300) } : {}),
    logger,
  });
  logger.info(
    { ari: `${sim.ariUrl}/ari`, control: `${sim.ariUrl}/sim`, ami: `tcp://127.0.0.1:${sim.amiPort}` },
    `sim ready: ARI ${sim.ariUrl}/ari, AMI port ${sim.amiPort}, control ${sim.ariUrl}/sim`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await sim.close();
  logger.info('sim stopped');
}
