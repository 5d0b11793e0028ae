import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWindow, isOpen, nextOpening, offsetAt, openingsAt, parseHhmm } from './window.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('local-time windows', () => {
  test('parses and checks HH:MM windows', () => {
    assert.equal(parseHhmm('00:00'), 0);
    assert.equal(parseHhmm('23:59'), 1439);
    assert.equal(parseHhmm('24:00'), undefined);
    assert.equal(parseHhmm('9:00'), undefined);
    assert.equal(checkWindow({ from: '09:00', to: '18:00' }), undefined);
    assert.equal(checkWindow({ from: '22:00', to: '06:00' }), undefined);
    assert.match(checkWindow({ from: '10:00', to: '10:00' })!, /must differ/);
    assert.match(checkWindow({ from: '10:60', to: '11:00' })!, /window.from/);
  });

  test('Europe/Moscow (UTC+3, no DST): before, inside, at the end', () => {
    const w = { from: '09:00', to: '18:00' };
    assert.equal(iso(nextOpening(at('2026-01-10T05:00:00Z'), 'Europe/Moscow', w)), '2026-01-10T06:00:00.000Z');
    const inside = at('2026-01-10T07:12:34.567Z');
    assert.equal(nextOpening(inside, 'Europe/Moscow', w), inside);
    // 18:00 local is outside ([from, to)): next day 09:00.
    assert.equal(iso(nextOpening(at('2026-01-10T15:00:00Z'), 'Europe/Moscow', w)), '2026-01-11T06:00:00.000Z');
    assert.equal(iso(nextOpening(at('2026-07-10T15:00:00Z'), 'Europe/Moscow', w)), '2026-07-11T06:00:00.000Z');
  });

  test('a window that crosses midnight', () => {
    const w = { from: '22:00', to: '06:00' };
    // Berlin in winter is UTC+1.
    assert.equal(iso(nextOpening(at('2026-01-10T12:00:00Z'), 'Europe/Berlin', w)), '2026-01-10T21:00:00.000Z');
    const afterMidnight = at('2026-01-10T23:30:00Z'); // 00:30 local
    assert.equal(nextOpening(afterMidnight, 'Europe/Berlin', w), afterMidnight);
    assert.equal(iso(nextOpening(at('2026-01-11T05:00:00Z'), 'Europe/Berlin', w)), '2026-01-11T21:00:00.000Z');
    assert.equal(isOpen(at('2026-01-11T04:59:59Z'), 'Europe/Berlin', w), true);
    assert.equal(isOpen(at('2026-01-11T05:00:00Z'), 'Europe/Berlin', w), false);
  });

  test('the same instant opens at different moments in different zones', () => {
    const w = { from: '09:00', to: '12:00' };
    const t = at('2026-01-10T00:00:00Z');
    const open = openingsAt(t, w);
    assert.equal(iso(open('Asia/Tokyo')), '2026-01-10T00:00:00.000Z'); // 09:00 JST exactly
    assert.equal(iso(open('Europe/Moscow')), '2026-01-10T06:00:00.000Z');
    assert.equal(iso(open('America/Los_Angeles')), '2026-01-10T17:00:00.000Z');
    assert.equal(iso(open('Asia/Kathmandu')), '2026-01-10T03:15:00.000Z'); // UTC+5:45
    assert.equal(iso(open('UTC')), '2026-01-10T09:00:00.000Z');
    assert.equal(openingsAt(t, null)('Asia/Tokyo'), t);
  });

  test('America/New_York spring forward: the next morning is an hour earlier in UTC', () => {
    const w = { from: '09:00', to: '17:00' };
    // Saturday 18:00 EST; Sunday 8 March 2026 09:00 is EDT (UTC-4).
    assert.equal(iso(nextOpening(at('2026-03-07T23:00:00Z'), 'America/New_York', w)), '2026-03-08T13:00:00.000Z');
    assert.equal(offsetAt(at('2026-03-07T23:00:00Z'), 'America/New_York'), -5 * 3600_000);
    assert.equal(offsetAt(at('2026-03-08T13:00:00Z'), 'America/New_York'), -4 * 3600_000);
  });

  test('a window that starts inside the spring-forward gap opens at the jump', () => {
    // 02:30 does not exist on 8 March 2026 in New York: 02:00 EST becomes 03:00 EDT at 07:00Z.
    const w = { from: '02:30', to: '04:00' };
    assert.equal(iso(nextOpening(at('2026-03-08T05:00:00Z'), 'America/New_York', w)), '2026-03-08T07:00:00.000Z');
  });

  test('fall back: an hour that repeats opens the window again', () => {
    // 1 November 2026: 01:45 EDT (05:45Z); at 06:00Z the clock goes back to 01:00 EST.
    const w = { from: '01:00', to: '01:30' };
    assert.equal(iso(nextOpening(at('2026-11-01T05:45:00Z'), 'America/New_York', w)), '2026-11-01T06:00:00.000Z');
    // Berlin, 25 October 2026: Saturday 11:00 CEST → Sunday 09:00 CET = 08:00Z.
    const morning = { from: '09:00', to: '10:00' };
    assert.equal(iso(nextOpening(at('2026-10-24T09:00:00Z'), 'Europe/Berlin', morning)), '2026-10-25T08:00:00.000Z');
  });

  test('agrees with a brute-force minute scan on random cases', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Europe/Moscow', 'Australia/Lord_Howe', 'Asia/Kolkata'];
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    // Instants around the 2026 DST changes, where mistakes would hide.
    const bases = ['2026-03-08T00:00:00Z', '2026-03-28T12:00:00Z', '2026-10-24T12:00:00Z', '2026-10-31T18:00:00Z'];
    for (let i = 0; i < 40; i++) {
      const zone = zones[rnd(zones.length)]!;
      const from = rnd(1440);
      let to = rnd(1440);
      if (to === from) to = (from + 90) % 1440;
      const w = { from: hhmm(from), to: hhmm(to) };
      const t = at(bases[rnd(bases.length)]!) + rnd(36 * 60) * 60_000;
      const got = nextOpening(t, zone, w);
      let expected = t;
      while (!isOpen(expected, zone, w)) expected = (Math.floor(expected / 60_000) + 1) * 60_000;
      assert.equal(iso(got), iso(expected), `${zone} ${w.from}-${w.to} from ${iso(t)}`);
    }
  });
});
