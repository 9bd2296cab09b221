import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactUtc, toIsoTime } from '../../lib/incident/time';

describe('toIsoTime', () => {
  it.each([
    ['2018-08-26T14:17:23.000Z', '2018-08-26T14:17:23.000Z'],
    ['2017-12-08T15:32:49Z', '2017-12-08T15:32:49.000Z'],
    ['2019-10-28T19:13:05.317+0000', '2019-10-28T19:13:05.317Z'],
    ['2019-10-28T21:13:05.317+0200', '2019-10-28T19:13:05.317Z'],
    ['2019-10-28T14:13:05.317-05:00', '2019-10-28T19:13:05.317Z'],
    ['2019-10-28T19:13:05.317123456Z', '2019-10-28T19:13:05.317Z'],
    ['2019-10-28T19:13:05', '2019-10-28T19:13:05.000Z'],
    ['2020-02-29T00:00:00Z', '2020-02-29T00:00:00.000Z'],
  ])('reads the string %s as %s', (text, iso) => {
    expect(toIsoTime(text)).toBe(iso);
  });

  it('reads legacy epoch milliseconds (GuardDuty launchTime) and epoch seconds (AWS CLI)', () => {
    expect(toIsoTime(1497058274000)).toBe('2017-06-10T01:31:14.000Z');
    expect(toIsoTime('1497058274000')).toBe('2017-06-10T01:31:14.000Z');
    expect(toIsoTime(1513612692)).toBe('2017-12-18T15:58:12.000Z');
    expect(toIsoTime('1513612692')).toBe('2017-12-18T15:58:12.000Z');
  });

  it.each([
    'XXXX-XX-XXTXX:XX:XXZ',
    'yesterday',
    '',
    '2019-02-30T00:00:00Z',
    '2019-13-01T00:00:00Z',
    '2019-10-28T24:00:00Z',
    '2019-10-28T19:13:05+2500',
    '1969-12-31T23:59:59Z',
    `2019-10-28T19:13:05Z${' '.repeat(60)}x`,
  ])('refuses %j', (text) => {
    expect(toIsoTime(text)).toBeUndefined();
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1, 1e20, null, undefined, true, {}, []])('refuses %s', (value) => {
    expect(toIsoTime(value)).toBeUndefined();
  });

  it('reads back any instant in every format AWS writes it', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        const iso = date.toISOString();
        expect(toIsoTime(iso)).toBe(iso);
        expect(toIsoTime(iso.replace('Z', '+0000'))).toBe(iso);
        expect(toIsoTime(iso.replace('Z', '+00:00'))).toBe(iso);
        if (date.getTime() >= 1e11) expect(toIsoTime(date.getTime())).toBe(iso);
      }),
      { numRuns: 500 },
    );
  });
});

describe('compactUtc', () => {
  it('writes the ISO 8601 basic form in whole seconds', () => {
    expect(compactUtc('2019-10-28T19:13:05.317Z')).toBe('20191028T191305Z');
  });
});
