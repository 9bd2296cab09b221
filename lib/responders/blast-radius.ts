/**
 * The blast-radius rail: at most N automatic containments per account in a sliding window of W
 * seconds. Automation that quarantines production machines must not become the outage, so past the
 * limit further incidents get evidence and an approval request instead of automatic containment.
 *
 * The counter lives in the Firebreak state table (partition key `pk`, string) as N *slot* items per
 * account, `blast#<account>#<slot>`. A containment takes a slot with a conditional PutItem that only
 * succeeds when the slot is empty or its hold has expired, so two executions racing for the last
 * slot cannot both win: DynamoDB evaluates the condition and the write atomically
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 * A read-then-write counter would let every concurrent execution read "2 of 3" and all proceed.
 *
 * The one consistent read this module makes never grants a new slot: it finds a slot the incident
 * already holds for the same resource (idempotency across re-runs) and skips slots that are held at
 * `now`, which cannot free up before their `expiresAt` because nothing shortens or deletes a hold.
 * An incident's key is a claim (whoever may states:StartExecution a playbook chooses the incident in
 * its input): a hold is the incident's own only for the resource it recorded, so an execution reusing
 * the key of an incident that holds a slot, about another resource, takes a slot of its own.
 *
 * A slot counts a contained resource, not an incident: a hold records the resource its grant names
 * (`target`), and another incident about the same resource within the window is granted under that
 * hold, taking no slot of its own. Whoever controls an instance can make GuardDuty raise several
 * distinct findings about it (one lookup of a C&C domain, one of a mining pool: a finding id, so an
 * incident, each), and keeps doing so once isolated (security groups do not filter the VPC
 * resolver): counted per incident, one instance used up the account's slots and the next real
 * compromise waited for a person (review response-denial-review). Containing a resource already
 * contained in the window takes nothing more out of service.
 *
 * A stored slot is a claim like any other record: a hold never counts longer than the window the
 * limiter itself writes, W seconds from its recorded write time (`acquiredAt`), whatever its
 * `expiresAt` says; an item without a readable write time counts until its `expiresAt` only when
 * that lies within one window of now; one that gives no such time counts for nothing (and is
 * reported), so a malformed record can never hold a slot for good (`holdFromItem`).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, ConditionalCheckFailedException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { itemOfConditionFailure, toResponderError } from '../aws/errors';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { STATE_TTL_ATTRIBUTE } from '../contracts/incident-record';
import { TransientResponderError } from '../contracts/responder-errors';

/** How many automatic containments an account may have in one window. */
export interface BlastRadiusPolicy {
  /** N: containments allowed per account in the window, 1–100 (one BatchGetItem reads every slot). */
  readonly maxContainments: number;
  /** W: length of the sliding window in seconds. */
  readonly windowSeconds: number;
}

/** The defaults the Lambda uses when FIREBREAK_BLAST_RADIUS_MAX / _WINDOW_SECONDS are unset. */
export const DEFAULT_BLAST_RADIUS_POLICY: BlastRadiusPolicy = { maxContainments: 5, windowSeconds: 3600 };

/** The attribute the state table's DynamoDB TTL must be configured on (epoch seconds). */
export const BLAST_RADIUS_TTL_ATTRIBUTE = STATE_TTL_ATTRIBUTE;

/** IAM actions on the state table (security account) the limiter needs; scope them with `dynamodb:LeadingKeys` `blast#*`. */
export const BLAST_RADIUS_IAM_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:PutItem'] as const;

/** One containment currently counted against an account. */
export interface ContainmentHold {
  readonly slot: number;
  readonly incidentKey: string;
  /** The resource the holding incident contains (`<region>/<grant target>`), when recorded. */
  readonly target?: string;
  /** ISO 8601 time the slot was taken, when recorded. */
  readonly acquiredAt?: string;
  /** Epoch seconds at which the hold stops counting: never later than W after its write time (`holdFromItem`). */
  readonly expiresAt: number;
  /**
   * The item gave no time within the window (no readable write time, and no expiry or one more
   * than a window ahead): not something the limiter writes, so it counts for nothing (`expiresAt` 0)
   * and the next conditional put may take its slot.
   */
  readonly unbounded?: true;
}

export interface BlastRadiusGrant {
  readonly granted: true;
  /** The slot this incident holds. */
  readonly slot: number;
  /** True when the incident already held the slot (a re-run): nothing new was counted. */
  readonly alreadyHeld: boolean;
  /**
   * The incident holding the slot for the same resource (`target`), when this incident is granted
   * under its hold: the resource counts once in the window, nothing new was counted.
   */
  readonly sharedWith?: string;
  /** Containments counted in the window, this one included. */
  readonly used: number;
  readonly limit: number;
  readonly windowSeconds: number;
  /** ISO 8601 time this incident's hold stops counting. */
  readonly expiresAt: string;
  /** Every hold known to count in the window, this incident's included. */
  readonly activeIncidents: readonly ContainmentHold[];
  /** Slot items read that counted for nothing (`ContainmentHold.unbounded`), for the alert. */
  readonly unboundedSlots?: readonly number[];
}

export interface BlastRadiusDenial {
  readonly granted: false;
  /** Containments counted in the window: the limit, since every slot is held. */
  readonly used: number;
  readonly limit: number;
  readonly windowSeconds: number;
  /** The incidents holding the slots, for the alert. */
  readonly activeIncidents: readonly ContainmentHold[];
  /** ISO 8601 time the first slot frees up; undefined when no hold has a readable expiry. */
  readonly retryAfter?: string;
  /** Seconds from `now` until `retryAfter`. */
  readonly retryAfterSeconds?: number;
  /** Slot items read that counted for nothing (`ContainmentHold.unbounded`), for the alert. */
  readonly unboundedSlots?: readonly number[];
}

export type BlastRadiusDecision = BlastRadiusGrant | BlastRadiusDenial;

/**
 * Which allowance a containment counts against: `real` incidents (`blast#`), or game-day drills
 * (`blast-gameday#`), so that injected events never use up the allowance a real compromise needs.
 */
export type BlastRadiusPool = 'real' | 'gameday';

/** The blast-radius counter as responders see it. */
export interface BlastRadiusLimiter {
  /**
   * Takes a slot for the incident (or confirms the one it holds, or the one another incident holds
   * for the same `target` resource); denies when all are held.
   */
  acquire(account: string, incidentKey: string, now: Date, pool?: BlastRadiusPool, target?: string): Promise<BlastRadiusDecision>;
  /** What `acquire` would answer, without taking a slot (dry-run, approval-gated playbooks). */
  preview(account: string, incidentKey: string, now: Date, pool?: BlastRadiusPool, target?: string): Promise<BlastRadiusDecision>;
}

/** Throws a RangeError unless the policy is usable (N in 1–100, W ≥ 1, both integers). */
export function assertBlastRadiusPolicy(policy: BlastRadiusPolicy): void {
  const { maxContainments, windowSeconds } = policy;
  if (!Number.isInteger(maxContainments) || maxContainments < 1 || maxContainments > 100) {
    throw new RangeError(`blast radius maxContainments must be an integer from 1 to 100, got ${maxContainments}`);
  }
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
    throw new RangeError(`blast radius windowSeconds must be a positive integer, got ${windowSeconds}`);
  }
}

/** The partition key of one slot: `blast#<account>#<slot>`, or `blast-gameday#…` in the game-day pool. */
export function blastRadiusSlotKey(account: string, slot: number, pool: BlastRadiusPool = 'real'): string {
  return `${pool === 'gameday' ? STATE_KEY_PREFIX.gameDayBlastRadius : STATE_KEY_PREFIX.blastRadius}${account}#${slot}`;
}

/** FNV-1a over the incident key, mod N: where the incident starts looking, so concurrent incidents spread over the slots. */
export function startSlot(incidentKey: string, maxContainments: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < incidentKey.length; i++) {
    hash ^= incidentKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % maxContainments;
}

export type AcquisitionPlan =
  | { readonly kind: 'already-held'; readonly hold: ContainmentHold; readonly active: readonly ContainmentHold[] }
  | { readonly kind: 'same-target'; readonly hold: ContainmentHold; readonly active: readonly ContainmentHold[] }
  | { readonly kind: 'try-slots'; readonly order: readonly number[]; readonly active: readonly ContainmentHold[] }
  | { readonly kind: 'full'; readonly active: readonly ContainmentHold[] };

/**
 * Decides, from the holds read at `nowSeconds`, whether the incident already holds a slot, whether
 * another incident holds one for the same resource (`target`), which slots are worth a conditional
 * put (in order, from its start slot) or that every slot is held. `active` keeps the read's order:
 * the grant and the denial report holds by slot.
 */
export function planAcquisition(
  holds: readonly ContainmentHold[],
  incidentKey: string,
  nowSeconds: number,
  maxContainments: number,
  target?: string,
): AcquisitionPlan {
  const active = holds.filter((hold) => hold.expiresAt > nowSeconds);
  // The key and the resource: the key alone would clear any resource an execution under it names.
  const own = active.find((hold) => hold.incidentKey === incidentKey && hold.target === target);
  if (own) return { kind: 'already-held', hold: own, active };
  const sameTarget = target === undefined ? undefined : active.find((hold) => hold.target === target);
  if (sameTarget) return { kind: 'same-target', hold: sameTarget, active };
  const heldSlots = new Set(active.map((hold) => hold.slot));
  const start = startSlot(incidentKey, maxContainments);
  const order: number[] = [];
  for (let i = 0; i < maxContainments; i++) {
    const slot = (start + i) % maxContainments;
    if (!heldSlots.has(slot)) order.push(slot);
  }
  return order.length > 0 ? { kind: 'try-slots', order, active } : { kind: 'full', active };
}

/** The denial for a full window: who holds the slots and when the first one frees up. */
export function denial(active: readonly ContainmentHold[], policy: BlastRadiusPolicy, nowSeconds: number): BlastRadiusDenial {
  const sorted = [...active].sort((a, b) => a.slot - b.slot);
  const finite = sorted.map((hold) => hold.expiresAt).filter((expiresAt) => Number.isFinite(expiresAt));
  const base = {
    granted: false as const,
    // Denied only when every slot is held, even if a failed condition did not say by whom.
    used: policy.maxContainments,
    limit: policy.maxContainments,
    windowSeconds: policy.windowSeconds,
    activeIncidents: sorted,
  };
  if (finite.length === 0) return base;
  const firstFree = Math.min(...finite);
  return {
    ...base,
    retryAfter: new Date(firstFree * 1000).toISOString(),
    retryAfterSeconds: Math.max(0, firstFree - nowSeconds),
  };
}

/** The grant for `hold`; `others` may hold its slot (the expired hold it replaced), which is dropped, and are reported by slot. */
function grant(
  hold: ContainmentHold,
  alreadyHeld: boolean,
  others: readonly ContainmentHold[],
  policy: BlastRadiusPolicy,
): BlastRadiusGrant {
  const activeIncidents = [...others.filter((other) => other.slot !== hold.slot), hold].sort((a, b) => a.slot - b.slot);
  return {
    granted: true,
    slot: hold.slot,
    alreadyHeld,
    used: activeIncidents.length,
    limit: policy.maxContainments,
    windowSeconds: policy.windowSeconds,
    expiresAt: new Date(hold.expiresAt * 1000).toISOString(),
    activeIncidents,
  };
}

function epochSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}

/**
 * How far another run's clock may be ahead of this one's: a write time up to this far after `now`
 * is still the limiter's own (Lambda clocks are NTP-synchronised; this is generous).
 */
export const SLOT_CLOCK_SKEW_SECONDS = 300;

/** The write time the limiter records, exactly as it writes it (`Date.toISOString`), so that DynamoDB's string order is time order. */
const WRITE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** What a slot item's times are judged against: the run's `now` and the window the limiter writes. */
export interface SlotReading {
  readonly nowSeconds: number;
  readonly windowSeconds: number;
}

/**
 * Reads a slot item back into a hold, bounded by the window the limiter itself writes (the
 * `PutItem` condition in `tryTakeSlot` frees exactly the same items):
 *
 * - a readable write time (`acquiredAt` as the limiter writes it, not after now by more than the
 *   clock skew): the hold counts until its `expiresAt` or W after that time, whichever comes first,
 *   so an expiry far ahead counts for one window at most;
 * - otherwise a readable `expiresAt` within one window (and the skew) of now counts until then;
 * - otherwise (no expiry, an unreadable one, or one more than a window ahead with no write time)
 *   nothing bounds it: it counts for nothing and is marked `unbounded`. Counting it would take the
 *   slot away for good, and N such records would end automatic containment in the account with
 *   no end; not counting it costs at most one automatic containment past N, once, since the next
 *   put replaces it with a bounded hold. Only the guard's role can write slots, so such a record is
 *   a fault (a hand edit, a bug) the alert reports, not a containment the limiter counted.
 */
export function holdFromItem(slot: number, item: Record<string, AttributeValue>, reading: SlotReading): ContainmentHold {
  const { nowSeconds, windowSeconds } = reading;
  const stated = Number(item.expiresAt?.N);
  // Number(undefined) is NaN: a missing expiry is unreadable too.
  const expiresAt = Number.isFinite(stated) ? stated : undefined;
  const acquiredAt = item.acquiredAt?.S;
  const writtenAt = acquiredAt !== undefined && WRITE_TIME.test(acquiredAt) ? Math.floor(Date.parse(acquiredAt) / 1000) : Number.NaN;
  const target = item.target?.S;
  const base = {
    slot,
    incidentKey: item.incidentKey?.S ?? '(unknown)',
    ...(target !== undefined ? { target } : {}),
    ...(acquiredAt !== undefined ? { acquiredAt } : {}),
  };
  if (Number.isFinite(writtenAt) && writtenAt <= nowSeconds + SLOT_CLOCK_SKEW_SECONDS) {
    return { ...base, expiresAt: Math.min(expiresAt ?? Number.POSITIVE_INFINITY, writtenAt + windowSeconds) };
  }
  if (expiresAt !== undefined && expiresAt <= nowSeconds + windowSeconds + SLOT_CLOCK_SKEW_SECONDS) return { ...base, expiresAt };
  return { ...base, expiresAt: 0, unbounded: true };
}

/** The slots of `holds` that counted for nothing, as the decisions report them (absent when none). */
function unboundedOf(holds: readonly ContainmentHold[]): { readonly unboundedSlots?: readonly number[] } {
  const slots = holds.filter((hold) => hold.unbounded === true).map((hold) => hold.slot).sort((a, b) => a - b);
  return slots.length > 0 ? { unboundedSlots: slots } : {};
}

/** The blast-radius limiter over the Firebreak state table. */
export class DynamoDbBlastRadiusLimiter implements BlastRadiusLimiter {
  private readonly policy: BlastRadiusPolicy;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    policy: BlastRadiusPolicy,
  ) {
    assertBlastRadiusPolicy(policy);
    this.policy = { maxContainments: policy.maxContainments, windowSeconds: policy.windowSeconds };
  }

  async preview(account: string, incidentKey: string, now: Date, pool: BlastRadiusPool = 'real', target?: string): Promise<BlastRadiusDecision> {
    const nowSeconds = epochSeconds(now);
    const holds = await this.readHolds(account, pool, nowSeconds);
    const unbounded = unboundedOf(holds);
    const plan = planAcquisition(holds, incidentKey, nowSeconds, this.policy.maxContainments, target);
    switch (plan.kind) {
      case 'already-held':
        return { ...grant(plan.hold, true, plan.active, this.policy), ...unbounded };
      case 'same-target':
        return { ...grant(plan.hold, false, plan.active, this.policy), sharedWith: plan.hold.incidentKey, ...unbounded };
      case 'full':
        return { ...denial(plan.active, this.policy, nowSeconds), ...unbounded };
      case 'try-slots': {
        const slot = plan.order[0] as number;
        const hold = { slot, incidentKey, ...(target !== undefined ? { target } : {}), acquiredAt: now.toISOString(), expiresAt: nowSeconds + this.policy.windowSeconds };
        return { ...grant(hold, false, plan.active, this.policy), ...unbounded };
      }
    }
  }

  async acquire(account: string, incidentKey: string, now: Date, pool: BlastRadiusPool = 'real', target?: string): Promise<BlastRadiusDecision> {
    const nowSeconds = epochSeconds(now);
    const holds = await this.readHolds(account, pool, nowSeconds);
    const unbounded = unboundedOf(holds);
    const plan = planAcquisition(holds, incidentKey, nowSeconds, this.policy.maxContainments, target);
    if (plan.kind === 'already-held') return { ...grant(plan.hold, true, plan.active, this.policy), ...unbounded };
    // Granted under the hold of the incident containing the same resource: no write, no new slot.
    if (plan.kind === 'same-target') return { ...grant(plan.hold, false, plan.active, this.policy), sharedWith: plan.hold.incidentKey, ...unbounded };
    if (plan.kind === 'full') return { ...denial(plan.active, this.policy, nowSeconds), ...unbounded };

    // Holds learnt since the read (from failed conditions), by slot.
    const known = new Map(plan.active.map((hold) => [hold.slot, hold]));
    for (const slot of plan.order) {
      const attempt = await this.tryTakeSlot(account, slot, incidentKey, now, nowSeconds, pool, target);
      if (attempt.taken) {
        const previous = attempt.previous;
        // A concurrent run of the same incident took the slot first: still one slot for one incident.
        const alreadyHeld = previous?.incidentKey === incidentKey && previous.target === target && previous.expiresAt > nowSeconds;
        return { ...grant(attempt.hold, alreadyHeld, [...known.values()], this.policy), ...unbounded };
      }
      if (attempt.holder) known.set(slot, attempt.holder);
    }
    return {
      ...denial(
        [...known.values()].filter((hold) => hold.expiresAt > nowSeconds),
        this.policy,
        nowSeconds,
      ),
      ...unbounded,
    };
  }

  /** One conditional put on one slot. */
  private async tryTakeSlot(
    account: string,
    slot: number,
    incidentKey: string,
    now: Date,
    nowSeconds: number,
    pool: BlastRadiusPool,
    target: string | undefined,
  ): Promise<
    | { readonly taken: true; readonly hold: ContainmentHold; readonly previous?: ContainmentHold }
    | { readonly taken: false; readonly holder?: ContainmentHold }
  > {
    const windowSeconds = this.policy.windowSeconds;
    const expiresAt = nowSeconds + windowSeconds;
    const acquiredAt = now.toISOString();
    const reading: SlotReading = { nowSeconds, windowSeconds };
    try {
      const output = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: blastRadiusSlotKey(account, slot, pool) },
            expiresAt: { N: String(expiresAt) },
            incidentKey: { S: incidentKey },
            ...(target !== undefined ? { target: { S: target } } : {}),
            acquiredAt: { S: acquiredAt },
            [BLAST_RADIUS_TTL_ATTRIBUTE]: { N: String(expiresAt) },
          },
          // Free, expired, or already this incident's for this resource (a concurrent run of the
          // same incident: never another resource under its key, which is the execution's claim); or
          // held no longer by the bounds `holdFromItem` reads: written a window ago or more
          // (`acquiredAt` strings in the limiter's own format sort as times), an expiry beyond a
          // window and the skew from now, or none readable. A hold the limiter wrote meets none of
          // these while it counts.
          ConditionExpression: `attribute_not_exists(pk) OR expiresAt <= :now OR (incidentKey = :incidentKey AND ${target !== undefined ? 'target = :target' : 'attribute_not_exists(target)'}) OR acquiredAt < :windowStart OR expiresAt > :latestExpiry OR NOT attribute_type(expiresAt, :number)`,
          ExpressionAttributeValues: {
            ':now': { N: String(nowSeconds) },
            ':incidentKey': { S: incidentKey },
            ...(target !== undefined ? { ':target': { S: target } } : {}),
            // floor(written) + W <= now exactly when the write time comes before (now - W + 1) s.
            ':windowStart': { S: new Date((nowSeconds - windowSeconds + 1) * 1000).toISOString() },
            ':latestExpiry': { N: String(nowSeconds + windowSeconds + SLOT_CLOCK_SKEW_SECONDS) },
            ':number': { S: 'N' },
          },
          ReturnValues: 'ALL_OLD',
          // Tells us who holds the slot when we lose, without a second read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const hold: ContainmentHold = { slot, incidentKey, ...(target !== undefined ? { target } : {}), acquiredAt, expiresAt };
      return output.Attributes ? { taken: true, hold, previous: holdFromItem(slot, output.Attributes, reading) } : { taken: true, hold };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as { name?: unknown }).name === 'ConditionalCheckFailedException') {
        const item = itemOfConditionFailure(error);
        return item ? { taken: false, holder: holdFromItem(slot, item, reading) } : { taken: false };
      }
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }

  /** Every slot of the account, read consistently (a stale replica could hide a fresh hold). */
  private async readHolds(account: string, pool: BlastRadiusPool, nowSeconds: number): Promise<ContainmentHold[]> {
    const keys = Array.from({ length: this.policy.maxContainments }, (_, slot) => blastRadiusSlotKey(account, slot, pool));
    let output;
    try {
      output = await this.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.tableName]: { Keys: keys.map((pk) => ({ pk: { S: pk } })), ConsistentRead: true },
          },
        }),
      );
    } catch (error) {
      throw toResponderError(error, 'dynamodb:BatchGetItem');
    }
    // BatchGetItem answers with UnprocessedKeys instead of an error when throttled
    // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html):
    // let the state machine's retry back off rather than decide on a partial picture.
    const unprocessed = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    if (unprocessed.length > 0) {
      throw new TransientResponderError(
        `dynamodb:BatchGetItem left ${unprocessed.length} blast-radius slot(s) of account ${account} unprocessed (throttled)`,
      );
    }
    const holds: ContainmentHold[] = [];
    for (const item of output.Responses?.[this.tableName] ?? []) {
      const slot = keys.indexOf(item.pk?.S ?? '');
      if (slot >= 0) holds.push(holdFromItem(slot, item, { nowSeconds, windowSeconds: this.policy.windowSeconds }));
    }
    return holds;
  }
}
