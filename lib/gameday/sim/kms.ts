/**
 * KMS keys in the simulated account: what the record seal needs (CreateKey with KeySpec
 * HMAC_256 and KeyUsage GENERATE_VERIFY_MAC, GenerateMac, VerifyMac), the alert topic's
 * symmetric key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT: SNS uses it on the publisher's behalf, so it
 * is only ever authorized against, never called), DescribeKey, and ScheduleKeyDeletion for the
 * game-day backend's cleanup. Each key has its own secret, derived
 * from the simulator's seed and the key id, and the MACs are real HMAC-SHA-256: a record changed
 * after it was sealed fails VerifyMac with KMSInvalidMacException, as in KMS
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type {
  CreateKeyCommandInput,
  DescribeKeyCommandInput,
  GenerateMacCommandInput,
  ScheduleKeyDeletionCommandInput,
  VerifyMacCommandInput,
} from '@aws-sdk/client-kms';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import type { KmsKeyRecord, KmsKeySpec } from './model';
import type { SimWorld } from './world';

const USAGE: Readonly<Record<KmsKeySpec, string>> = { HMAC_256: 'GENERATE_VERIFY_MAC', SYMMETRIC_DEFAULT: 'ENCRYPT_DECRYPT' };

/** KMS limits the message of GenerateMac/VerifyMac to 4096 bytes. */
const MAX_MESSAGE = 4096;

/** A deterministic key id (a UUID shape) for the n-th key of a seed. */
function keyIdFor(seed: string, n: number): string {
  const hex = createHash('sha256').update(`${seed}:kms:${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Adds a key (HMAC_256 unless said otherwise) to the world; returns it. */
export function addKey(
  world: SimWorld,
  spec: { readonly account?: string; readonly region?: string; readonly description?: string; readonly keySpec?: KmsKeySpec; readonly awsManaged?: boolean } = {},
): KmsKeyRecord {
  const account = spec.account ?? world.options.defaultAccount;
  const region = spec.region ?? world.options.defaultRegion;
  const keyId = keyIdFor(world.options.seed, world.kmsKeys.size + 1);
  const key: KmsKeyRecord = {
    keyId,
    spec: spec.keySpec ?? 'HMAC_256',
    arn: `arn:aws:kms:${region}:${account}:key/${keyId}`,
    account,
    region,
    description: spec.description ?? '',
    secret: createHash('sha256').update(`${world.options.seed}:kms-secret:${keyId}`).digest(),
    state: 'Enabled',
    ...(spec.awsManaged === true ? { awsManaged: true } : {}),
  };
  world.kmsKeys.set(key.arn, key);
  return key;
}

function findKey(world: SimWorld, call: SimCall, keyId: string | undefined): KmsKeyRecord {
  if (!keyId) throw new SimulatedServiceError('ValidationException', '1 validation error detected: KeyId must not be null', 400);
  const arn = keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${call.region}:${call.account}:key/${keyId}`;
  const key = world.kmsKeys.get(arn);
  if (!key) throw new SimulatedServiceError('NotFoundException', `Key '${arn}' does not exist`, 400);
  call.authorize(call.api, key.arn);
  if (key.state !== 'Enabled') throw new SimulatedServiceError(key.state === 'Disabled' ? 'DisabledException' : 'KMSInvalidStateException', `${key.arn} is ${key.state.toLowerCase()}.`, 400);
  return key;
}

function macInputs(world: SimWorld, call: SimCall, input: { KeyId?: string; MacAlgorithm?: string; Message?: Uint8Array }): { key: KmsKeyRecord; message: Buffer } {
  const key = findKey(world, call, input.KeyId);
  if (key.spec !== 'HMAC_256' || input.MacAlgorithm !== 'HMAC_SHA_256') {
    throw new SimulatedServiceError('InvalidKeyUsageException', `${key.arn} (${key.spec}) does not support ${String(input.MacAlgorithm)}`, 400);
  }
  const message = Buffer.from(input.Message ?? new Uint8Array());
  if (message.length < 1 || message.length > MAX_MESSAGE) {
    throw new SimulatedServiceError('ValidationException', `Message must be 1 to ${MAX_MESSAGE} bytes`, 400);
  }
  return { key, message };
}

function keyMetadata(key: KmsKeyRecord) {
  return {
    KeyId: key.keyId,
    Arn: key.arn,
    KeySpec: key.spec,
    KeyUsage: USAGE[key.spec],
    Enabled: key.state === 'Enabled',
    KeyState: key.state,
    KeyManager: key.awsManaged === true ? 'AWS' : 'CUSTOMER',
    ...(key.awsManaged === true ? { Description: key.description } : {}),
  };
}

export function kmsHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    CreateKey(call) {
      const input = inputOf<CreateKeyCommandInput>(call);
      const keySpec = (input.KeySpec ?? 'SYMMETRIC_DEFAULT') as KmsKeySpec;
      if (USAGE[keySpec] === undefined || (input.KeyUsage ?? USAGE[keySpec]) !== USAGE[keySpec]) {
        throw new SimulatedServiceError(
          'UnsupportedOperationException',
          'The simulated KMS creates HMAC_256 GENERATE_VERIFY_MAC and SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys only',
          400,
        );
      }
      return { KeyMetadata: keyMetadata(addKey(world, { account: call.account, region: call.region, description: input.Description ?? '', keySpec })) };
    },
    DescribeKey(call) {
      const input = inputOf<DescribeKeyCommandInput>(call);
      const arn = input.KeyId?.startsWith('arn:') ? input.KeyId : `arn:aws:kms:${call.region}:${call.account}:key/${input.KeyId ?? ''}`;
      const key = world.kmsKeys.get(arn);
      if (!key) throw new SimulatedServiceError('NotFoundException', `Key '${arn}' does not exist`, 400);
      return { KeyMetadata: keyMetadata(key) };
    },
    GenerateMac(call) {
      const input = inputOf<GenerateMacCommandInput>(call);
      const { key, message } = macInputs(world, call, input);
      return { KeyId: key.arn, MacAlgorithm: 'HMAC_SHA_256', Mac: new Uint8Array(createHmac('sha256', key.secret).update(message).digest()) };
    },
    VerifyMac(call) {
      const input = inputOf<VerifyMacCommandInput>(call);
      const { key, message } = macInputs(world, call, input);
      const wanted = createHmac('sha256', key.secret).update(message).digest();
      const given = Buffer.from(input.Mac ?? new Uint8Array());
      if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
        throw new SimulatedServiceError('KMSInvalidMacException', 'The MAC does not match the message and key', 400);
      }
      return { KeyId: key.arn, MacAlgorithm: 'HMAC_SHA_256', MacValid: true };
    },
    ScheduleKeyDeletion(call) {
      const input = inputOf<ScheduleKeyDeletionCommandInput>(call);
      const key = findKey(world, call, input.KeyId);
      key.state = 'PendingDeletion';
      return { KeyId: key.arn, KeyState: 'PendingDeletion', PendingWindowInDays: input.PendingWindowInDays ?? 30 };
    },
  };
}
