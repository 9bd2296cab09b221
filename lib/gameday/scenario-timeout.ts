/**
 * The wall-time bound of one scenario (`gameday run --scenario-timeout`): a scenario that never
 * ends (a call that never answers, a task that never returns) fails past it, naming itself and the
 * bound, and the game day goes on to the next scenario instead of hanging.
 */
import { FirebreakError } from '../contracts/errors';
import { wallClockMs } from './backend';

/** The bound `gameday run` gives each scenario unless told otherwise: far above the seconds a scenario takes. */
export const DEFAULT_SCENARIO_TIMEOUT_SECONDS = 300;

/** A scenario still running past its wall-time bound. */
export class ScenarioTimeoutError extends FirebreakError {
  override readonly name = 'ScenarioTimeoutError';
}

// setTimeout's longest delay (about 24.8 days): a longer one fires at once, so a bound beyond it
// is only checked between steps.
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * A scenario's bound, in two forms: `expiry()`, a timer, for a run stuck waiting on something that
 * never answers; and `check()`, between the steps of a run that keeps moving, which a timer cannot
 * interrupt (the engine moves by promises alone, and a timer fires only between turns of the
 * event loop).
 */
export class ScenarioDeadline {
  private readonly endsAtMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly scenario: string,
    private readonly seconds: number,
    startedWallMs: number = wallClockMs(),
  ) {
    this.endsAtMs = startedWallMs + seconds * 1000;
  }

  /** The error of this scenario past its bound. */
  error(): ScenarioTimeoutError {
    return new ScenarioTimeoutError(`scenario '${this.scenario}' did not end within its bound of ${this.seconds} s of wall time (--scenario-timeout)`);
  }

  /** Throws ScenarioTimeoutError once the bound is past. */
  check(): void {
    if (wallClockMs() >= this.endsAtMs) throw this.error();
  }

  /** Rejects with ScenarioTimeoutError when the bound is past (one timer; clear() it when the run ends). */
  expiry(): Promise<never> {
    return new Promise<never>((_, reject) => {
      const remainingMs = Math.max(this.endsAtMs - wallClockMs(), 0);
      if (remainingMs <= LONGEST_TIMER_MS) this.timer = setTimeout(() => reject(this.error()), remainingMs);
    });
  }

  /** Clears the timer, which would otherwise keep the process alive until the bound. */
  clear(): void {
    clearTimeout(this.timer);
  }
}
