/**
 * Shared helpers for the simulated-account tests: every test drives the simulator through real
 * SDK v3 clients from `sim.clientFactory()`, which is what proves the wiring.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { SeededSimulatedAws } from '../../support/sim-builder';
import type { SimulatedAwsOptions } from '../../../lib/gameday/sim';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';

/** The SDK error fields the tests look at. */
export interface SdkError extends Error {
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to be rejected, it succeeded');
}

export interface Ec2World {
  readonly sim: SeededSimulatedAws;
  readonly ec2: EC2Client;
}

export async function ec2World(options: SimulatedAwsOptions = {}): Promise<Ec2World> {
  const sim = new SeededSimulatedAws({ seed: 'sim-tests', ...options });
  const ec2 = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });
  return { sim, ec2 };
}
