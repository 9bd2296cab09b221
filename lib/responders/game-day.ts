/**
 * Game-day incidents change only instances that opted in. Whoever can put an event on the game-day
 * bus chooses what it names, so a drill must never be able to reach production: the opt-in tag is
 * read from EC2 when the responder acts (DescribeInstances), never from the event.
 */
import { GAMEDAY_INCIDENT_KEY_PREFIX, SECURITY_TAGS } from '../contracts/security';
import type { Incident } from '../incident/model';

/** True for an incident injected by a game day: source `firebreak.gameday`, or a `gameday-` incident key. */
export function isGameDayIncident(incident: Pick<Incident, 'gameDay' | 'key'>): boolean {
  return incident.gameDay || incident.key.startsWith(GAMEDAY_INCIDENT_KEY_PREFIX);
}

/** True when EC2's current tags opt the instance in to game days (`firebreak:gameday-target=true`). */
export function isGameDayTarget(currentTags: Readonly<Record<string, string>>): boolean {
  return currentTags[SECURITY_TAGS.gameDayTarget.key] === SECURITY_TAGS.gameDayTarget.value;
}

/** Why a game-day incident may not change this instance, or undefined when it may (or the incident is real). */
export function gameDayRefusal(
  incident: Pick<Incident, 'gameDay' | 'key'>,
  instanceId: string,
  currentTags: Readonly<Record<string, string>>,
): string | undefined {
  if (!isGameDayIncident(incident) || isGameDayTarget(currentTags)) return undefined;
  const { key, value } = SECURITY_TAGS.gameDayTarget;
  return `Game-day incident ${incident.key}: instance ${instanceId} does not carry the tag ${key}=${value} in EC2 now, so a drill may not change it; nothing was changed.`;
}
