import test from 'ava';
import { redisKeys } from '../../src/platform/redis-keys.ts';

// Live Redis holds data under these names: a changed string orphans sessions, limits and queued jobs.
test('every key and channel keeps its stored name', (t) => {
  const k = redisKeys('P');
  t.deepEqual({
    bull: k.bull(), requestEvents: k.requestEvents('r'), agentEvents: k.agentEvents('a'), agentCommands: k.agentCommands('w'),
    workers: k.workers(), session: k.session('s'), openRequestLock: k.openRequestLock('s', '+1'), agentWait: k.agentWait('r'),
    callCeiling: k.callCeiling('+1'),
    rateLimits: (['ip', 'num-s', 'num-l', 'sub-day', 'form-tokens'] as const).map((n) => k.rateLimit(n)),
    visitorNumbers: k.visitorNumbers('v'), formTokenUsed: k.formTokenUsed('n'),
    loginFailures: (['portal', 'admin', 'agent'] as const).flatMap((c) => [k.loginFailures(c, 'acct-ip'), k.loginFailures(c, 'ip')]),
    attempts: (['signup', 'reset'] as const).flatMap((kind) => [k.attempts(kind, 'ip'), k.attempts(kind, 'acct')]),
    verify: [k.verifyPerNumberHour('+1'), k.verifyPerNumberDay('+1'), k.verifyPerAccount('s'), k.verifyPerIp('h'), k.verifyNewAccounts(),
      k.verifyGap('s', null), k.verifyGap('s', 'd'), k.verifyLine('+1')],
  }, {
    bull: 'P:bull', requestEvents: 'P:events:request:r', agentEvents: 'P:events:agent:a', agentCommands: 'P:agent-cmd:w',
    workers: 'P:workers', session: 'P:sess:s', openRequestLock: 'P:open:s:+1', agentWait: 'P:agent-wait:r',
    callCeiling: 'P:call-ceiling:+1',
    rateLimits: ['P:rl:ip', 'P:rl:num-s', 'P:rl:num-l', 'P:rl:sub-day', 'P:rl:form-tokens'],
    visitorNumbers: 'P:rl:visitor:v', formTokenUsed: 'P:rl:form-token:n',
    loginFailures: ['P:rl:login-fail:acct-ip', 'P:rl:login-fail:ip', 'P:admin:rl:login-fail:acct-ip', 'P:admin:rl:login-fail:ip', 'P:agent:rl:login-fail:acct-ip', 'P:agent:rl:login-fail:ip'],
    attempts: ['P:signup:rl:login:ip', 'P:signup:rl:login:acct', 'P:reset:rl:login:ip', 'P:reset:rl:login:acct'],
    verify: ['P:verify:num-h:+1', 'P:verify:num-d:+1', 'P:verify:acct:s', 'P:verify:ip:h', 'P:verify:new-accounts', 'P:verify:gap:s:-', 'P:verify:gap:s:d', 'P:verify:line:+1'],
  });
});
