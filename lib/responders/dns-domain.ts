/**
 * Which domain names block-dns-domain may block (pure). The domain comes from a GuardDuty finding
 * (`service.action.dnsRequestAction.domain`): the instance under the attacker's control chose what
 * to query, so the name is attacker-influenced text. Blocking it must never become a way to cut
 * the deployment off from its own services: a finding that names `amazonaws.com`, the
 * organization's domain, one of their subdomains or one of their parents (a block of `com` or of
 * `example.com` would take `api.example.com` with it) is refused, and so are public suffixes
 * (`co.uk`, `cloudfront.net`: a block would take every name registered under them) and anything
 * that is not a plain DNS name DNS Firewall can hold (a single label, a wildcard, an IP address, characters
 * outside A–Z, 0–9 and hyphen:
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_UpdateFirewallDomains.html).
 */
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { FirebreakError } from '../contracts/errors';

/**
 * Domains never blocked, whatever the deployment's own list says: AWS's service endpoints (every
 * SDK call, the metadata-less credential paths, SSM), the Amazon Trust Services certificate
 * endpoints, and the names the VPC resolver answers for instances
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html#vpc-dns-hostnames). Every partition
 * Firebreak serves (member-role.ts partitionForRegion, caller-proof.ts PARTITION_DOMAINS), not only
 * those under amazonaws.com: the endpoint suffixes of the SDK's partitions.json (dnsSuffix and
 * dualStackDnsSuffix: China's dual-stack api.amazonwebservices.com.cn, the ISO partitions', the
 * European Sovereign Cloud's) and China's console and sign-in host (amazonaws.cn) (row 16zb). The
 * dual-stack suffixes are those of the SDK's current partitions.json, not the older one Firebreak
 * bundles (which gives the ISO partitions their dnsSuffix again and has no aws-eusc): an SDK on an
 * instance set to use dual-stack endpoints reaches every API of those partitions under them (row 16zd).
 */
export const BUILT_IN_DNS_ALLOWLIST: readonly string[] = [
  'amazonaws.com',
  'amazonaws.com.cn',
  'api.amazonwebservices.com.cn',
  'amazonaws.cn',
  'amazonaws-us-gov.com',
  'amazonaws.eu',
  'api.amazonwebservices.eu',
  'c2s.ic.gov',
  'api.aws.ic.gov',
  'sc2s.sgov.gov',
  'api.aws.scloud',
  'cloud.adc-e.uk',
  'api.cloud-aws.adc-e.uk',
  'csp.hci.ic.gov',
  'api.aws.hci.ic.gov',
  'api.aws',
  'on.aws',
  // IAM Identity Center's sign-in, AWS's host for every organization (`<region>.signin.aws/platform/…`) (row 16ze).
  'signin.aws',
  'aws.amazon.com',
  'amazontrust.com',
  'compute.internal',
  'ec2.internal',
];

/**
 * Public suffixes (https://publicsuffix.org/) where anyone registers a name, refused themselves (a
 * block of one and `*.` it cuts every name under it, not the attacker's alone) while their
 * subdomains stay blockable: AWS's shared hosting domains, a few other platforms', and, by their
 * shape, `<generic label>.<country code>` (`co.uk`, `com.au`, `gov.uk`). Not the whole list, which
 * Firebreak does not ship: the deployment's `dnsAllowlist` protects what it lacks.
 */
const SHARED_SUFFIXES = new Set([
  'cloudfront.net', 'amazoncognito.com', 'awsapps.com', 'elasticbeanstalk.com', 'awsglobalaccelerator.com', 'amplifyapp.com',
  'awsapprunner.com', 'github.io', 'githubusercontent.com', 'herokuapp.com', 'azurewebsites.net', 'cloudapp.net', 'appspot.com', 'web.app',
  'firebaseapp.com', 'vercel.app', 'netlify.app', 'pages.dev', 'workers.dev', 'blogspot.com',
  // Parents of AWS's regional and wildcard suffixes below (row 6y): a block of one takes every suffix under it.
  'sagemaker.aws', 'sagemaker.com.cn', 'private.repost.aws', 'repost.aws',
  // IAM Identity Center's dual-stack access portals, `ssoins-<instance>.portal.<region>.app.aws` (row 16ze).
  'app.aws', 'app.amazonwebservices.com.cn',
]);
const COUNTRY_SECOND_LEVEL = new Set(['ac', 'co', 'com', 'edu', 'gov', 'gob', 'go', 'mil', 'net', 'ne', 'nic', 'or', 'org', 'ltd', 'plc', 'sch', 'nhs']);

/**
 * AWS's shared suffixes that are public per Region too (publicsuffix.org: `<region>.elasticbeanstalk.com`,
 * `auth.<region>.amazoncognito.com` and `auth-fips.…`, `*.awsapprunner.com`, `notebook.<region>.sagemaker.aws`
 * and `notebook-fips.…`, `studio.…`, `studio-fips.…`, `labeling.…`, `notebook.<region>.sagemaker.com.cn`),
 * with the labels that may stand before the Region. A block of one, or of its Region alone, cuts every
 * environment, hosted sign-in page, service, notebook, Studio domain or access portal of that Region (rows 6u, 6y, 16ze:
 * `portal.<region>.app.aws`, IAM Identity Center's dual-stack portals, and China's under app.amazonwebservices.com.cn); the
 * names registered under them stay blockable. (What AWS lists under amazonaws.com and on.aws is allowlisted.)
 */
const REGIONAL_SHARED_SUFFIXES: ReadonlyMap<string, readonly string[]> = new Map([
  ['elasticbeanstalk.com', []],
  ['awsapprunner.com', []],
  ['amazoncognito.com', ['auth', 'auth-fips']],
  ['sagemaker.aws', ['notebook', 'notebook-fips', 'studio', 'studio-fips', 'labeling']],
  ['sagemaker.com.cn', ['notebook']],
  ['app.aws', ['portal']],
  ['app.amazonwebservices.com.cn', ['portal']],
]);
/** AWS's wildcard suffixes (publicsuffix.org `*.<suffix>`): any one label under them is a public suffix (row 6y). */
const WILDCARD_SHARED_SUFFIXES: readonly string[] = ['awsapprunner.com', 'private.repost.aws'];
/** An AWS Region's code (`us-east-1`, `us-gov-west-1`, `us-isob-east-1`). */
const REGION_LABEL = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

function isRegionalSuffix(labels: readonly string[]): boolean {
  if (WILDCARD_SHARED_SUFFIXES.includes(labels.slice(1).join('.'))) return true;
  for (const [suffix, prefixes] of REGIONAL_SHARED_SUFFIXES) {
    const suffixLabels = suffix.split('.').length;
    if (labels.length <= suffixLabels || labels.slice(-suffixLabels).join('.') !== suffix) continue;
    const below = labels.slice(0, -suffixLabels);
    const region = below[below.length - 1]!;
    if (!REGION_LABEL.test(region)) return false;
    return below.length === 1 || (below.length === 2 && prefixes.includes(below[0]!));
  }
  return false;
}

function isPublicSuffix(labels: readonly string[]): boolean {
  if (SHARED_SUFFIXES.has(labels.join('.')) || isRegionalSuffix(labels)) return true;
  return labels.length === 2 && /^[a-z]{2}$/.test(labels[1]!) && COUNTRY_SECOND_LEVEL.has(labels[0]!);
}

/** Why a name is not blocked. */
export type DomainRefusalCode = 'not-a-dns-name' | 'single-label' | 'wildcard' | 'ip-address' | 'public-suffix' | 'allowlisted' | 'parent-of-allowlisted';

export type DomainCheck =
  | { readonly blockable: true; readonly domain: string }
  | { readonly blockable: false; readonly code: DomainRefusalCode; readonly reason: string };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_NAME = 253;
const NOT_ASCII = /[^\p{ASCII}]/u;

/** The name in canonical form (lowercase, one trailing dot dropped), without judging it. */
export function canonicalDomain(raw: string): string {
  const lower = raw.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True when `name` is `ancestor` or one of its subdomains. */
export function isSameOrSubdomain(name: string, ancestor: string): boolean {
  return name === ancestor || name.endsWith(`.${ancestor}`);
}

/**
 * Parses a deployment allowlist entry (the deployment's own text, but checked all the same: a
 * mistyped entry must fail the synth, not protect nothing). Throws naming the entry.
 */
export function parseAllowlistEntry(entry: string): string {
  const domain = canonicalDomain(entry);
  const labels = domain.split('.');
  if (domain.length === 0 || domain.length > MAX_NAME || !labels.every((label) => LABEL.test(label))) {
    throw new Error(`DNS allowlist entry '${entry}' is not a domain name (letters, digits and hyphens in dot-separated labels)`);
  }
  return domain;
}

/** Whether `raw` may be blocked, given the deployment's allowlist (pure). */
export function checkBlockableDomain(raw: string, deploymentAllowlist: readonly string[]): DomainCheck {
  const quoted = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
  const refuse = (code: DomainRefusalCode, why: string): DomainCheck => ({ blockable: false, code, reason: `${quoted} is not blocked: ${why}` });
  // Judged before lowercasing: U+212A KELVIN SIGN lowercases to `k`, and the name blocked would not be the one named.
  if (NOT_ASCII.test(raw)) return refuse('not-a-dns-name', 'a DNS Firewall domain is ASCII (an internationalized name is written in punycode, xn--)');
  const domain = canonicalDomain(raw);
  if (domain.includes('*')) return refuse('wildcard', 'it holds a wildcard; Firebreak blocks the name a finding names and its subdomains, never a pattern it did not choose');
  if (domain.length === 0 || domain.length > MAX_NAME) return refuse('not-a-dns-name', `a DNS name has 1 to ${MAX_NAME} characters`);
  const labels = domain.split('.');
  if (!labels.every((label) => LABEL.test(label))) {
    return refuse('not-a-dns-name', 'a DNS Firewall domain has dot-separated labels of letters, digits and inner hyphens only');
  }
  if (labels.length < 2) return refuse('single-label', 'a single label is a top-level domain or a local name, and blocking it would block everything under it');
  if (/^\d+$/.test(labels[labels.length - 1]!)) return refuse('ip-address', 'it is an IP address (or ends in a numeric label), not a domain name');
  const allowlist = [...BUILT_IN_DNS_ALLOWLIST, ...deploymentAllowlist.map(canonicalDomain)];
  const protectedBy = allowlist.find((allowed) => isSameOrSubdomain(domain, allowed));
  if (protectedBy !== undefined) return refuse('allowlisted', `it is ${protectedBy === domain ? '' : 'under '}${protectedBy}, on the deployment's DNS allowlist`);
  const parentOf = allowlist.find((allowed) => isSameOrSubdomain(allowed, domain));
  if (parentOf !== undefined) return refuse('parent-of-allowlisted', `blocking it and its subdomains would block ${parentOf}, on the deployment's DNS allowlist`);
  if (isPublicSuffix(labels)) return refuse('public-suffix', 'it is a public suffix, under which anyone registers names: blocking it and its subdomains would block every one of them');
  return { blockable: true, domain };
}

/** The DNS Firewall entries that block a domain and every name under it. */
export function blockEntries(domain: string): [string, string] {
  return [domain, `*.${domain}`];
}

/** The deployment's DNS allowlist cannot be read: no domain is blocked until it is fixed. */
export class DnsAllowlistInvalidError extends FirebreakError {
  override readonly name = 'DnsAllowlistInvalidError';
}

/** The deployment's own allowlist (FIREBREAK_DNS_ALLOWLIST), every entry checked: one bad entry fails the step. */
export function deploymentDnsAllowlist(environment: Readonly<Record<string, string | undefined>>): string[] {
  const raw = environment[DEPLOYMENT_ENV.dnsAllowlist] ?? '';
  try {
    return raw
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0)
      .map(parseAllowlistEntry);
  } catch (error) {
    throw new DnsAllowlistInvalidError(`${DEPLOYMENT_ENV.dnsAllowlist}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
