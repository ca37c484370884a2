import { readFileSync } from 'node:fs';
import test from 'ava';
import { mappedCdrFields, parseCdrManagerMappings, SHIPPED_CDR_MAPPINGS } from '../../src/sim/cdr.ts';

const shippedConf = readFileSync(new URL('../../asterisk/conf/cdr_manager.conf', import.meta.url), 'utf8');
const trace = JSON.parse(readFileSync(new URL('../fixtures/traces/cdr.json', import.meta.url), 'utf8')) as {
  withoutMappings: Record<string, string>[]; withMappings: Record<string, string>[];
};

test('the simulator maps what asterisk/conf/cdr_manager.conf maps', (t) => {
  t.deepEqual(parseCdrManagerMappings(shippedConf), SHIPPED_CDR_MAPPINGS);
});

test('the shipped mappings include every Cdr field the worker stores beyond the defaults', (t) => {
  const headers = parseCdrManagerMappings(shippedConf).map(([, h]) => h.toLowerCase());
  for (const field of ['linkedid', 'sequence']) t.true(headers.includes(field), field);
});

test('[mappings] parsing: comments, spacing, other sections; absent section maps nothing', (t) => {
  t.deepEqual(parseCdrManagerMappings('[general]\nenabled = yes\n'), []);
  t.deepEqual(parseCdrManagerMappings('[general]\nenabled=yes\n[mappings] ; extra\n  linkedid=>LinkedID ; the call\nrate => Rate\n[other]\nx => Y\n'),
    [['linkedid', 'LinkedID'], ['rate', 'Rate']]);
});

test('mapped fields follow UserField exactly as recorded with linkedid/sequence/peeraccount mapped', (t) => {
  const recorded = trace.withMappings[0]!;
  const defaults = Object.keys(trace.withoutMappings[0]!);
  const extra = Object.keys(recorded).slice(defaults.length);
  t.deepEqual(Object.keys(recorded).slice(0, defaults.length), defaults, 'mapped fields come after the default ones');
  const fields = mappedCdrFields(SHIPPED_CDR_MAPPINGS, { linkedid: recorded.linkedid!, sequence: Number(recorded.sequence), peeraccount: recorded.peeraccount! });
  t.deepEqual(fields.map(([k]) => k.toLowerCase()), extra);
  t.deepEqual(fields.map(([, v]) => String(v)), extra.map((k) => recorded[k]));
  t.deepEqual(mappedCdrFields([], { linkedid: 'x', sequence: 1, peeraccount: '' }), []);
});
