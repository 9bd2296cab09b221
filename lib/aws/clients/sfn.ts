/** Step Functions in the security account (executions, task tokens); only `@aws-sdk/client-sfn`. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { homeRegionFromEnvironment, onFirstUse } from './access';

export interface SfnClients {
  /** Step Functions in the security account. */
  sfn(): SFNClient;
}

/** One Step Functions client in the home region, made on first use. */
export function homeSfnClients(homeRegion: string = homeRegionFromEnvironment()): SfnClients {
  return { sfn: onFirstUse(() => new SFNClient({ region: homeRegion })) };
}
