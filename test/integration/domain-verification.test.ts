import test from 'ava';
import { createDomainChecker, isForbiddenAddress, verificationHost } from '../../src/portal/domain-verification.ts';
import { startSiteServer, type SiteServer } from '../helpers/site-server.ts';

// The ownership check fetches a URL built from a host a stranger typed: it must not become a way to make our
// server call into its own network (SSRF).

let sites: SiteServer;
test.before(async () => { sites = await startSiteServer(); });
test.after.always(async () => { await sites?.close(); });

test('private, loopback, link-local and multicast addresses are refused; public ones are not', (t) => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'not-an-ip']) {
    t.true(isForbiddenAddress(a), a);
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) t.false(isForbiddenAddress(a), a);
});

test('a wildcard is proven on its base host', (t) => {
  t.is(verificationHost('*.shop.example'), 'shop.example');
  t.is(verificationHost('www.shop.example'), 'www.shop.example');
});

test('the checker finds the token on the site, and says why when it does not', async (t) => {
  const check = createDomainChecker({ urlTemplate: sites.env.DOMAIN_VERIFY_URL, allowPrivate: true });
  sites.serve('found.example', 'beckon-verification=abc\n');
  t.deepEqual(await check('found.example', 'beckon-verification=abc'), { ok: true });
  t.deepEqual(await check('*.found.example', 'beckon-verification=abc'), { ok: true });
  const other = await check('found.example', 'beckon-verification=xyz');
  t.false(other.ok);
  const none = await check('absent.example', 'beckon-verification=abc');
  t.regex((none as { reason: string }).reason, /answered 404/);
});

test('without the intranet switch, a site on a loopback address is never fetched, by IP or by name', async (t) => {
  const check = createDomainChecker({ urlTemplate: sites.env.DOMAIN_VERIFY_URL, allowPrivate: false });
  // A host of its own: the other tests of this file fetch from the same server at the same time.
  sites.serve('never-fetched.example', 'beckon-verification=abc\n');
  const reached = () => sites.requests.filter((u) => u.includes('never-fetched.example')).length;
  const byIp = await check('never-fetched.example', 'beckon-verification=abc');
  t.false(byIp.ok);
  t.regex((byIp as { reason: string }).reason, /private address/);
  const port = new URL(sites.env.DOMAIN_VERIFY_URL.replace('{host}', 'x')).port;
  const byName = await createDomainChecker({ urlTemplate: `http://{host}:${port}/never-fetched.example/.well-known/beckon-verification.txt` })('localhost', 'beckon-verification=abc');
  t.false(byName.ok);
  t.regex((byName as { reason: string }).reason, /private address/);
  t.is(reached(), 0, 'no request reached the loopback server');
});
