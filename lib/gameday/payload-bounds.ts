/**
 * The payload bounds of one execution's state data, each object measured once. The engine measures
 * every task's input and result and every state's output against Step Functions' 256 KiB limit
 * (lib/contracts/payload-size.ts), and these payloads share their large parts: a task's result is
 * the state's output under its ResultPath or ResultSelector, the state's input is in its output, a
 * task's Parameters carry parts of its input (a dispatcher delivery walked its triage answer three
 * times). An execution's state data does not change once made: the patched interpreter builds new
 * values for Parameters, ResultSelector and ResultPath and never writes into its input
 * (docs/gameday.md, "Benchmarks"), each function gets its own copy of its payload, and a task's
 * result is taken as the function returned it, as Lambda serializes it then. So the bound of a large
 * object met near the top of a payload is kept, and a later payload holding that same object adds
 * the kept bound instead of walking it again.
 */
import { payloadBytes, payloadBytesAtMost } from '../contracts/payload-size';

/** Objects this deep in a payload (the payload itself at 0) are looked up and kept. */
const KEPT_DEPTH = 3;

/** Objects whose bound is under this are walked again rather than kept (a short walk costs less than a lookup). */
const KEPT_MIN_BYTES = 1024;

/** How many objects one execution keeps, the newest ones (a playbook's state data grows by one result per step). */
const KEPT_OBJECTS = 32;

/** The bounds of one execution's large state objects, newest last. */
export class PayloadBounds {
  private readonly objects: object[] = [];
  private readonly bounds: number[] = [];

  /** payloadBytesAtMost(value), the bound of an object kept from an earlier payload of the execution added as it is. */
  bytesAtMost(value: unknown): number {
    return this.boundAt(value, 0);
  }

  /**
   * The exact size of `value` (as `payloadBytes` counts it) when it is over `limit` bytes, else
   * undefined, as `payloadBytesOver` answers it.
   */
  bytesOver(value: unknown, limit: number): number | undefined {
    if (this.bytesAtMost(value) <= limit) return undefined;
    const bytes = payloadBytes(value);
    return bytes <= limit ? undefined : bytes;
  }

  private boundAt(value: unknown, depth: number): number {
    if (value === null || typeof value !== 'object' || depth > KEPT_DEPTH) return payloadBytesAtMost(value);
    const known = this.objects.lastIndexOf(value);
    if (known >= 0) return this.bounds[known] as number;
    // A value JSON writes through its toJSON (a Date) is measured as JSON writes it.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return payloadBytesAtMost(value);
    let bytes = 2;
    if (Array.isArray(value)) {
      for (const item of value) bytes += this.boundAt(item, depth + 1) + 1;
    } else {
      for (const key in value) bytes += 6 * key.length + 4 + this.boundAt((value as Record<string, unknown>)[key], depth + 1);
    }
    if (bytes >= KEPT_MIN_BYTES) {
      this.objects.push(value);
      this.bounds.push(bytes);
      if (this.objects.length > KEPT_OBJECTS) {
        this.objects.shift();
        this.bounds.shift();
      }
    }
    return bytes;
  }
}
