import { CreateKeyCommand, GenerateMacCommand, VerifyMacCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { KmsRecordSealer } from '../../../lib/responders/record-integrity';
import { recordOfDefaultInstance } from '../../responders/quarantine-fixtures';

const message = new TextEncoder().encode('firebreak-quarantine-record/v1\nsha256:00');

describe('the simulated KMS (HMAC keys for record seals)', () => {
  it('answers GenerateMac with a real HMAC that VerifyMac accepts, and refuses a changed message with KMSInvalidMacException', async () => {
    const sim = new SeededSimulatedAws({ seed: 'kms' });
    const key = sim.addHmacKey();
    const kms = sim.clientFactory().kms();
    const { Mac, KeyId } = await kms.send(new GenerateMacCommand({ KeyId: key, MacAlgorithm: 'HMAC_SHA_256', Message: message }));
    expect(KeyId).toBe(key);
    expect(Mac).toHaveLength(32);
    await expect(kms.send(new VerifyMacCommand({ KeyId: key, MacAlgorithm: 'HMAC_SHA_256', Message: message, Mac }))).resolves.toMatchObject({ MacValid: true });
    const changed = new TextEncoder().encode('firebreak-quarantine-record/v1\nsha256:01');
    await expect(kms.send(new VerifyMacCommand({ KeyId: key, MacAlgorithm: 'HMAC_SHA_256', Message: changed, Mac }))).rejects.toMatchObject({
      name: 'KMSInvalidMacException',
    });
  });

  it('gives every key its own secret: a MAC of one key does not verify under another', async () => {
    const sim = new SeededSimulatedAws({ seed: 'kms' });
    const one = sim.addHmacKey();
    const other = sim.addHmacKey();
    const kms = sim.clientFactory().kms();
    const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: one, MacAlgorithm: 'HMAC_SHA_256', Message: message }));
    await expect(kms.send(new VerifyMacCommand({ KeyId: other, MacAlgorithm: 'HMAC_SHA_256', Message: message, Mac }))).rejects.toMatchObject({
      name: 'KMSInvalidMacException',
    });
  });

  it('creates HMAC_256 keys through CreateKey (the endpoint backend) and refuses unknown keys', async () => {
    const sim = new SeededSimulatedAws({ seed: 'kms' });
    const kms = sim.clientFactory().kms();
    const created = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }));
    expect(created.KeyMetadata).toMatchObject({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await expect(
      kms.send(new GenerateMacCommand({ KeyId: 'arn:aws:kms:us-east-1:111111111111:key/nope', MacAlgorithm: 'HMAC_SHA_256', Message: message })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it('seals and verifies a quarantine record end to end through KmsRecordSealer', async () => {
    const sim = new SeededSimulatedAws({ seed: 'kms' });
    const sealer = new KmsRecordSealer(sim.clientFactory().kms(), sim.addHmacKey());
    const record = recordOfDefaultInstance('gd-1', '2026-11-20T10:02:00.000Z');
    const sealed = { ...record, seal: await sealer.seal(record) };
    expect(await sealer.verify(sealed)).toEqual({ valid: true });
    expect(await sealer.verify({ ...sealed, instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/Administrator' })).toMatchObject({ valid: false });
  });
});
