/**
 * The simulated account's clock. Game days must be reproducible, so nothing in the simulator reads
 * the wall clock: time moves only when the engine (or a simulated SDK retry backoff) advances it.
 */
export class SimClock {
  private current: number;

  constructor(start: Date | string | number) {
    const at = new Date(start).getTime();
    if (Number.isNaN(at)) throw new RangeError(`invalid simulated start time: ${String(start)}`);
    this.current = at;
  }

  /** Milliseconds since the epoch, simulated. */
  nowMs(): number {
    return this.current;
  }

  /** Moves time forward; going back is refused so that recorded times stay ordered. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`the simulated clock only moves forward (got ${ms} ms)`);
    this.current += ms;
  }
}
