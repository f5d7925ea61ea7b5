import {
  decodeStoredMessage, encodeStoredMessage,
  type RestoredState, type StoredDelivery, type StoredSession, type StoredSubscription,
} from '../broker/index.js';

/**
 * How the Redis store keeps a client's records: one hash per client, so that a
 * session is read with one HGETALL and deleted with one DEL. Fields:
 * `rec` the session, `s:<filter>` a subscription, `d:<seq>` a delivery,
 * `b:<seq>` the message of that delivery, `i:<packetId>` an inbound QoS 2 id.
 * Records are JSON; messages are bytes (their payload never base64'd).
 */
export const FIELD = { session: 'rec', subscription: 's:', delivery: 'd:', body: 'b:', inbound: 'i:' } as const;

interface SessionJson {
  pv: StoredSession['protocolVersion'];
  ex: number;
  da?: number;
  un?: string;
  w?: { d: number; e?: number; m: string };
}

interface SubscriptionJson {
  q: StoredSubscription['qos'];
  nl?: 1;
  rap?: 1;
  rh: StoredSubscription['retainHandling'];
  id?: number;
}

interface DeliveryJson {
  m: number;
  q: 1 | 2;
  r?: 1;
  si?: number[];
  p?: number;
  st: StoredDelivery['state'];
}

export function encodeSession(s: StoredSession): string {
  const json: SessionJson = { pv: s.protocolVersion, ex: s.expiryInterval };
  if (s.disconnectedAt !== undefined) json.da = s.disconnectedAt;
  if (s.username !== undefined) json.un = s.username;
  if (s.will) {
    json.w = { d: s.will.delayInterval, m: encodeStoredMessage(s.will.message).toString('base64') };
    if (s.will.expiryInterval !== undefined) json.w.e = s.will.expiryInterval;
  }
  return JSON.stringify(json);
}

export function decodeSession(clientId: string, text: string): StoredSession {
  const j = JSON.parse(text) as SessionJson;
  return {
    clientId,
    protocolVersion: j.pv,
    expiryInterval: j.ex,
    disconnectedAt: j.da,
    will: j.w ? { delayInterval: j.w.d, expiryInterval: j.w.e, message: decodeStoredMessage(Buffer.from(j.w.m, 'base64')) } : undefined,
    username: j.un,
  };
}

export function encodeSubscription(s: StoredSubscription): string {
  const json: SubscriptionJson = { q: s.qos, rh: s.retainHandling };
  if (s.noLocal) json.nl = 1;
  if (s.retainAsPublished) json.rap = 1;
  if (s.subscriptionId !== undefined) json.id = s.subscriptionId;
  return JSON.stringify(json);
}

export function decodeSubscription(clientId: string, filter: string, text: string): StoredSubscription {
  const j = JSON.parse(text) as SubscriptionJson;
  return { clientId, filter, qos: j.q, noLocal: j.nl === 1, retainAsPublished: j.rap === 1, retainHandling: j.rh, subscriptionId: j.id };
}

export function encodeDelivery(d: StoredDelivery): string {
  const json: DeliveryJson = { m: d.messageId, q: d.qos, st: d.state };
  if (d.retain) json.r = 1;
  if (d.subscriptionIds !== undefined) json.si = d.subscriptionIds;
  if (d.packetId !== undefined) json.p = d.packetId;
  return JSON.stringify(json);
}

export function decodeDelivery(clientId: string, seq: number, text: string): StoredDelivery {
  const j = JSON.parse(text) as DeliveryJson;
  return { clientId, seq, messageId: j.m, qos: j.q, retain: j.r === 1, subscriptionIds: j.si, packetId: j.p, state: j.st };
}

/**
 * Adds one client's hash (as HGETALL returned it) to `state`. Each delivery's
 * message comes from its own `b:` field. With `seen`, messages are listed once by
 * id (one broker wrote them all, so an id is one message); without it (a session
 * other nodes wrote to, whose ids may collide) each delivery's message gets an id
 * of its own from `nextId`.
 */
export function addClientRecords(
  state: RestoredState, clientId: string, fields: Record<string, Buffer>, seen: Set<number> | undefined, nextId: () => number,
): void {
  for (const [field, value] of Object.entries(fields)) {
    if (field === FIELD.session) {
      state.sessions.push(decodeSession(clientId, value.toString('utf8')));
    } else if (field.startsWith(FIELD.subscription)) {
      state.subscriptions.push(decodeSubscription(clientId, field.slice(FIELD.subscription.length), value.toString('utf8')));
    } else if (field.startsWith(FIELD.delivery)) {
      const seq = Number(field.slice(FIELD.delivery.length));
      const body = fields[FIELD.body + seq];
      if (!body) continue;
      const delivery = decodeDelivery(clientId, seq, value.toString('utf8'));
      const message = decodeStoredMessage(body);
      if (!seen) message.id = nextId();
      // The delivery names the message it carries, whatever id it had when written.
      delivery.messageId = message.id;
      state.deliveries.push(delivery);
      if (!seen?.has(message.id)) {
        seen?.add(message.id);
        state.messages.push(message);
      }
    } else if (field.startsWith(FIELD.inbound)) {
      state.inbound.push({ clientId, packetId: Number(field.slice(FIELD.inbound.length)) });
    }
  }
}

/** An empty restored state. */
export function emptyState(): RestoredState {
  return { sessions: [], subscriptions: [], messages: [], deliveries: [], inbound: [], retained: [] };
}
