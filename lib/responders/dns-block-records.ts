/**
 * Who blocks a domain. DNS Firewall holds one Firebreak domain list per account and region; several
 * incidents (on several instances) may name the same domain, and a release or an operator must
 * never unblock a domain another open incident still blocks. Each block is a claim
 * (`<instanceId> <incidentKey>`) in a string set on the domain's item of the state table, added
 * before the domain goes into the list and removed before it leaves, with an index per instance so
 * a release finds its instance's blocks. ADD and DELETE on a string set are atomic in DynamoDB, so
 * concurrent incidents cannot lose each other's claims
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD).
 * Each claim also stamps the domain's item with its time (`lastClaimAt`, the same claim written again
 * by a new execution of its incident included): `firebreak dns unblock` removes nothing claimed after
 * the guard cleared it, since its approver was asked before that block.
 * The domain's item also says which of its DNS Firewall entries Firebreak put in the list
 * (`addedEntries`, written before the ADD) and which a block found listed when Firebreak had neither
 * added them nor any other incident claimed the domain (`keptEntries`: a person's, blocked by hand):
 * an item a block claimed since then says so (`entriesTracked`, with the claim, before any firewall
 * change), and an unblock removes only its `addedEntries`, so Firebreak never takes out a block it did
 * not make (docs/security.md row 6t). An item claimed before then tracks nothing: its entries are removed
 * as before, but those kept.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { toResponderError } from '../aws/errors';
import { STATE_KEY_PREFIX } from '../contracts/security';

/** One open block of a domain: the instance and the incident that asked for it. */
export interface DnsBlockClaim {
  readonly instanceId: string;
  readonly incidentKey: string;
}

/** The open claims on a domain, and when it was last claimed (absent on an item written before the stamp). */
export interface DnsClaimState {
  readonly claims: readonly DnsBlockClaim[];
  readonly lastClaimAt?: string;
  /** The domain's list entries Firebreak added (empty on an item written before row 6t). */
  readonly addedEntries: readonly string[];
  /** The domain's list entries found listed before any incident blocked it, which an unblock leaves. */
  readonly keptEntries: readonly string[];
  /** True once a block claimed the domain with its time: `addedEntries` is then all Firebreak listed (row 6t). */
  readonly entriesTracked: boolean;
  /**
   * The claims made by a block that records its additions before it sends them (with the claim, row 6w):
   * what such a block listed is in `addedEntries` by the time it is listed. A claim not among them was
   * made before additions were recorded, and its block's entries may be listed without being recorded.
   */
  readonly trackedClaims: readonly DnsBlockClaim[];
}

/** What became of some of a domain's list entries: `added` by Firebreak, `kept` (listed by someone else), `removed` by Firebreak. */
export type DnsEntriesChange = 'added' | 'kept' | 'removed';

/** Where claims live. */
export interface DnsBlockStore {
  /** Records that `claim` blocks `domain` (idempotent), and, with `at` (block-dns-domain always passes it), when, marking the item as tracking its entries. */
  claim(account: string, region: string, domain: string, claim: DnsBlockClaim, at?: string): Promise<void>;
  /** The open claims on a domain, when it was last claimed and whose its list entries are (one consistent read). */
  claimStateOf(account: string, region: string, domain: string): Promise<DnsClaimState>;
  /** Records what became of some of the domain's list entries (atomic string-set updates). */
  recordEntries(account: string, region: string, domain: string, change: DnsEntriesChange, entries: readonly string[]): Promise<void>;
  /**
   * Drops the claim (from `trackedClaims` too, in the same update); answers the claims still open on the domain. With `keepInstanceIndex`, the
   * instance's index keeps the block, so a retry still finds it (a later release without it drops both).
   */
  release(account: string, region: string, domain: string, claim: DnsBlockClaim, options?: { readonly keepInstanceIndex?: boolean }): Promise<readonly DnsBlockClaim[]>;
  /** Takes the block out of the instance's index only (its claim dropped earlier with `keepInstanceIndex`). */
  dropInstanceIndex(account: string, region: string, domain: string, claim: DnsBlockClaim): Promise<void>;
  /** The open claims on a domain. */
  claimsOf(account: string, region: string, domain: string): Promise<readonly DnsBlockClaim[]>;
  /** The domains the instance's incidents block, with the incident of each. */
  blocksOfInstance(account: string, region: string, instanceId: string): Promise<readonly { readonly domain: string; readonly incidentKey: string }[]>;
}

/**
 * Sends the ADD of entries just recorded as Firebreak's (`addedEntries`, before the ADD, row 6t). When the
 * ADD fails, what the list does not hold (read again) is taken back out of `addedEntries`, then the failure
 * goes on (the step fails, is retried, and is alerted): an entry a person lists afterwards (the on-call
 * blocking by hand the domain Firebreak failed to block) is never taken for Firebreak's, and no release
 * or unblock removes it (row 6za). An entry listed by then (this ADD went through after all, or another
 * incident's block added it) stays Firebreak's; a list that cannot be read again is taken to hold none of
 * them. A table that fails again leaves the record as it is (the ADD's own failure is what the step reports).
 */
export async function addRecordedEntries<T>(
  blocks: DnsBlockStore,
  target: { readonly account: string; readonly region: string },
  domain: string,
  entries: readonly string[],
  add: () => Promise<T>,
  listed: () => Promise<ReadonlySet<string>>,
): Promise<T> {
  try {
    return await add();
  } catch (error) {
    // A list that cannot be read again (throttled too) is taken to hold none of them: at worst an entry this
    // ADD did list stays in the list unrecorded, and no release removes it (blocked, never a person's block lost).
    const now = await listed().catch(() => new Set<string>());
    await blocks.recordEntries(target.account, target.region, domain, 'removed', entries.filter((entry) => !now.has(entry))).catch(() => undefined);
    throw error;
  }
}

/** Whether two claims are one: the same instance's block for the same incident. */
export const sameClaim = (a: DnsBlockClaim, b: DnsBlockClaim): boolean => a.instanceId === b.instanceId && a.incidentKey === b.incidentKey;

export const dnsBlockKey = (account: string, region: string, domain: string): string => `${STATE_KEY_PREFIX.dnsBlock}${account}#${region}#${domain}`;
export const dnsBlockInstanceKey = (account: string, region: string, instanceId: string): string =>
  `${STATE_KEY_PREFIX.dnsBlockByInstance}${account}#${region}#${instanceId}`;

/** One domain's open blocks, as the state table holds them (what `firebreak dns list` shows). */
export interface DnsBlockEntry {
  readonly account: string;
  readonly region: string;
  readonly domain: string;
  readonly claims: readonly DnsBlockClaim[];
}

/**
 * A `dnsblock#<account>#<region>#<domain>` item read back (pure): undefined for another key, a
 * malformed one, or a domain no open incident claims any more (its claims all dropped).
 */
export function dnsBlockEntryOf(pk: string, claims: readonly string[] | undefined): DnsBlockEntry | undefined {
  if (!pk.startsWith(STATE_KEY_PREFIX.dnsBlock)) return undefined;
  const [account, region, domain, extra] = pk.slice(STATE_KEY_PREFIX.dnsBlock.length).split('#');
  if (!account || !region || !domain || extra !== undefined) return undefined;
  const decoded = decodeAll(claims, decodeClaim);
  return decoded.length > 0 ? { account, region, domain, claims: decoded } : undefined;
}

/** Neither part holds a space: instance ids and incident keys are `[A-Za-z0-9-_]`, domains have no space. */
const encodeClaim = (claim: DnsBlockClaim): string => `${claim.instanceId} ${claim.incidentKey}`;
const decodeClaim = (text: string): DnsBlockClaim | undefined => {
  const [instanceId, incidentKey, extra] = text.split(' ');
  return instanceId && incidentKey && extra === undefined ? { instanceId, incidentKey } : undefined;
};
const encodeBlock = (domain: string, incidentKey: string): string => `${domain} ${incidentKey}`;
const decodeBlock = (text: string): { domain: string; incidentKey: string } | undefined => {
  const [domain, incidentKey, extra] = text.split(' ');
  return domain && incidentKey && extra === undefined ? { domain, incidentKey } : undefined;
};
const decodeAll = <T>(texts: readonly string[] | undefined, decode: (text: string) => T | undefined): T[] =>
  (texts ?? []).flatMap((text) => {
    const decoded = decode(text);
    return decoded === undefined ? [] : [decoded];
  });

/** In-process store (tests, the local game day): same semantics. */
export class InMemoryDnsBlockStore implements DnsBlockStore {
  private readonly sets = new Map<string, Set<string>>();
  private readonly lastClaims = new Map<string, string>();
  private readonly added = new Map<string, Set<string>>();
  private readonly kept = new Map<string, Set<string>>();
  private readonly tracked = new Set<string>();
  private readonly trackedClaims = new Map<string, Set<string>>();

  async claim(account: string, region: string, domain: string, claim: DnsBlockClaim, at?: string): Promise<void> {
    const key = dnsBlockKey(account, region, domain);
    this.set(key).add(encodeClaim(claim));
    if (at !== undefined) {
      this.lastClaims.set(key, at);
      this.tracked.add(key);
      this.set(key, this.trackedClaims).add(encodeClaim(claim));
    }
    this.set(dnsBlockInstanceKey(account, region, claim.instanceId)).add(encodeBlock(domain, claim.incidentKey));
  }

  async release(account: string, region: string, domain: string, claim: DnsBlockClaim, options?: { readonly keepInstanceIndex?: boolean }): Promise<readonly DnsBlockClaim[]> {
    const claims = this.set(dnsBlockKey(account, region, domain));
    claims.delete(encodeClaim(claim));
    this.trackedClaims.get(dnsBlockKey(account, region, domain))?.delete(encodeClaim(claim));
    if (options?.keepInstanceIndex !== true) await this.dropInstanceIndex(account, region, domain, claim);
    return decodeAll([...claims], decodeClaim);
  }

  async dropInstanceIndex(account: string, region: string, domain: string, claim: DnsBlockClaim): Promise<void> {
    this.set(dnsBlockInstanceKey(account, region, claim.instanceId)).delete(encodeBlock(domain, claim.incidentKey));
  }

  async claimsOf(account: string, region: string, domain: string): Promise<readonly DnsBlockClaim[]> {
    return decodeAll([...this.set(dnsBlockKey(account, region, domain))], decodeClaim);
  }

  async claimStateOf(account: string, region: string, domain: string): Promise<DnsClaimState> {
    const key = dnsBlockKey(account, region, domain);
    const lastClaimAt = this.lastClaims.get(key);
    return {
      claims: await this.claimsOf(account, region, domain),
      ...(lastClaimAt !== undefined ? { lastClaimAt } : {}),
      addedEntries: [...(this.added.get(key) ?? [])],
      keptEntries: [...(this.kept.get(key) ?? [])],
      entriesTracked: this.tracked.has(key),
      trackedClaims: decodeAll([...(this.trackedClaims.get(key) ?? [])], decodeClaim),
    };
  }

  async recordEntries(account: string, region: string, domain: string, change: DnsEntriesChange, entries: readonly string[]): Promise<void> {
    const key = dnsBlockKey(account, region, domain);
    for (const entry of entries) {
      if (change === 'added') {
        this.set(key, this.added).add(entry);
        this.set(key, this.kept).delete(entry);
      } else if (change === 'kept') this.set(key, this.kept).add(entry);
      else this.set(key, this.added).delete(entry);
    }
  }

  async blocksOfInstance(account: string, region: string, instanceId: string): Promise<readonly { domain: string; incidentKey: string }[]> {
    return decodeAll([...this.set(dnsBlockInstanceKey(account, region, instanceId))], decodeBlock);
  }

  /** The set at `key` of `sets` (the claims and instance indexes by default), made empty when there is none. */
  private set(key: string, sets: Map<string, Set<string>> = this.sets): Set<string> {
    let set = sets.get(key);
    if (!set) {
      set = new Set();
      sets.set(key, set);
    }
    return set;
  }
}

/** The instance's index of blocks (`blocks` on `dnsblock-instance#…`), one consistent GetItem. */
async function readInstanceBlocks(client: DynamoDBClient, tableName: string, account: string, region: string, instanceId: string): Promise<readonly { domain: string; incidentKey: string }[]> {
  let item;
  try {
    ({ Item: item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: dnsBlockInstanceKey(account, region, instanceId) } }, ConsistentRead: true })));
  } catch (error) {
    throw toResponderError(error, 'dynamodb:GetItem');
  }
  return decodeAll(item?.blocks?.SS, decodeBlock);
}

/**
 * The instance's index only, read only: the containment guard's adapter (a release's approval
 * request names the blocks it lifts, row 5r), so that its bundle carries no claim or release call.
 */
export class DynamoDbDnsBlockIndex implements Pick<DnsBlockStore, 'blocksOfInstance'> {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  blocksOfInstance(account: string, region: string, instanceId: string): Promise<readonly { domain: string; incidentKey: string }[]> {
    return readInstanceBlocks(this.client, this.tableName, account, region, instanceId);
  }
}

/** The state table adapter: two string sets, `claims` on the domain's item and `blocks` on the instance's. */
export class DynamoDbDnsBlockStore implements DnsBlockStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(account: string, region: string, domain: string, claim: DnsBlockClaim, at?: string): Promise<void> {
    await this.update(dnsBlockKey(account, region, domain), at !== undefined ? 'SET lastClaimAt = :at, entriesTracked = :tracked ADD claims :value, trackedClaims :value' : 'ADD claims :value', encodeClaim(claim), undefined, at);
    await this.update(dnsBlockInstanceKey(account, region, claim.instanceId), 'ADD blocks :value', encodeBlock(domain, claim.incidentKey));
  }

  async release(account: string, region: string, domain: string, claim: DnsBlockClaim, options?: { readonly keepInstanceIndex?: boolean }): Promise<readonly DnsBlockClaim[]> {
    // The claim leaves trackedClaims with claims (row 6z): only an open claim is ever looked up there, and
    // an item keeping every claim ever made on its domain would grow to DynamoDB's 400 KB and refuse every block.
    const remaining = await this.update(dnsBlockKey(account, region, domain), 'DELETE claims :value, trackedClaims :value', encodeClaim(claim), 'claims');
    if (options?.keepInstanceIndex !== true) await this.dropInstanceIndex(account, region, domain, claim);
    return decodeAll(remaining, decodeClaim);
  }

  async dropInstanceIndex(account: string, region: string, domain: string, claim: DnsBlockClaim): Promise<void> {
    await this.update(dnsBlockInstanceKey(account, region, claim.instanceId), 'DELETE blocks :value', encodeBlock(domain, claim.incidentKey));
  }

  async claimsOf(account: string, region: string, domain: string): Promise<readonly DnsBlockClaim[]> {
    return decodeAll((await this.item(dnsBlockKey(account, region, domain)))?.claims?.SS, decodeClaim);
  }

  async claimStateOf(account: string, region: string, domain: string): Promise<DnsClaimState> {
    const item = await this.item(dnsBlockKey(account, region, domain));
    const lastClaimAt = item?.lastClaimAt?.S;
    return {
      claims: decodeAll(item?.claims?.SS, decodeClaim),
      ...(lastClaimAt !== undefined ? { lastClaimAt } : {}),
      addedEntries: item?.addedEntries?.SS ?? [],
      keptEntries: item?.keptEntries?.SS ?? [],
      entriesTracked: item?.entriesTracked?.BOOL === true,
      trackedClaims: decodeAll(item?.trackedClaims?.SS, decodeClaim),
    };
  }

  async recordEntries(account: string, region: string, domain: string, change: DnsEntriesChange, entries: readonly string[]): Promise<void> {
    if (entries.length === 0) return;
    // Added: Firebreak's now, whoever listed them before (a person took the hand block out, Firebreak put it back).
    const expression = { added: 'ADD addedEntries :entries DELETE keptEntries :entries', kept: 'ADD keptEntries :entries', removed: 'DELETE addedEntries :entries' }[change];
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: dnsBlockKey(account, region, domain) } },
          UpdateExpression: expression,
          ExpressionAttributeValues: { ':entries': { SS: [...entries] } },
        }),
      );
    } catch (error) {
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  blocksOfInstance(account: string, region: string, instanceId: string): Promise<readonly { domain: string; incidentKey: string }[]> {
    return readInstanceBlocks(this.client, this.tableName, account, region, instanceId);
  }

  private async update(pk: string, expression: string, value: string, returned?: 'claims', at?: string): Promise<readonly string[] | undefined> {
    try {
      const answer = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: pk } },
          UpdateExpression: expression,
          ExpressionAttributeValues: { ':value': { SS: [value] }, ...(at !== undefined ? { ':at': { S: at }, ':tracked': { BOOL: true } } : {}) },
          ...(returned ? { ReturnValues: 'ALL_NEW' as const } : {}),
        }),
      );
      return returned ? answer.Attributes?.[returned]?.SS : undefined;
    } catch (error) {
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  private async item(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }));
      return Item;
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
  }
}
