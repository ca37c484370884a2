import test, { registerCompletionHandler } from 'ava';

/**
 * Loaded into every test file's process (package.json, ava.require). AVA waits for a test file's process to
 * exit after its tests, and its inactivity timeout can miss one that never does (the timeout is not armed again
 * when it fires during a test's own longer `t.timeout`; hence package.json's 10 min and no test above 9), so a
 * single handle left open (a socket, a timer, a child's pipe) would hold the whole run until CI gives up on it.
 * Once the tests are done the process gets a few seconds to end on its own; if it has not, what still holds it
 * is named on stderr and it exits.
 */
const GRACE_MS = 5000;

registerCompletionHandler(() => {
  setTimeout(() => {
    // The process's own stdio and AVA's channel are pipes too; the list is a lead, not a verdict.
    const held = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
    process.stderr.write(`[test] ${test.meta.file}: still held ${GRACE_MS} ms after its tests (${held.join(', ')}); exiting\n`);
    process.exit(0);
  }, GRACE_MS).unref();
});
