/**
 * The two rules a resource's CURRENT tags decide (an instance's, a user's or a role's), written once
 * for every place that reads them: the containment guard, before it takes a blast-radius slot
 * (containment-guard-rails.ts and -instance.ts for instances, containment-guard-credential.ts for
 * users and roles), and the credential steps, where they act (credential-rails.ts). Each caller
 * words its own refusal. A leaf on purpose: the guard imports it, and the guard's bundle (on the
 * path of every containment) must not carry the credential rails and their grant reader.
 */
import { isGameDayTarget } from './game-day';

/** True when the tags carry the deployment's protected tag key, whatever its value (an empty one protects too). */
export function carriesProtectedTagKey(tags: Readonly<Record<string, string>>, protectedTagKey: string): boolean {
  return Object.hasOwn(tags, protectedTagKey);
}

/** True when a game-day incident may not change the principal: its tags do not opt it in (key and value); never for a real incident. */
export function gameDayForbids(gameDay: boolean, tags: Readonly<Record<string, string>>): boolean {
  return gameDay && !isGameDayTarget(tags);
}
