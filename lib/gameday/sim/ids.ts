/**
 * Deterministic AWS-shaped identifiers. Every id is derived from the seed and a counter through
 * SHA-256, so the same scenario run twice yields the same ids (no Math.random anywhere).
 * Formats follow the EC2 resource id format (prefix + 17 lowercase hex digits):
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html
 */
import { hash } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class IdSource {
  private counter = 0;
  private readonly issued = new Set<string>();

  constructor(private readonly seed: string) {}

  /** What the next digest hashes: the seed and the next counter value. */
  private nextInput(): string {
    this.counter += 1;
    return `${this.seed}:${this.counter}`;
  }

  private digest(): Buffer {
    return hash('sha256', this.nextInput(), 'buffer');
  }

  /** `length` lowercase hex digits. */
  hex(length: number): string {
    let out = '';
    // One-shot hashing to hex (no Hash object, no Buffer per id): a storm issues about 100,000 ids.
    while (out.length < length) out += hash('sha256', this.nextInput(), 'hex');
    return out.slice(0, length);
  }

  /** A new EC2-style id such as `i-0123456789abcdef0`, never issued before by this source. */
  resourceId(prefix: string): string {
    for (;;) {
      const id = `${prefix}-${this.hex(17)}`;
      if (!this.issued.has(id)) {
        this.issued.add(id);
        return id;
      }
    }
  }

  /** Remembers an id chosen by the scenario so that generated ids never collide with it. */
  reserve(id: string): void {
    this.issued.add(id);
  }

  /** A version-4-shaped UUID (request ids, message ids, event ids). */
  uuid(): string {
    const h = this.hex(32);
    // Version 4 in the 13th digit, the variant (8, 9, a or b) in the 17th.
    const variant = '89ab'[parseInt(h[16] ?? '0', 16) % 4] ?? '8';
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** `length` characters of [A-Z0-9], e.g. the tail of an IAM unique id or an access key id. */
  upperAlnum(length: number): string {
    const bytes = this.digest();
    let out = '';
    for (let i = 0; out.length < length; i += 1) {
      const byte = bytes[i % bytes.length] ?? 0;
      out += UPPER_ALNUM[(byte + i) % UPPER_ALNUM.length];
      if (i % bytes.length === bytes.length - 1) bytes.set(this.digest());
    }
    return out;
  }
}

/** True for an EC2 id of the given prefix in the short (8 hex) or long (17 hex) format. */
export function isWellFormedId(id: string, prefix: string): boolean {
  return new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(id);
}
