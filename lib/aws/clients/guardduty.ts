/** GuardDuty in the security account, for the oversized-event intake's GetFindings (only `@aws-sdk/client-guardduty`). */
import { GuardDutyClient } from '@aws-sdk/client-guardduty';

export interface GuardDutyClients {
  /**
   * GuardDuty of the account Firebreak runs in (the organization's GuardDuty delegated
   * administrator, whose detector holds every member's findings of that region:
   * docs/organization.md), in `region`: a finding is read where it was made, which is not the
   * function's region when one central region serves every region.
   */
  guardduty(region: string): GuardDutyClient;
}

/** One GuardDuty client per region, with the function's own credentials, made on first use. */
export function homeGuardDutyClients(make: (region: string) => GuardDutyClient = (region) => new GuardDutyClient({ region })): GuardDutyClients {
  const clients = new Map<string, GuardDutyClient>();
  return {
    guardduty(region) {
      let client = clients.get(region);
      if (client === undefined) {
        client = make(region);
        clients.set(region, client);
      }
      return client;
    },
  };
}
