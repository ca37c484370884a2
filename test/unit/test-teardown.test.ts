import test from 'ava';
import { boundedStep } from '../helpers/stack.ts';

test('a teardown step that never finishes is given up after its bound and named; one that fails does not stop the teardown', async (t) => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    const started = Date.now();
    await boundedStep('never ends', () => new Promise(() => {}), 200);
    t.true(Date.now() - started >= 190, 'waited for the bound');
    await boundedStep('fails', () => Promise.reject(new Error('boom')), 200);
    await boundedStep('throws at once', () => { throw new Error('sync boom'); }, 200);
    let ran = false;
    await boundedStep('ends', async () => { ran = true; }, 200);
    t.true(ran);
  } finally {
    process.stderr.write = write;
  }
  t.deepEqual(written, ['[test] teardown: never ends did not finish within 200 ms; going on\n']);
});
