import { describe, expect, it } from 'vitest';
import { PROOF_EXPIRES_SECONDS, callerProof } from '../../lib/operator/caller-proof';
import { LocalCallerProofs } from '../../lib/gameday/caller-proofs';
import type { ParsedProof, ProofFetch } from '../../lib/responders/caller-proof';
import { CallerProofUnavailableError, PROOF_BINDING_HEADER, StsCallerProofVerifier, parseCallerProof, proofBinding, stsHost } from '../../lib/responders/caller-proof';

const AT = new Date('2026-12-06T09:00:00.000Z');
const CAROL = 'arn:aws:sts::111122223333:assumed-role/on-call/carol';
const CREDENTIALS = { accessKeyId: 'ASIAQ3EGRW6JCAROLKEY', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEXAMPLE/session+token==' };
const BODY = '{"executionArn":"arn:aws:states:eu-west-1:111122223333:execution:Firebreak-x:y","show":true}';

const proof = (overrides: Record<string, string | undefined> = {}) =>
  callerProof('approval', BODY, 'eu-west-1', CREDENTIALS, AT).then((query) => {
    const params = new URLSearchParams(query);
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) params.delete(name);
      else params.set(name, value);
    }
    return params.toString();
  });

describe('parseCallerProof: only a presigned GetCallerIdentity for STS in this Region, over the binding', () => {
  it('takes what firebreak approve makes, and rebuilds the query from its checked parameters', async () => {
    const parsed = parseCallerProof(await proof(), 'eu-west-1');
    expect(parsed).toMatchObject({ accessKeyId: CREDENTIALS.accessKeyId });
    expect(Object.fromEntries(new URLSearchParams((parsed as { query: string }).query))).toMatchObject({ Action: 'GetCallerIdentity', 'X-Amz-Security-Token': CREDENTIALS.sessionToken });
  });

  it.each([
    ['no proof', undefined, /carries no caller proof/],
    ['an empty one', '', /carries no caller proof/],
    ['another action', { Action: 'AssumeRole' }, /Action is not what Firebreak signs/],
    ['a parameter more (a redirect, a role to assume)', { RoleArn: 'arn:aws:iam::111122223333:role/admin' }, /a parameter a presigned GetCallerIdentity does not: "RoleArn"/],
    ['a signature that does not cover the binding', { 'X-Amz-SignedHeaders': 'host' }, /X-Amz-SignedHeaders is not what Firebreak signs/],
    ['another service in the scope', { 'X-Amz-Credential': `${CREDENTIALS.accessKeyId}/20261206/eu-west-1/s3/aws4_request` }, /X-Amz-Credential is not what Firebreak signs/],
    ['another Region', { 'X-Amz-Credential': `${CREDENTIALS.accessKeyId}/20261206/us-east-1/sts/aws4_request` }, /signed for STS in us-east-1, not eu-west-1/],
    ['a date that is not the scope\'s', { 'X-Amz-Date': '20261205T090000Z' }, /date is not its credential's/],
    ['a lifetime past 15 minutes', { 'X-Amz-Expires': '901' }, /more than 900 seconds/],
    ['no signature', { 'X-Amz-Signature': undefined }, /lacks X-Amz-Signature/],
  ])('refuses %s', async (_what, change, reason) => {
    const text = change === undefined || typeof change === 'string' ? change : await proof(change);
    expect(parseCallerProof(text, 'eu-west-1')).toEqual({ refused: expect.stringMatching(reason) });
  });

  it('refuses a repeated parameter (which one would STS read?) and a proof longer than any', async () => {
    expect(parseCallerProof(`${await proof()}&Action=GetCallerIdentity`, 'eu-west-1')).toEqual({ refused: 'the caller proof repeats Action' });
    expect(parseCallerProof('A'.repeat(8193), 'eu-west-1')).toEqual({ refused: expect.stringContaining('longer') });
  });

  it('binds the purpose and the exact body', () => {
    expect(proofBinding('approval', BODY)).toMatch(/^[0-9a-f]{64}$/);
    expect(proofBinding('approval', `${BODY} `)).not.toBe(proofBinding('approval', BODY));
  });

  it("knows the China Regions' STS domain", () => {
    expect(stsHost('eu-west-1')).toBe('sts.eu-west-1.amazonaws.com');
    expect(stsHost('us-gov-west-1')).toBe('sts.us-gov-west-1.amazonaws.com');
    expect(stsHost('cn-north-1')).toBe('sts.cn-north-1.amazonaws.com.cn');
  });

  it("knows the other partitions' STS domains (a wrong host refuses every approver: 502 for ever)", () => {
    expect(stsHost('eusc-de-east-1')).toBe('sts.eusc-de-east-1.amazonaws.eu');
    expect(stsHost('us-iso-east-1')).toBe('sts.us-iso-east-1.c2s.ic.gov');
    expect(stsHost('us-isob-east-1')).toBe('sts.us-isob-east-1.sc2s.sgov.gov');
    expect(stsHost('eu-isoe-west-1')).toBe('sts.eu-isoe-west-1.cloud.adc-e.uk');
    expect(stsHost('us-isof-south-1')).toBe('sts.us-isof-south-1.csp.hci.ic.gov');
  });

  it('says when the proof was made and until when it holds (STS ignores X-Amz-Expires: the function checks it)', async () => {
    expect(parseCallerProof(await proof(), 'eu-west-1')).toMatchObject({ signedAt: AT, expiresAt: new Date(AT.getTime() + PROOF_EXPIRES_SECONDS * 1000) });
    expect(parseCallerProof(await proof({ 'X-Amz-Date': '20261206T256000Z' }), 'eu-west-1')).toEqual({ refused: expect.stringContaining('X-Amz-Date is not a date') });
  });
});

describe('StsCallerProofVerifier: asks STS in its own Region', () => {
  const identity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${CAROL}</Arn><UserId>AROAQ3EGRW6JONCALL01:carol</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
  const error = (code: string) => `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>m</Message></Error></ErrorResponse>`;
  const answering = (status: number, text: string) => {
    const sent: { url: string; init: Parameters<ProofFetch>[1] }[] = [];
    const send: ProofFetch = async (url, init) => {
      sent.push({ url, init });
      return { status, text: async () => text };
    };
    return { sent, verifier: new StsCallerProofVerifier('eu-west-1', send) };
  };

  it('sends exactly the rebuilt GET to sts.<region>.amazonaws.com with the binding it computed, and takes the caller from the answer', async () => {
    const { sent, verifier } = answering(200, identity);
    const parsed = parseCallerProof(await proof(), 'eu-west-1') as ParsedProof;
    const binding = proofBinding('approval', BODY);
    expect(await verifier.callerOf(parsed, binding)).toEqual({ arn: CAROL, userId: 'AROAQ3EGRW6JONCALL01:carol', account: '111122223333', accessKeyId: CREDENTIALS.accessKeyId });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(`https://sts.eu-west-1.amazonaws.com/?${parsed.query}`);
    expect(sent[0]!.init).toEqual({ method: 'GET', headers: { [PROOF_BINDING_HEADER]: binding }, signal: expect.any(AbortSignal) });
  });

  it.each(['SignatureDoesNotMatch', 'ExpiredToken', 'InvalidClientTokenId'])('refuses a proof STS refuses (403 %s)', async (code) => {
    const { verifier } = answering(403, error(code));
    const parsed = parseCallerProof(await proof(), 'eu-west-1') as ParsedProof;
    expect(await verifier.callerOf(parsed, 'b')).toEqual({ refused: `STS did not verify the caller proof (${code})` });
  });

  it('reads the caller as STS escapes it in XML (an IAM user path may hold & < > \' ")', async () => {
    const user = `arn:aws:iam::111122223333:user/a&b<c>'d"/alice`;
    const { verifier } = answering(200, identity.replace(CAROL, 'arn:aws:iam::111122223333:user/a&amp;b&lt;c&gt;&apos;d&quot;/alice').replace('AROAQ3EGRW6JONCALL01:carol', 'AIDA&#65;1'));
    const parsed = parseCallerProof(await proof(), 'eu-west-1') as ParsedProof;
    expect(await verifier.callerOf(parsed, 'b')).toMatchObject({ arn: user, userId: 'AIDAA1' });
  });

  it('says what to do when STS is not activated in the Region for the caller\'s account (RegionDisabledException)', async () => {
    const { verifier } = answering(403, error('RegionDisabledException'));
    const parsed = parseCallerProof(await proof(), 'eu-west-1') as ParsedProof;
    expect(await verifier.callerOf(parsed, 'b')).toEqual({ refused: expect.stringMatching(/STS is not activated in eu-west-1 for the caller's account \(RegionDisabledException\).*IAM account settings/) });
  });

  it.each([
    [400, error('Throttling')],
    [500, error('InternalFailure')],
    [503, ''],
    [200, '<GetCallerIdentityResponse/>'],
  ])('decides nothing when STS cannot say (HTTP %i): transient', async (status, text) => {
    const { verifier } = answering(status, text);
    const parsed = parseCallerProof(await proof(), 'eu-west-1') as ParsedProof;
    await expect(verifier.callerOf(parsed, 'b')).rejects.toBeInstanceOf(CallerProofUnavailableError);
  });

  it('decides nothing when STS cannot be reached', async () => {
    const verifier = new StsCallerProofVerifier('eu-west-1', async () => {
      throw new TypeError('fetch failed');
    });
    const parsed = parseCallerProof(await proof(), 'eu-west-1') as ParsedProof;
    await expect(verifier.callerOf(parsed, 'b')).rejects.toThrow(/STS could not be asked who signed the caller proof: fetch failed/);
  });
});

describe("LocalCallerProofs: the game day's STS checks the SigV4 signature as STS does", () => {
  const sts = () => {
    const local = new LocalCallerProofs('eu-west-1', () => AT);
    local.issue(CAROL, CREDENTIALS);
    return local;
  };
  const check = async (local: LocalCallerProofs, text: string, body = BODY) => local.callerOf(parseCallerProof(text, 'eu-west-1') as ParsedProof, proofBinding('approval', body));

  it('verifies a proof signed with the key it issued, for the same body, in its lifetime', async () => {
    expect(await check(sts(), await proof())).toMatchObject({ arn: CAROL, accessKeyId: CREDENTIALS.accessKeyId, account: '111122223333' });
  });

  it('refuses another body, a key it never issued, a secret guessed, a token changed, a proof past its lifetime or dated ahead', async () => {
    expect(await check(sts(), await proof(), `${BODY} `)).toEqual({ refused: expect.stringContaining('SignatureDoesNotMatch') });
    const stranger = await callerProof('approval', BODY, 'eu-west-1', { ...CREDENTIALS, accessKeyId: 'ASIAQ3EGRW6JSTRANGER' }, AT);
    expect(await check(sts(), stranger)).toEqual({ refused: expect.stringContaining('InvalidClientTokenId') });
    const guessed = await callerProof('approval', BODY, 'eu-west-1', { ...CREDENTIALS, secretAccessKey: 'guessed' }, AT);
    expect(await check(sts(), guessed)).toEqual({ refused: expect.stringContaining('SignatureDoesNotMatch') });
    expect(await check(sts(), await proof({ 'X-Amz-Security-Token': 'b3RoZXI=' }))).toEqual({ refused: expect.stringContaining('InvalidClientTokenId') });
    // STS ignores X-Amz-Expires: a presigned GetCallerIdentity holds for 15 minutes after X-Amz-Date (aws-iam-authenticator's
    // pkg/token/token.go, aws/aws-sdk-go#2167); the function holds a proof to the lifetime it states itself (provenCaller).
    const stillTaken = new LocalCallerProofs('eu-west-1', () => new Date(AT.getTime() + 121_000));
    stillTaken.issue(CAROL, CREDENTIALS);
    expect(await check(stillTaken, await proof())).toMatchObject({ arn: CAROL });
    const late = new LocalCallerProofs('eu-west-1', () => new Date(AT.getTime() + 15 * 60_000 + 1000));
    late.issue(CAROL, CREDENTIALS);
    expect(await check(late, await proof())).toEqual({ refused: expect.stringContaining('ExpiredToken') });
    const early = new LocalCallerProofs('eu-west-1', () => new Date(AT.getTime() - 16 * 60_000));
    early.issue(CAROL, CREDENTIALS);
    expect(await check(early, await proof())).toEqual({ refused: expect.stringContaining('ExpiredToken') });
  });

  it("answers the function's own request as STS does: its host, the binding header it sends, the ARN XML-escaped", async () => {
    const local = sts();
    const parsed = parseCallerProof(await proof(), 'eu-west-1') as ParsedProof;
    const binding = proofBinding('approval', BODY);
    expect(await local.endpoint(`https://sts.eu-west-1.amazonaws.com/?${parsed.query}`, { method: 'GET', headers: { [PROOF_BINDING_HEADER]: binding } })).toMatchObject({ status: 200 });
    expect((await local.endpoint(`https://sts.eu-west-1.amazonaws.com/?${parsed.query}`, { method: 'GET', headers: {} })).status).toBe(403);
    // (The function only ever sends GET; a POST over the same query is another request.)
    expect((await local.endpoint(`https://sts.eu-west-1.amazonaws.com/?${parsed.query}`, { method: 'POST' as 'GET', headers: { [PROOF_BINDING_HEADER]: binding } })).status).toBe(403);
    await expect(local.endpoint(`https://sts.amazonaws.com/?${parsed.query}`, { method: 'GET', headers: { [PROOF_BINDING_HEADER]: binding } })).rejects.toThrow(/fetch failed/);
    const user = `arn:aws:iam::111122223333:user/ops&sec/<alice's>/alice`;
    const credentials = local.issue(user, { accessKeyId: 'AKIAQ3EGRW6JALICE001', secretAccessKey: 'alice-secret' });
    const signed = parseCallerProof(await callerProof('approval', BODY, 'eu-west-1', credentials, AT), 'eu-west-1') as ParsedProof;
    const answer = await local.endpoint(`https://sts.eu-west-1.amazonaws.com/?${signed.query}`, { method: 'GET', headers: { [PROOF_BINDING_HEADER]: binding } });
    expect(await answer.text()).toContain('<Arn>arn:aws:iam::111122223333:user/ops&amp;sec/&lt;alice&apos;s&gt;/alice</Arn>');
    expect(await local.callerOf(signed, binding)).toMatchObject({ arn: user, accessKeyId: 'AKIAQ3EGRW6JALICE001' });
  });

  it('refuses a lifetime stretched after signing (the signature covers it)', async () => {
    expect(await check(sts(), await proof({ 'X-Amz-Expires': '900' }))).toEqual({ refused: expect.stringContaining('SignatureDoesNotMatch') });
  });
});

describe('NodeSha256: the node:crypto hash the CLI and the game day sign proofs with', () => {
  it('gives the same SigV4 signature as the AWS SDK\'s own SHA-256 (a proof STS would verify)', async () => {
    const { Sha256 } = await import('@aws-crypto/sha256-js');
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const expected = await new SignatureV4({ service: 'sts', region: 'eu-west-1', credentials: CREDENTIALS, sha256: Sha256 }).presign(
      { method: 'GET', protocol: 'https:', hostname: stsHost('eu-west-1'), path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host: stsHost('eu-west-1'), [PROOF_BINDING_HEADER]: proofBinding('approval', BODY) } },
      { expiresIn: PROOF_EXPIRES_SECONDS, unhoistableHeaders: new Set([PROOF_BINDING_HEADER]), signingDate: AT },
    );
    expect(new URLSearchParams(await callerProof('approval', BODY, 'eu-west-1', CREDENTIALS, AT)).get('X-Amz-Signature')).toBe(expected.query?.['X-Amz-Signature']);
  });
});

