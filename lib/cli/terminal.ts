/**
 * What the operator commands print. Incident records, DynamoDB items, execution outputs and AWS
 * error messages quote text an attacker may have written (an instance id in a forged game-day
 * event, a tag, a reason); printed as it is, an escape sequence in it retitles or clears the
 * operator's terminal or rewrites what was printed before it, and a bidi override reorders it. Each
 * command prints through `terminalSafe`, so that no printer can forget to escape what it shows.
 * Standard error carries the refusals and errors, which quote AWS's error texts and stored
 * reasons: each diagnostic is one line there (`terminalLine`), so that a line feed in what it
 * quotes cannot print a line of its own under it (a forged `Released:` or `firebreak:` line); a
 * command with several lines to say prints each on its own.
 */
import { terminalLine, terminalText } from '../responders/untrusted-text';

/** Where a command prints: its output and its diagnostics. */
interface Printers {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * The same dependencies, printing every text through `terminalText`, and every diagnostic on one
 * line through `terminalLine` (lib/responders/untrusted-text.ts).
 */
export function terminalSafe<T extends Printers>(deps: T): T {
  return { ...deps, out: (text: string) => deps.out(terminalText(text)), err: (text: string) => deps.err(terminalLine(text)) };
}
