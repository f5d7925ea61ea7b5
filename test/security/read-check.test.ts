/**
 * The read ACL is asked once per delivery to an online client: routing asks it, and
 * the check at transmission (issue 20: a queued message is checked again when it is
 * delivered) reuses that answer while neither the principal on the link nor the
 * rules changed. A reload changes the rules' version, and then it is asked again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { AclFileAuthorizer } from '../../src/auth/index.js';
import type { Authorizer, ClientPrincipal } from '../../src/broker/ports/auth.js';
import { PacketType, type QoS } from '../../src/protocol/index.js';
import { connect, payloads, publish, receive, subscribe } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import type { RawClient } from '../helpers/raw-client.js';

/** Counts the read checks of the authorizer it wraps; `versioned: false` hides the version. */
class CountingAuthorizer implements Authorizer {
  readonly name = 'counting';
  reads = 0;

  constructor(private readonly inner: AclFileAuthorizer, private readonly versioned = true) {}

  get version(): number | undefined {
    return this.versioned ? this.inner.version : undefined;
  }

  canPublish(client: ClientPrincipal, topic: string, qos: QoS, retain: boolean): boolean {
    return this.inner.canPublish(client, topic, qos, retain);
  }

  canSubscribe(client: ClientPrincipal, filter: string, qos: QoS): boolean {
    return this.inner.canSubscribe(client, filter, qos);
  }

  canReceive(client: ClientPrincipal, topic: string): boolean {
    this.reads++;
    return this.inner.canReceive(client, topic);
  }
}

describe('the read ACL at delivery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midge-read-check-'));
  const acl = join(dir, 'acl');
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function brokerWith(rules: string, versioned = true): Promise<{ midge: InProcessMidge; counter: CountingAuthorizer; inner: AclFileAuthorizer }> {
    writeFileSync(acl, rules);
    const inner = await AclFileAuthorizer.open({ path: acl });
    const counter = new CountingAuthorizer(inner, versioned);
    const midge = await startMidge({ broker: { authorizers: [counter] } });
    cleanups.push(() => midge.stop());
    return { midge, counter, inner };
  }

  async function client(port: number, clientId: string, receiveMaximum = 65535): Promise<RawClient> {
    const c = await connect(port, { version: 5, clientId, properties: { receiveMaximum } });
    cleanups.push(() => c.close());
    return c;
  }

  /** Publishes `count` QoS 1 messages on news/1, news/2, ... and waits for each PUBACK. */
  async function publishNews(publisher: RawClient, count: number): Promise<void> {
    for (let i = 1; i <= count; i++) await publish(publisher, `news/${i}`, `m${i}`, { qos: 1 });
  }

  it('asks once per QoS 1 delivery to an online subscriber, whether sent at once or queued behind a full window', async () => {
    const { midge, counter } = await brokerWith('topic readwrite news/#\n');
    const sub = await client(midge.port, 'reader', 5);
    assert.deepEqual(await subscribe(sub, [['news/#', 1]]), [1]);
    const pub = await client(midge.port, 'writer');
    // Not acknowledged yet: 5 go out at once, 15 wait in the queue for the window.
    await publishNews(pub, 20);
    const got = await receive(sub, 20);
    assert.deepEqual(payloads(got), Array.from({ length: 20 }, (_, i) => `m${i + 1}`));
    assert.equal(counter.reads, 20, 'one read check per delivery');
  });

  it('asks again for what was queued before a reload, and withholds what the new rules deny', async () => {
    const { midge, counter, inner } = await brokerWith('topic readwrite news/#\n');
    const sub = await client(midge.port, 'reader', 1);
    await subscribe(sub, [['news/#', 1]]);
    const pub = await client(midge.port, 'writer');
    // Window of 1, not acknowledged: m1 in flight, m2 and m3 queued, each checked at routing.
    await publishNews(pub, 3);
    const first = await sub.waitForPacket(PacketType.PUBLISH);
    assert.equal(first.payload.toString(), 'm1');
    assert.equal(counter.reads, 3);
    writeFileSync(acl, 'topic write news/#\n');
    await inner.reload();
    sub.send({ type: PacketType.PUBACK, packetId: first.packetId! });
    assert.equal(await sub.quietFor(300), true, 'nothing queued before the reload reaches the client');
    assert.equal(counter.reads, 5, 'the two queued deliveries were checked again');
  });

  it('asks at routing and again at transmission an authorizer that has no version', async () => {
    const { midge, counter } = await brokerWith('topic readwrite news/#\n', false);
    const sub = await client(midge.port, 'reader', 5);
    await subscribe(sub, [['news/#', 1]]);
    const pub = await client(midge.port, 'writer');
    await publishNews(pub, 10);
    assert.equal((await receive(sub, 10)).length, 10);
    assert.equal(counter.reads, 20);
  });
});
