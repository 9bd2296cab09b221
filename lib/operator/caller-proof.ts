/**
 * The caller proof `firebreak approve` and `reject` send beside their signed request
 * (lib/responders/caller-proof.ts says why and how the function checks it): a GetCallerIdentity
 * request to STS in the function's Region, presigned with the caller's own credentials, whose
 * signature covers the binding of this one request body.
 */
import type { Hash, Hmac } from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';
import type { ProofPurpose } from '../responders/caller-proof';
import { PROOF_ACTION, PROOF_BINDING_HEADER, proofBinding, stsHost } from '../responders/caller-proof';

/**
 * SHA-256 and HMAC-SHA-256 for SigV4 from node:crypto (the CLI and the game day run on Node): about
 * four times cheaper than the pure-JavaScript hash, which a game day pays twice per approval answer.
 */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }

  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : this.secret instanceof ArrayBuffer ? new Uint8Array(this.secret) : new Uint8Array(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength);
    return createHmac('sha256', key);
  }
}

/**
 * How long a proof is good for (the function holds it to that; STS would take it for 15 minutes):
 * ten minutes, so that a clock up to five minutes slow, which the Function URL's own SigV4 check
 * accepts, is not refused by the proof alone. A replay within it repeats the same answer.
 */
export const PROOF_EXPIRES_SECONDS = 600;

/**
 * The proof (the value of the `x-firebreak-caller-proof` header) for `body` as it is sent to a
 * function in `region` for `purpose`.
 */
export async function callerProof(purpose: ProofPurpose, body: string, region: string, credentials: AwsCredentialIdentity, signingDate?: Date): Promise<string> {
  const hostname = stsHost(region);
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: NodeSha256 });
  const presigned = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname, path: '/', query: { ...PROOF_ACTION }, headers: { host: hostname, [PROOF_BINDING_HEADER]: proofBinding(purpose, body) } },
    { expiresIn: PROOF_EXPIRES_SECONDS, unhoistableHeaders: new Set([PROOF_BINDING_HEADER]), ...(signingDate ? { signingDate } : {}) },
  );
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(presigned.query ?? {})) {
    if (typeof value === 'string') query.set(name, value);
  }
  return query.toString();
}
