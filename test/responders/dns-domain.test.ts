import { describe, expect, it } from 'vitest';
import { BUILT_IN_DNS_ALLOWLIST, blockEntries, checkBlockableDomain, parseAllowlistEntry } from '../../lib/responders/dns-domain';

const ORG = ['example.org', 'corp.example.net'];

describe('checkBlockableDomain: the finding’s domain is attacker-influenced text', () => {
  it('blocks a plain multi-label name, canonical (lowercase, no trailing dot), with its subdomains', () => {
    expect(checkBlockableDomain('C2.Evil-Domain.com.', ORG)).toEqual({ blockable: true, domain: 'c2.evil-domain.com' });
    expect(blockEntries('c2.evil-domain.com')).toEqual(['c2.evil-domain.com', '*.c2.evil-domain.com']);
  });

  it.each([
    ['com', 'single-label'],
    ['localhost', 'single-label'],
    ['*.evil.com', 'wildcard'],
    ['evil.*', 'wildcard'],
    ['*', 'wildcard'],
    ['192.0.2.10', 'ip-address'],
    ['', 'not-a-dns-name'],
    ['evil..com', 'not-a-dns-name'],
    ['-evil.com', 'not-a-dns-name'],
    ['_dmarc.evil.com', 'not-a-dns-name'],
    ['evil.com/path', 'not-a-dns-name'],
    ['evil.com\nSubject: forged', 'not-a-dns-name'],
    [`${'a'.repeat(64)}.com`, 'not-a-dns-name'],
    [`${'a.'.repeat(130)}com`, 'not-a-dns-name'],
    ['s3.eu-west-1.amazonaws.com', 'allowlisted'],
    ['AmazonAWS.com', 'allowlisted'],
    ['ip-10-0-1-5.eu-west-1.compute.internal', 'allowlisted'],
    ['www.example.org', 'allowlisted'],
    ['example.org', 'allowlisted'],
    ['example.net', 'parent-of-allowlisted'],
    ['aws.amazon.com', 'allowlisted'],
    ['amazon.com', 'parent-of-allowlisted'],
    ['com.cn', 'parent-of-allowlisted'],
  ])('refuses %j (%s), saying why', (raw, code) => {
    const check = checkBlockableDomain(raw, ORG);
    expect(check).toMatchObject({ blockable: false, code });
    expect(check.blockable === false && check.reason).toMatch(/is not blocked: /);
  });

  // A public suffix is where anyone registers: blocking it (and `*.` it) blocks every domain
  // registered under it, never the attacker's alone. Its subdomains stay blockable.
  it.each(['co.uk', 'com.au', 'gov.uk', 'co.jp', 'com.br', 'CO.UK.', 'cloudfront.net', 'amazoncognito.com', 'awsapps.com', 'elasticbeanstalk.com', 'github.io', 'herokuapp.com'])(
    'ATTACK: refuses the public suffix %j, under which everyone registers',
    (raw) => {
      expect(checkBlockableDomain(raw, [])).toMatchObject({ blockable: false, code: 'public-suffix' });
    },
  );

  // AWS's regional suffixes under its shared ones are public suffixes too (publicsuffix.org lists
  // `<region>.elasticbeanstalk.com`, `auth.<region>.amazoncognito.com`, `*.awsapprunner.com`): a block
  // of one cuts every environment, hosted sign-in page or service of that Region, the organization's own.
  it.each([
    'us-east-1.elasticbeanstalk.com',
    'US-GOV-WEST-1.elasticbeanstalk.com.',
    'eu-west-1.amazoncognito.com',
    'auth.eu-west-1.amazoncognito.com',
    'auth-fips.us-east-1.amazoncognito.com',
    'awsapprunner.com',
    'ap-northeast-2.awsapprunner.com',
  ])('ATTACK (review-dns): refuses the regional public suffix %j of an AWS shared suffix (row 6u)', (raw) => {
    expect(checkBlockableDomain(raw, [])).toMatchObject({ blockable: false, code: 'public-suffix' });
  });

  it('still blocks an environment, a hosted sign-in domain or a service registered under a regional suffix (row 6u)', () => {
    for (const name of ['c2-env.eba-abc123.us-east-1.elasticbeanstalk.com', 'evil-env.us-east-1.elasticbeanstalk.com', 'evil.auth.eu-west-1.amazoncognito.com', 'x7cjecbsr4a.us-west-2.awsapprunner.com', 'legacy-env.elasticbeanstalk.com']) {
      expect(checkBlockableDomain(name, [])).toEqual({ blockable: true, domain: name });
    }
  });

  it.each([
    'notebook.us-east-1.sagemaker.aws',
    'notebook-fips.us-gov-west-1.sagemaker.aws',
    'studio.eu-west-1.sagemaker.aws',
    'studio-fips.us-gov-east-1.sagemaker.aws',
    'labeling.ap-northeast-1.sagemaker.aws',
    'us-east-1.sagemaker.aws',
    'sagemaker.aws',
    'notebook.cn-north-1.sagemaker.com.cn',
    'sagemaker.com.cn',
    'acme.private.repost.aws',
    'private.repost.aws',
    'repost.aws',
  ])('ATTACK (review-6t): refuses the AWS public suffix %j the regional list of row 6u lacked, or its parent (row 6y)', (raw) => {
    expect(checkBlockableDomain(raw, [])).toMatchObject({ blockable: false, code: 'public-suffix' });
  });

  it('still blocks a notebook, a Studio domain or a name registered under those suffixes (row 6y)', () => {
    for (const name of ['c2-nb.notebook.us-east-1.sagemaker.aws', 'd-abc123.studio.eu-west-1.sagemaker.aws', 'evil.acme.private.repost.aws', 'c2-nb.notebook.cn-north-1.sagemaker.com.cn']) {
      expect(checkBlockableDomain(name, [])).toEqual({ blockable: true, domain: name });
    }
  });

  it('ATTACK: never blocks a name the finding did not name, through case folding of a non-ASCII letter', () => {
    // U+212A KELVIN SIGN lowercases to an ASCII `k`: `\u212Aubernetes.io` would have blocked kubernetes.io.
    expect(checkBlockableDomain('\u212Aubernetes.io', [])).toMatchObject({ blockable: false, code: 'not-a-dns-name' });
    expect(checkBlockableDomain('\u0430mazonaws.com', [])).toMatchObject({ blockable: false, code: 'not-a-dns-name' });
  });

  it('tried (review-dns): the AWS service domain spelt with a trailing dot, in capitals, with surrounding whitespace, with two trailing dots, or with a control character is never blocked', () => {
    for (const raw of ['amazonaws.com.', 'S3.AMAZONAWS.COM', ' amazonaws.com\t', 'sts.amazonaws.com..', 'amazonaws.com\u0000', 'amazonaws\u0000.com', '.amazonaws.com', `${'a.'.repeat(120)}amazonaws.com`]) {
      expect(checkBlockableDomain(raw, []).blockable).toBe(false);
    }
    // A punycode look-alike is another registered name (the attacker's), and blockable as such.
    expect(checkBlockableDomain('xn--amazonws-3ya.com', [])).toEqual({ blockable: true, domain: 'xn--amazonws-3ya.com' });
  });

  // Firebreak serves the partitions whose endpoints are not under amazonaws.com (member-role.ts
  // partitionForRegion, caller-proof.ts PARTITION_DOMAINS): their API endpoints (the SDK's
  // partitions.json dnsSuffix and dualStackDnsSuffix), and China's console and sign-in host.
  it.each([
    'sts.us-iso-east-1.c2s.ic.gov',
    'c2s.ic.gov',
    'ic.gov',
    's3.us-isob-east-1.sc2s.sgov.gov',
    'ec2.eu-isoe-west-1.cloud.adc-e.uk',
    'adc-e.uk',
    'ssm.us-isof-south-1.csp.hci.ic.gov',
    'sts.eusc-de-east-1.amazonaws.eu',
    'amazonaws.eu',
    'ec2.cn-north-1.api.amazonwebservices.com.cn',
    'amazonwebservices.com.cn',
    'console.amazonaws.cn',
    'signin.amazonaws.cn',
  ])('ATTACK (review-dnshub): never blocks %j, an AWS endpoint (or its parent) of a partition Firebreak serves (row 16zb)', (raw) => {
    expect(checkBlockableDomain(raw, [])).toMatchObject({ blockable: false });
  });

  // The dual-stack endpoints of the European Sovereign Cloud and the ISO partitions are not under their
  // dnsSuffix: the SDK's partitions.json (@aws-sdk/util-endpoints 3.985) gives aws-eusc
  // api.amazonwebservices.eu, aws-iso api.aws.ic.gov, aws-iso-b api.aws.scloud, aws-iso-e
  // api.cloud-aws.adc-e.uk and aws-iso-f api.aws.hci.ic.gov. An SDK or CLI on an instance with
  // use_dualstack_endpoint (or AWS_USE_DUALSTACK_ENDPOINT) reaches every API there.
  it.each([
    'sts.eusc-de-east-1.api.amazonwebservices.eu',
    'api.amazonwebservices.eu',
    'amazonwebservices.eu',
    'ec2.us-iso-east-1.api.aws.ic.gov',
    'aws.ic.gov',
    's3.us-isob-east-1.api.aws.scloud',
    'aws.scloud',
    'ssm.eu-isoe-west-1.api.cloud-aws.adc-e.uk',
    'cloud-aws.adc-e.uk',
    'sts.us-isof-south-1.api.aws.hci.ic.gov',
    'aws.hci.ic.gov',
  ])('ATTACK (rereview-dnshub): never blocks %j, a dual-stack AWS endpoint (or its parent) of the sovereign and ISO partitions (row 16zd)', (raw) => {
    expect(checkBlockableDomain(raw, [])).toMatchObject({ blockable: false });
  });

  it('tried (rereview-dnshub): a name that merely ends like a dual-stack endpoint domain, or sits beside one, stays blockable (row 16zd)', () => {
    for (const name of ['evilapi.amazonwebservices.eu.example', 'notaws.scloud', 'c2.cloud-aws-adc-e.uk', 'evil.hci.ic.gov.example']) {
      expect(checkBlockableDomain(name, [])).toEqual({ blockable: true, domain: name });
    }
  });

  // IAM Identity Center's sign-in (`<region>.signin.aws/platform/<directory>/login`, its SAML ACS
  // `<region>.sso.signin.aws`) is AWS's own host for every organization, and its dual-stack access portals
  // are `ssoins-<instance>.portal.<region>.app.aws` (`….app.amazonwebservices.com.cn` in China), as the
  // SDKs' SSO start-URL resolvers read them: a block of `signin.aws`, `app.aws`, a Region under it or its
  // `portal` label cut every organization's sign-in or portal for every instance of the associated VPCs
  // (an admin's WorkSpace, a bastion's `aws configure sso`).
  it.each([
    'us-east-1.signin.aws',
    'us-east-1.sso.signin.aws',
    'signin.aws',
    'app.aws',
    'us-east-1.app.aws',
    'portal.us-east-1.app.aws',
    'app.amazonwebservices.com.cn',
    'portal.cn-north-1.app.amazonwebservices.com.cn',
  ])('ATTACK (rereview-dnshub): never blocks %j, IAM Identity Center\'s sign-in or the shared suffix of its access portals (row 16ze)', (raw) => {
    expect(checkBlockableDomain(raw, [])).toMatchObject({ blockable: false });
  });

  it('tried (rereview-dnshub): one access portal, or a name under it, stays blockable, as one awsapps.com portal does (row 16ze)', () => {
    for (const name of ['ssoins-7223abcdef012345.portal.us-east-1.app.aws', 'c2.ssoins-7223abcdef012345.portal.us-east-1.app.aws', 'evil.app.aws.example', 'notsignin.aws', 'd-9067000000.awsapps.com']) {
      expect(checkBlockableDomain(name, [])).toEqual({ blockable: true, domain: name });
    }
  });

  it('tried (review-dnshub): a name that merely ends like a partition\'s endpoint domain stays blockable (row 16zb)', () => {
    for (const name of ['evilc2s.ic.gov', 'c2.amazonaws.eu.evil.net', 'notamazonaws.cn']) expect(checkBlockableDomain(name, [])).toEqual({ blockable: true, domain: name });
  });

  it('blocks a name registered under a public suffix', () => {
    for (const name of ['evil.co.uk', 'd111111abcdef8.cloudfront.net', 'c2.github.io', 'co.evil.com', 'com.au.evil.net']) {
      expect(checkBlockableDomain(name, [])).toEqual({ blockable: true, domain: name });
    }
  });

  it('protects the built-in AWS service domains whatever the deployment lists', () => {
    for (const domain of BUILT_IN_DNS_ALLOWLIST) expect(checkBlockableDomain(domain, [])).toMatchObject({ blockable: false, code: 'allowlisted' });
  });

  it('does not refuse a name that merely ends like an allowlisted one', () => {
    expect(checkBlockableDomain('notexample.org', ORG)).toEqual({ blockable: true, domain: 'notexample.org' });
    expect(checkBlockableDomain('evilamazonaws.com', [])).toEqual({ blockable: true, domain: 'evilamazonaws.com' });
  });

  it('fails on a malformed allowlist entry rather than protecting nothing', () => {
    expect(parseAllowlistEntry(' Example.ORG. ')).toBe('example.org');
    expect(() => parseAllowlistEntry('*.example.org')).toThrow(/not a domain name/);
    expect(() => parseAllowlistEntry('')).toThrow(/not a domain name/);
  });
});
