/** SNS in the security account (alerts are published where Firebreak runs); only `@aws-sdk/client-sns`. */
import { SNSClient } from '@aws-sdk/client-sns';
import { homeRegionFromEnvironment, onFirstUse } from './access';

export interface SnsClients {
  /** SNS in the security account. */
  sns(): SNSClient;
}

/** One SNS client in the home region, made on first use. */
export function homeSnsClients(homeRegion: string = homeRegionFromEnvironment()): SnsClients {
  return { sns: onFirstUse(() => new SNSClient({ region: homeRegion })) };
}
