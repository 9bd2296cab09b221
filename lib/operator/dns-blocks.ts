/**
 * `firebreak dns list`: the DNS Firewall blocks Firebreak holds, read from the state table's
 * `dnsblock#` items (lib/responders/dns-block-records.ts), with the incidents and instances that
 * claim each. Read-only: a block is taken back by the release of the instances that claim it
 * (the release playbook's `unblock-dns-domains` step), which keeps a domain blocked while another
 * open incident still claims it, or by `firebreak dns unblock` (lib/operator/dns-unblock.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { STATE_KEY_PREFIX } from '../contracts/security';
import type { DnsBlockEntry } from '../responders/dns-block-records';
import { dnsBlockEntryOf } from '../responders/dns-block-records';
import { callError, setupError } from './aws';
import { spacedField, terminalLine } from '../responders/untrusted-text';

/** The exact Scan input of one page: only `dnsblock#` items, only their key and claims. */
export function dnsBlockScanInput(tableName: string, exclusiveStartKey?: Record<string, { S: string }>) {
  return {
    TableName: tableName,
    FilterExpression: 'begins_with(pk, :prefix)',
    ProjectionExpression: 'pk, claims',
    ExpressionAttributeValues: { ':prefix': { S: STATE_KEY_PREFIX.dnsBlock } },
    ConsistentRead: true,
    ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
  };
}

/** Every domain an open incident blocks, sorted by account, region and domain. */
export async function listDnsBlocks(dynamodb: DynamoDBClient, tableName: string): Promise<DnsBlockEntry[]> {
  const entries: DnsBlockEntry[] = [];
  let start: Record<string, { S: string }> | undefined;
  do {
    let page;
    try {
      page = await dynamodb.send(new ScanCommand(dnsBlockScanInput(tableName, start)));
    } catch (error) {
      throw callError(error, 'dynamodb:Scan', setupError);
    }
    for (const item of page.Items ?? []) {
      const entry = dnsBlockEntryOf(item.pk?.S ?? '', item.claims?.SS);
      if (entry) entries.push(entry);
    }
    start = page.LastEvaluatedKey as Record<string, { S: string }> | undefined;
  } while (start !== undefined);
  return entries.sort((a, b) => `${a.account} ${a.region} ${a.domain}`.localeCompare(`${b.account} ${b.region} ${b.domain}`));
}

/** The text of `firebreak dns list` (pure), one line per block whatever a stored claim holds (`terminalLine`). */
export function formatDnsBlocks(entries: readonly DnsBlockEntry[], stackName: string): string[] {
  if (entries.length === 0) return [`No domain is blocked by ${stackName}'s DNS Firewall rule groups.`];
  const lines = entries.map((entry) =>
    // The domain is the stored item's key: one run of spaces in it would pad the claims to a screen line of their own (row 14i).
    terminalLine(`${spacedField(entry.domain)} (and its subdomains) in ${entry.account}/${entry.region}: claimed by ${entry.claims.map((claim) => `incident ${claim.incidentKey} on ${claim.instanceId}`).join(', ')}`),
  );
  return [
    ...lines,
    '',
    'A block is taken back when every instance that claims it is released (`firebreak release --instance ID`), or by `firebreak dns unblock DOMAIN --account ID --region R --reason TEXT`; a domain another open incident still claims stays blocked (unless --force).',
  ];
}
