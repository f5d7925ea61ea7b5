import type { AccessControl } from './access-control.js';
import type { FlowControl } from './flow-control.js';
import type { Hooks } from './hooks.js';
import type { BrokerMessage } from './message.js';
import type { Logger } from './ports/logger.js';
import type { SessionLink } from './ports/session-link.js';
import type { QueuePager } from './queue-paging.js';
import type { DropReason, Session, SessionEvents } from './session.js';
import type { ReadChecked } from './session-queue.js';
import type { BrokerStats } from './stats.js';

/** Clients remembered as already told about in the log for withheld messages; past this the memory starts again. */
const WITHHELD_LOGGED_MAX = 10_000;

/**
 * What every session asks of and reports to the broker ({@link SessionEvents}): whether
 * a delivery may go to the client now (the read ACL at transmission), the flow control
 * and the queue pager it shares with the others; a drop is counted, told to flow control
 * (unless the client may not read it: unreadable is not slow) and to the `messageDropped`
 * hook; a confidential message kept from a plain link, or one the client may no longer
 * read, is counted every time and logged once per client, so a busy topic cannot flood the log.
 */
export class SessionReports implements SessionEvents {
  private readonly logged = new Set<string>();

  constructor(
    readonly flow: FlowControl,
    readonly pager: QueuePager | undefined,
    private readonly access: Pick<AccessControl, 'canStillReceive' | 'readVersion'>,
    private readonly stats: BrokerStats,
    private readonly hooks: Hooks,
    private readonly logger: Logger,
  ) {}

  /** The read check when a queued or in-flight delivery is transmitted. */
  mayReceive(_session: Session, link: SessionLink, message: BrokerMessage, checked: ReadChecked): boolean {
    return this.access.canStillReceive(link, message.topic, checked.checkedFor, checked.checkedVersion);
  }

  /** The version of the read rules a delivery routed to `link` was checked under. */
  readVersion(link: SessionLink): number | undefined {
    return this.access.readVersion(link);
  }

  dropped(session: Session, reason: DropReason, message: BrokerMessage): void {
    this.stats.countDrop(reason);
    // Unreadable is not slow: the flow control's drop report is about queues that are full.
    if (reason !== 'not-authorized') this.flow.dropped(session, reason, Date.now());
    else if (this.firstTimeFor(`read:${session.clientId}`)) {
      this.logger.warn({ clientId: session.clientId, username: session.link?.principal.username, topic: message.topic, reason: 'no read access' },
        'messages queued for this client id that its user may not read were dropped');
    }
    if (this.hooks.has('messageDropped')) this.hooks.emit('messageDropped', { session, message, reason });
  }

  withheld(session: { readonly clientId: string }, message: BrokerMessage): void {
    this.stats.withheldConfidential++;
    if (!this.firstTimeFor(session.clientId)) return;
    this.logger.warn({ clientId: session.clientId, topic: message.topic, reason: 'confidential message, link not encrypted' },
      'confidential messages withheld from this client until it connects over an encrypted listener');
  }

  /** True the first time a key is seen (bounded): one log line per client for repeated events. */
  private firstTimeFor(key: string): boolean {
    if (this.logged.has(key)) return false;
    if (this.logged.size >= WITHHELD_LOGGED_MAX) this.logged.clear();
    this.logged.add(key);
    return true;
  }
}
