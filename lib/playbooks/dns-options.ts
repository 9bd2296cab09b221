/**
 * The options of the DNS Firewall steps (block-dns-domain, unblock-dns-domains), apart from their
 * registry entries (dns-actions.ts): a responder imports only its schema, not the entries'
 * descriptions and IAM action lists, which esbuild keeps in any bundle that imports their module
 * (they read RESPONDER_NAMES, a property access it cannot prove free of side effects).
 * docs/architecture.md, "Lean Lambda bundles".
 */
import * as z from '../contracts/zod-mini';

export const blockDnsDomainOptions = z.strictObject({
  /**
   * What DNS Firewall answers a blocked query: NXDOMAIN (default: the name does not exist) or
   * NODATA (it exists, with no record of that type).
   */
  blockResponse: z._default(z.enum(['NXDOMAIN', 'NODATA']), 'NXDOMAIN'),
  /**
   * The priority of Firebreak's rule group among the VPC's rule groups (lowest first, unique per
   * VPC, 100 to 9900 as DNS Firewall allows). Default 100: before any other group's ALLOW rules.
   */
  associationPriority: z._default(z.number().check(z.int(), z.gte(100), z.lte(9900)), 100),
});

export const unblockDnsDomainsOptions = z.strictObject({
  /**
   * Which blocks the step takes back: `released-instance` (default; the release playbook) every
   * block of the released instance's incidents; `requested-domain` (the unblock-dns-domain
   * playbook, started by `firebreak dns unblock`) the one domain the request names, for the
   * incident and instance that claim it, refused when no incident blocks it or another open
   * incident still does (unless the request says `force`, which is recorded).
   */
  target: z._default(z.enum(['released-instance', 'requested-domain']), 'released-instance'),
});
