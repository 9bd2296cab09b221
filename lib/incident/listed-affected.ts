/**
 * The affected resources of a kind that only the parser's list names (`incident.affected`). An S3
 * object is named by a Malware Protection for S3 scan result's list and never derived from the
 * incident's `resource` (`affectedFromPrimary`, ./affected.ts, yields none), so for such a kind this
 * is what filtering `affectedResources` gives, without bundling that derivation and its checks of
 * every other kind: about 3.3 KB of each S3 object step (lib/responders/s3-malware-object.ts).
 * test/incident/listed-affected.test.ts holds the two in step.
 */
import type { AffectedResource, Incident } from './model';

/** The kinds `affectedFromPrimary` never derives: only the parser's list can name one. */
export const LISTED_ONLY_KINDS = ['s3-object'] as const;

export type ListedOnlyKind = (typeof LISTED_ONLY_KINDS)[number];

/**
 * The entries of `kind` in the incident's list, as the event gave them (checked again by the caller:
 * a responder's input is a claim). None when the incident carries no list.
 */
export function listedAffected(incident: Pick<Incident, 'affected'>, kind: ListedOnlyKind): readonly AffectedResource[] {
  return (incident.affected ?? []).filter((entry) => (entry as { kind?: unknown }).kind === kind);
}
