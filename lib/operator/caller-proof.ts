/**
 * The caller proof `firebreak approve` and `reject` send beside their signed request
 * (lib/responders/caller-proof.ts says why and how the function checks it): a GetCallerIdentity
 * request to STS in the function's Region, presigned with the caller's own credentials, whose
 * signature covers the binding of this one request body.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { ProofPurpose } from '../responders/caller-proof';
import { PROOF_ACTION, PROOF_BINDING_HEADER, proofBinding, stsHost } from '../responders/caller-proof';

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
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 });
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
