/**
 * Time stamps as AWS writes them, normalized to ISO 8601 UTC (`2019-10-28T19:13:05.317Z`).
 * GuardDuty writes `2018-08-26T14:17:23.000Z`, CloudWatch alarm events `2019-10-28T19:13:05.317+0000`
 * (no colon in the offset, which `Date.parse` does not promise to read), and older GuardDuty findings
 * epoch milliseconds (`launchTime: 1497058274000`). The AWS CLI prints some as epoch seconds.
 */

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH_PATTERN = /^\d{1,16}(?:\.\d+)?$/;
/** Below this an epoch number is read as seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const EPOCH_SECONDS_BELOW = 1e11;
/** 9999-12-31T23:59:59.999Z: the last instant `toISOString` writes without a sign. */
const MAX_EPOCH_MS = 253_402_300_799_999;

/** ISO 8601 UTC form of an AWS time stamp (ISO string, `+0000` offset, or epoch), or undefined if unreadable. */
export function toIsoTime(value: unknown): string | undefined {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length > 64) return undefined;
  if (EPOCH_PATTERN.test(text)) return fromEpoch(Number(text));
  return fromIso(text);
}

function fromEpoch(epoch: number): string | undefined {
  if (!Number.isFinite(epoch) || epoch < 0) return undefined;
  const ms = epoch < EPOCH_SECONDS_BELOW ? epoch * 1000 : epoch;
  if (ms > MAX_EPOCH_MS) return undefined;
  return new Date(Math.floor(ms)).toISOString();
}

function fromIso(text: string): string | undefined {
  const match = ISO_PATTERN.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const ms = fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 April over to 1 May: refuse dates that do not exist rather than move them.
  if (new Date(local).getUTCDate() !== day) return undefined;
  // AWS time stamps are UTC; one without a zone is read as UTC rather than as the host's local time.
  const offsetMinutes = zone === undefined ? 0 : zoneOffsetMinutes(zone);
  if (offsetMinutes === undefined) return undefined;
  const utc = local - offsetMinutes * 60_000;
  if (utc < 0 || utc > MAX_EPOCH_MS) return undefined;
  return new Date(utc).toISOString();
}

function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** `2019-10-28T19:13:05.317Z` → `20191028T191305Z` (ISO 8601 basic format, whole seconds). */
export function compactUtc(iso: string): string {
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}
