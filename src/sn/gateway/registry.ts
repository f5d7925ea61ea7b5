import type { SnClientLink } from './client-link.js';
import { ReasonCode } from '../../protocol/index.js';

/**
 * The gateway's clients by address key, connecting, active or asleep; their number is
 * bounded by `maxClients`. A slot is freed as soon as a client ends: DISCONNECT,
 * refusal, loss, keep alive or sleep running out, or a takeover.
 */
export class SnClientRegistry {
  private readonly byKey = new Map<string, SnClientLink>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): SnClientLink | undefined {
    return this.byKey.get(key);
  }

  add(link: SnClientLink): void {
    this.byKey.set(link.address.key, link);
  }

  /** Forgets a client, unless another one took its key since. */
  remove(link: SnClientLink): void {
    if (this.byKey.get(link.address.key) === link) this.byKey.delete(link.address.key);
  }

  values(): SnClientLink[] {
    return [...this.byKey.values()];
  }

  /**
   * Ends the clients whose time ran out at `now`: the keep alive (or sleep) duration
   * with its tolerance, or the connect timeout while the will is being prompted for.
   */
  sweep(now: number): void {
    for (const link of this.byKey.values()) {
      if (link.deadline === undefined || now <= link.deadline) continue;
      if (link.open) link.lose(link.state === 'active' ? 'keep alive timeout' : 'sleep timer ran out');
      else link.end(ReasonCode.UnspecifiedError, 'the connection setup did not finish within the connect timeout', true);
    }
  }
}
