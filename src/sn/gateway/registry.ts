import type { SnClientLink } from './client-link.js';
import { ReasonCode } from '../../protocol/index.js';

/**
 * The gateway's clients by address key, connecting, active or asleep; their number is
 * bounded by `maxClients`. A slot is freed as soon as a client ends: DISCONNECT,
 * refusal, loss, keep alive or sleep running out, or a takeover.
 */
export class SnClientRegistry {
  private readonly byKey = new Map<string, SnClientLink>();
  /** Clients per IP address. */
  private readonly byHost = new Map<string, number>();

  get size(): number {
    return this.byKey.size;
  }

  /** Clients whose datagrams come from this IP address. */
  countFrom(host: string): number {
    return this.byHost.get(host) ?? 0;
  }

  get(key: string): SnClientLink | undefined {
    return this.byKey.get(key);
  }

  add(link: SnClientLink): void {
    const previous = this.byKey.get(link.address.key);
    if (previous) this.remove(previous);
    this.byKey.set(link.address.key, link);
    this.byHost.set(link.address.address, this.countFrom(link.address.address) + 1);
  }

  /** Forgets a client, unless another one took its key since. */
  remove(link: SnClientLink): void {
    if (this.byKey.get(link.address.key) !== link) return;
    this.byKey.delete(link.address.key);
    const left = this.countFrom(link.address.address) - 1;
    if (left > 0) this.byHost.set(link.address.address, left);
    else this.byHost.delete(link.address.address);
  }

  values(): SnClientLink[] {
    return [...this.byKey.values()];
  }

  /**
   * Ends the clients whose time ran out at `now`: the keep alive (or sleep) duration
   * with its tolerance, or the connect timeout while the will is being prompted for or
   * the address check is unanswered. A client that never proved its address never
   * really connected: it ends without its will.
   */
  sweep(now: number): void {
    for (const link of this.byKey.values()) {
      if (link.deadline === undefined || now <= link.deadline) continue;
      if (link.open && !link.addressProven) link.end(ReasonCode.UnspecifiedError, 'no answer to the address check within the connect timeout', true);
      else if (link.open) link.lose(link.state === 'active' ? 'keep alive timeout' : 'sleep timer ran out');
      else link.end(ReasonCode.UnspecifiedError, 'the connection setup did not finish within the connect timeout', true);
    }
  }
}
