/**
 * The sample flag of a GuardDuty finding, on its own (no schema, no zod): the parser reads it, and
 * the oversized-event intake checks that clipping an event never loses it (lib/incident/clip-event.ts).
 */
import { isRecord, valueAt } from './reading';

/** `additionalInfo.value` is a JSON string; larger ones are not read for the sample flag. */
export const ADDITIONAL_INFO_VALUE_MAX = 65_536;

/**
 * GuardDuty sample findings (CreateSampleFindings) say so in `service.additionalInfo`: as
 * `sample: true` in events, or inside the JSON string `value` (`{"sample":true}`) in the
 * GetFindings shape. A `[SAMPLE]` title prefix counts too: when in doubt, never mutate.
 * https://docs.aws.amazon.com/guardduty/latest/ug/sample_findings.html
 */
export function isSampleFinding(additionalInfo: unknown, title: string): boolean {
  if (title.trimStart().toUpperCase().startsWith('[SAMPLE]')) return true;
  if (!isRecord(additionalInfo)) return false;
  if (isTrue(valueAt(additionalInfo, ['sample']))) return true;
  const value = valueAt(additionalInfo, ['value']);
  if (typeof value !== 'string' || value.length > ADDITIONAL_INFO_VALUE_MAX || !value.includes('sample')) return false;
  try {
    const parsed: unknown = JSON.parse(value);
    return isTrue(valueAt(parsed, ['sample']));
  } catch {
    return false;
  }
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}
