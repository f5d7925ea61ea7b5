/**
 * Unit tests of a session (src/broker/session.ts) on a fake link and the memory store:
 * what it sends and when, what it queues, drops and resends, and what it keeps on disk,
 * without a socket or a broker around it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMessage, silentLogger, type BrokerMessage, type OutgoingPublish, type SessionLink } from '../../src/broker/index.js';
import { FlowControl } from '../../src/broker/flow-control.js';
import { Session, type DropReason, type SessionLimits } from '../../src/broker/session.js';
import type { ReadChecked } from '../../src/broker/session-queue.js';
import { MemoryStore } from '../../src/persistence/index.js';
import type { QoS } from '../../src/protocol/index.js';

/** A link that records what the session sends, and can be made to look congested. */
class FakeLink implements SessionLink {
  readonly protocolVersion = 5 as const;
  readonly principal = { clientId: 'c', username: undefined, listener: 'test' };
  readonly sent: OutgoingPublish[] = [];
  readonly pubrels: number[] = [];
  congested = false;
  closed: string | undefined;

  constructor(readonly encrypted = false) {}

  writable(): boolean {
    return !this.congested;
  }

  sendPublish(publish: OutgoingPublish): boolean {
    this.sent.push(publish);
    return true;
  }

  sendPubrel(packetId: number): void {
    this.pubrels.push(packetId);
  }

  close(_reasonCode: number, reason: string): void {
    this.closed = reason;
  }

  payloads(): string[] {
    return this.sent.map((p) => p.message.payload.toString());
  }
}

/** The events a session reports to the broker. */
class Events {
  readonly drops: Array<[DropReason, string]> = [];
  dropped(_session: Session, reason: DropReason, message: BrokerMessage): void {
    this.drops.push([reason, message.payload.toString()]);
  }
  withheld(): void {}
  /** Payloads the connected client may not read (a reload took its grant away). */
  readonly unreadable = new Set<string>();
  /** What routing's read check was, as each transmission reports it. */
  readonly checks: Array<[string, ReadChecked]> = [];
  mayReceive(_session: Session, _link: SessionLink, message: BrokerMessage, checked: ReadChecked): boolean {
    this.checks.push([message.payload.toString(), { checkedFor: checked.checkedFor, checkedVersion: checked.checkedVersion }]);
    return !this.unreadable.has(message.payload.toString());
  }
  /** The version of the read rules (undefined: none, ask at every transmission). */
  rulesVersion: number | undefined = undefined;
  readVersion(): number | undefined {
    return this.rulesVersion;
  }
  readonly flow = new FlowControl({
    highWaterMark: 1 << 20, lowWaterMark: 1 << 19, maxQueuedBytesTotal: Infinity, slowConsumerTimeoutMs: 5000, disconnectSlowConsumers: false,
  }, silentLogger);
}

const limits = (over: Partial<SessionLimits> = {}): SessionLimits => ({ inflightWindow: 2, maxQueuedMessages: 3, maxQueuedBytes: Infinity, ...over });

function message(payload: string, qos: QoS = 1): BrokerMessage {
  return createMessage({ topic: 't', payload: Buffer.from(payload), qos, retain: false, properties: undefined, createdAt: Date.now(), expiresAt: undefined, origin: undefined });
}

function deliver(session: Session, ...payloads: string[]): void {
  for (const p of payloads) session.deliver(message(p), 1, false, undefined);
}

describe('a session on a fake link', () => {
  it('keeps no more QoS 1 messages in flight than its window and sends the queue in order as acknowledgements free it [MQTT-4.6.0-6]', () => {
    const session = new Session('c', 5, 0, limits({ maxQueuedMessages: 10 }), undefined, new Events());
    const link = new FakeLink();
    session.attach(link);
    deliver(session, 'm1', 'm2', 'm3', 'm4');
    assert.deepEqual(link.payloads(), ['m1', 'm2']);
    assert.equal(session.queuedCount, 2);
    assert.ok(session.complete(link.sent[0]!.packetId!));
    session.pump();
    assert.deepEqual(link.payloads(), ['m1', 'm2', 'm3']);
    assert.equal(session.complete(999), false, 'an unknown packet id completes nothing');
  });

  it('drops QoS 0 while offline, queues what a congested but draining link cannot take, and drops beyond max_queued_messages once the client is slow', () => {
    const events = new Events();
    const session = new Session('c', 5, 0, limits(), undefined, events);
    session.deliver(message('offline', 0), 0, false, undefined);
    const link = new FakeLink();
    session.attach(link);
    link.congested = true;
    let paused = 0;
    const publisher = { pauseInput: () => { paused++; return () => { paused--; }; } };
    events.flow.begin(publisher);
    session.deliver(message('congested', 0), 0, false, undefined);
    deliver(session, 'q1', 'q2', 'q3', 'q4');
    assert.equal(events.flow.end(), true, 'the publisher that overfilled the queue waits for room');
    assert.deepEqual(events.drops, [['offline-qos0', 'offline']], 'a client that drains loses nothing: its publishers wait instead');
    assert.equal(paused, 1, 'the publisher is paused');
    assert.equal(link.sent.length, 0, 'nothing goes out while the link is congested');
    session.flow.slow = true;
    deliver(session, 'q5');
    assert.deepEqual(events.drops, [['offline-qos0', 'offline'], ['queue-full', 'q5']], 'a slow client is held to its bounds');
  });

  it('checks each queued message against the client\'s read access when it is sent: one it may not read is dropped and its place freed', () => {
    const events = new Events();
    const session = new Session('c', 5, 0, limits({ inflightWindow: 1, maxQueuedMessages: 10 }), undefined, events);
    deliver(session, 'mine 1', 'not mine', 'mine 2');
    events.unreadable.add('not mine');
    const link = new FakeLink();
    session.attach(link);
    assert.ok(session.complete(link.sent[0]!.packetId!));
    session.pump();
    assert.deepEqual(link.payloads(), ['mine 1', 'mine 2'], 'the unreadable message never reaches the link, and does not hold the window');
    assert.deepEqual(events.drops, [['not-authorized', 'not mine']]);
  });

  it('hands the check at transmission the principal and rules\' version it was routed under while online, and nothing for what came while offline', () => {
    const events = new Events();
    events.rulesVersion = 7;
    const session = new Session('c', 5, 0, limits({ inflightWindow: 1, maxQueuedMessages: 10 }), undefined, events);
    deliver(session, 'offline');
    const link = new FakeLink();
    session.attach(link);
    deliver(session, 'online');
    link.congested = true;
    session.deliver(message('qos0', 0), 0, false, undefined);
    link.congested = false;
    assert.ok(session.complete(link.sent[0]!.packetId!));
    session.pump();
    const routed = { checkedFor: link.principal, checkedVersion: 7 };
    assert.deepEqual(events.checks, [
      ['offline', { checkedFor: undefined, checkedVersion: undefined }], ['qos0', routed], ['online', routed],
    ]);
    assert.equal(events.checks[1]![1].checkedFor, link.principal, 'the very principal object of the link');
  });

  it('refuses more queued bytes than max_queued_bytes allows', () => {
    const events = new Events();
    const session = new Session('c', 5, 0, limits({ inflightWindow: 1, maxQueuedMessages: 100, maxQueuedBytes: 5 }), undefined, events);
    deliver(session, 'abc', 'de', 'f');
    assert.deepEqual(events.drops, [['queue-full', 'f']]);
    assert.equal(session.queuedCount, 2);
  });

  it('resends what was in flight with DUP set on a new link, then the queue, in order [MQTT-4.4.0-1] [MQTT-3.3.1-1]', () => {
    const session = new Session('c', 5, 3600, limits(), undefined, new Events());
    const first = new FakeLink();
    session.attach(first);
    deliver(session, 'm1', 'm2', 'm3');
    session.detach(Date.now());
    const second = new FakeLink();
    session.attach(second);
    assert.deepEqual(second.sent.map((p) => [p.message.payload.toString(), p.dup, p.packetId]), [
      ['m1', true, first.sent[0]!.packetId], ['m2', true, first.sent[1]!.packetId],
    ]);
    session.complete(first.sent[0]!.packetId!);
    session.pump();
    assert.deepEqual(second.sent.map((p) => [p.message.payload.toString(), p.dup]).slice(2), [['m3', false]]);
  });

  it('queues, sends and resends as before in every round, after each of its queues was emptied and each link replaced (three rounds)', () => {
    // An idle session's queues share one empty array until first used (issue 19): every round
    // here empties them and uses them again.
    const session = new Session('c', 5, 0, limits({ maxQueuedMessages: 10 }), undefined, new Events());
    for (let round = 1; round <= 3; round++) {
      const link = new FakeLink();
      session.attach(link);
      link.congested = true;
      deliver(session, `a${round}`, `b${round}`, `c${round}`);
      session.deliver(message(`z${round}`, 0), 0, false, undefined);
      link.congested = false;
      session.pump();
      assert.deepEqual(link.payloads(), [`z${round}`, `a${round}`, `b${round}`], `round ${round}: QoS 0 first, then the window`);
      session.detach(Date.now());
      const again = new FakeLink();
      session.attach(again);
      assert.deepEqual(again.payloads(), [`a${round}`, `b${round}`], `round ${round}: what was in flight is resent`);
      assert.ok(again.sent.every((p) => p.dup), 'with DUP set [MQTT-3.3.1-1]');
      for (const p of [...again.sent]) assert.ok(session.complete(p.packetId!));
      session.pump();
      assert.deepEqual(again.payloads().slice(2), [`c${round}`], `round ${round}: then the queue`);
      assert.ok(session.complete(again.sent[2]!.packetId!));
      assert.equal(session.queuedCount + session.inflightCount, 0, `round ${round}: nothing left`);
    }
  });

  it('answers PUBREC with PUBREL and resends PUBREL, not the PUBLISH, on a new link [MQTT-4.3.3-4]', () => {
    const session = new Session('c', 5, 3600, limits(), undefined, new Events());
    const first = new FakeLink();
    session.attach(first);
    session.deliver(message('q2', 2), 2, false, undefined);
    const id = first.sent[0]!.packetId!;
    assert.ok(session.received(id, false));
    assert.deepEqual(first.pubrels, [id]);
    const second = new FakeLink();
    session.attach(second);
    assert.deepEqual([second.sent.length, second.pubrels], [0, [id]]);
  });
});

describe('a persistent session on the memory store', () => {
  it('sends a QoS 1 PUBLISH only once its packet id is on disk, and the store keeps it until it is acknowledged', async () => {
    const store = new MemoryStore();
    await store.open();
    const session = new Session('c', 5, 3600, limits(), store, new Events());
    assert.equal(session.durable, true);
    store.saveSession(session.record());
    const link = new FakeLink();
    session.attach(link);
    deliver(session, 'kept');
    assert.equal(link.sent.length, 0, 'the PUBLISH waits for the commit of its packet id');
    await store.commit();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(link.payloads(), ['kept']);
    const crashed = await store.snapshot().restore();
    assert.deepEqual(crashed.deliveries.map((d) => [d.clientId, d.state, d.packetId]), [['c', 'sent', link.sent[0]!.packetId]]);
    assert.deepEqual(crashed.messages.map((m) => m.payload.toString()), ['kept']);
    session.complete(link.sent[0]!.packetId!);
    await store.commit();
    const after = await store.snapshot().restore();
    assert.deepEqual([after.deliveries, after.messages], [[], []], 'an acknowledged delivery and its message are gone');
  });

  it('writes nothing for a session that ends with its connection', async () => {
    const store = new MemoryStore();
    await store.open();
    const session = new Session('c', 5, 0, limits(), store, new Events());
    session.attach(new FakeLink());
    deliver(session, 'gone');
    assert.equal(store.pending, false);
    assert.deepEqual((await store.restore()).deliveries, []);
  });
});
