/** Collects the actions a responder takes, in order, with their times: the incident timeline's raw material. */
import type { ActionOutcome, ResponderAction } from './model';
import { noteLoggedAction } from './attempt-actions';

export class ActionLog {
  private readonly entries: ResponderAction[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  record(api: string, target: string, outcome: ActionOutcome, detail: string): ResponderAction {
    const entry: ResponderAction = { api, target, outcome, detail, at: this.now().toISOString() };
    this.entries.push(entry);
    // Kept for the incident record too, should the attempt throw before it returns this log (attempt-actions.ts).
    noteLoggedAction(entry);
    return entry;
  }

  get actions(): readonly ResponderAction[] {
    return [...this.entries];
  }
}
