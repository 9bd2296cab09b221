/**
 * The two rules a resource's CURRENT tags decide (an instance's, a user's or a role's), written once
 * for every place that reads them: the containment guard, before it takes a blast-radius slot
 * (containment-guard-rails.ts and -instance.ts for instances, containment-guard-credential.ts for
 * users and roles), and the credential steps, where they act (credential-rails.ts). Each caller
 * words its own refusal. A leaf on purpose: the guard imports it, and the guard's bundle (on the
 * path of every containment) must not carry the credential rails and their grant reader.
 */
import { isGameDayTarget } from './game-day';

/**
 * How the service holding the tags compares their keys. EC2 keys are case-sensitive (an instance
 * may carry both `Team` and `team`); the keys of IAM users and roles are not: IAM keeps one tag per
 * key whatever its case, and its policies' `aws:ResourceTag/<key>` find it in any case
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html, "Case sensitivity").
 */
export type TagKeyComparison = 'case-sensitive' | 'case-insensitive';

/**
 * The tag that carries the deployment's protected tag key (its value may be empty), compared as the
 * service compares keys, or undefined. Only for protection: matching more keys can only protect
 * more. The game-day opt-in stays exact (`gameDayForbids`): there, matching more would let a drill
 * reach a principal whose tag no policy guarding the exact key checked.
 */
export function protectedTagOf(
  tags: Readonly<Record<string, string>>,
  protectedTagKey: string,
  keys: TagKeyComparison,
): { readonly key: string; readonly value: string } | undefined {
  if (Object.hasOwn(tags, protectedTagKey)) return { key: protectedTagKey, value: tags[protectedTagKey] as string };
  if (keys === 'case-sensitive') return undefined;
  const folded = protectedTagKey.toLowerCase();
  const key = Object.keys(tags).find((candidate) => candidate.toLowerCase() === folded);
  return key === undefined ? undefined : { key, value: tags[key] as string };
}

/** True when the tags carry the deployment's protected tag key, whatever its value (an empty one protects too), compared as `keys` says. */
export function carriesProtectedTagKey(tags: Readonly<Record<string, string>>, protectedTagKey: string, keys: TagKeyComparison = 'case-sensitive'): boolean {
  return protectedTagOf(tags, protectedTagKey, keys) !== undefined;
}

/** True when a game-day incident may not change the principal: its tags do not opt it in (key and value); never for a real incident. */
export function gameDayForbids(gameDay: boolean, tags: Readonly<Record<string, string>>): boolean {
  return gameDay && !isGameDayTarget(tags);
}
