import test from 'ava';
import { parseHoursForm } from '../../src/portal/portal-forms.ts';

test('hours from time inputs: a close at 00:00 is midnight at the end of the day; seconds are dropped', (t) => {
  const r = parseHoursForm({
    mon_open1: '09:00', mon_close1: '00:00', tue_open1: '00:00', tue_close1: '00:00', wed_open1: '08:30:00', wed_close1: '12:00:00',
    thu_open1: '22:00', thu_close1: '02:00',
  });
  t.true(r.ok);
  if (!r.ok) return;
  t.deepEqual(r.value.weekly?.mon, [{ open: '09:00', close: '24:00' }]);
  t.deepEqual(r.value.weekly?.tue, [{ open: '00:00', close: '24:00' }], 'open all day, not closed');
  t.deepEqual(r.value.weekly?.wed, [{ open: '08:30', close: '12:00' }]);
  t.deepEqual(r.value.weekly?.thu, [{ open: '22:00', close: '02:00' }], 'overnight stays overnight');
  t.false(parseHoursForm({ mon_open1: '25:00', mon_close1: '26:00' }).ok);
});
