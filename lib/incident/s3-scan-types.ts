/**
 * The finding types Firebreak gives Malware Protection for S3 scan results and the scores of each
 * result status: in a module of their own, with no imports, so that the playbook catalogue
 * (lib/playbooks/finding-types.ts) can list them without pulling in the parser.
 */

/**
 * Scores Firebreak gives a scan result (the event has no severity of its own). THREATS_FOUND is
 * High, as GuardDuty rates its own Object:S3/MaliciousFile finding. An object that could not be
 * scanned (ACCESS_DENIED, FAILED, or a status Firebreak does not know yet) is Medium: a person
 * should know that the gate let it through unscanned. UNSUPPORTED (password-protected or oversized
 * archives) is Low: expected, and frequent in some buckets. NO_THREATS_FOUND is Informational:
 * nothing happens.
 */
export const S3_SCAN_RESULT_SCORES: Readonly<Record<string, number>> = {
  THREATS_FOUND: 8,
  NO_THREATS_FOUND: 0,
  UNSUPPORTED: 2,
  ACCESS_DENIED: 4,
  FAILED: 4,
};
const UNKNOWN_RESULT_SCORE = 4;

/** The score of a scan result status (a status Firebreak does not know: Medium). */
export function s3ScanResultScore(resultStatus: string): number {
  return Object.hasOwn(S3_SCAN_RESULT_SCORES, resultStatus) ? S3_SCAN_RESULT_SCORES[resultStatus]! : UNKNOWN_RESULT_SCORE;
}

/** `THREATS_FOUND` → `MalwareScan:S3/ThreatsFound`: the incident's finding type for a scan result (playbooks match `MalwareScan:S3/*`). */
export function s3ScanFindingType(resultStatus: string): string {
  const pascal = resultStatus
    .toLowerCase()
    .split('_')
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
  return `MalwareScan:S3/${pascal}`;
}
