import type {
  ForwardedProperties, StoredDelivery, StoredMessage, StoredSession, StoredSubscription, StoredWill,
} from '../broker/index.js';
import type { ProtocolVersion, QoS, RetainHandling } from '../protocol/index.js';

/** Thrown when a row cannot be read back: the store is corrupt or from an unknown version. */
export class StoreCorruptError extends Error {}

/** A row of `messages` or `retained` as SQLite hands it back. */
export interface MessageRow {
  id: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string | null;
  created_at: number;
  expires_at: number | null;
  origin: string | null;
  confidential: number;
}

export interface SessionRow { client_id: string; record: string; will_payload: Buffer | null }
export interface InboundRow { client_id: string; packet_id: number }
export interface SubscriptionRow {
  client_id: string; filter: string; qos: number; no_local: number; retain_as_published: number;
  retain_handling: number; subscription_id: number | null;
}
export interface DeliveryRow {
  client_id: string; seq: number; message_id: number; qos: number; retain: number;
  subscription_ids: string | null; packet_id: number | null; state: string;
}

/**
 * The values of a row in the order its `...Params` function binds them, for
 * {@link rowChecksum}: what was written and what is read back are summed alike.
 */
export const rowValues = {
  message: (r: MessageRow): unknown[] => [
    r.id, r.topic, r.payload, r.qos, r.retain, r.properties, r.created_at, r.expires_at, r.origin, r.confidential,
  ],
  session: (r: SessionRow): unknown[] => [r.client_id, r.record, r.will_payload],
  subscription: (r: SubscriptionRow): unknown[] => [
    r.client_id, r.filter, r.qos, r.no_local, r.retain_as_published, r.retain_handling, r.subscription_id,
  ],
  delivery: (r: DeliveryRow): unknown[] => [
    r.client_id, r.seq, r.message_id, r.qos, r.retain, r.subscription_ids, r.packet_id, r.state,
  ],
  inbound: (r: InboundRow): unknown[] => [r.client_id, r.packet_id],
};

/** v5 properties as JSON; correlation data is binary and goes as base64. */
export function encodeProperties(p: ForwardedProperties | undefined): string | null {
  if (!p) return null;
  return JSON.stringify({ ...p, correlationData: p.correlationData?.toString('base64') });
}

export function decodeProperties(text: string | null): ForwardedProperties | undefined {
  if (text === null) return undefined;
  const raw = parseJson(text) as ForwardedProperties & { correlationData?: string };
  const out: ForwardedProperties = { ...raw, correlationData: undefined };
  if (raw.correlationData !== undefined) out.correlationData = Buffer.from(raw.correlationData, 'base64');
  else delete out.correlationData;
  return out;
}

/** Parameters for an insert into `messages` or `retained`. */
export function messageParams(m: StoredMessage): unknown[] {
  return [
    m.id, m.topic, m.payload, m.qos, m.retain ? 1 : 0, encodeProperties(m.properties), m.createdAt, m.expiresAt ?? null,
    m.origin ?? null, m.confidential ? 1 : 0,
  ];
}

export function decodeMessage(r: MessageRow): StoredMessage {
  if (!Buffer.isBuffer(r.payload)) throw new StoreCorruptError(`message ${r.id} has no payload`);
  return {
    id: r.id, topic: r.topic, payload: r.payload, qos: qos(r.qos), retain: r.retain !== 0,
    properties: decodeProperties(r.properties), createdAt: r.created_at,
    expiresAt: r.expires_at ?? undefined, origin: r.origin ?? undefined, confidential: r.confidential !== 0,
  };
}

/** A session row: the record as JSON, the will's payload (binary) beside it. */
export function sessionParams(s: StoredSession): unknown[] {
  const will = s.will;
  const record = {
    protocolVersion: s.protocolVersion, expiryInterval: s.expiryInterval, disconnectedAt: s.disconnectedAt,
    username: s.username,
    will: will && {
      delayInterval: will.delayInterval, expiryInterval: will.expiryInterval,
      message: { ...will.message, payload: undefined, properties: encodeProperties(will.message.properties) },
    },
  };
  return [s.clientId, JSON.stringify(record), will ? will.message.payload : null];
}

export function decodeSession(r: SessionRow): StoredSession {
  const rec = parseJson(r.record) as {
    protocolVersion: ProtocolVersion; expiryInterval: number; disconnectedAt?: number; username?: string;
    will?: { delayInterval: number; expiryInterval?: number; message: Omit<StoredMessage, 'payload' | 'properties'> & { properties: string | null } };
  };
  let will: StoredWill | undefined;
  if (rec.will) {
    const m = rec.will.message;
    will = {
      delayInterval: rec.will.delayInterval, expiryInterval: rec.will.expiryInterval,
      message: {
        id: m.id, topic: m.topic, payload: r.will_payload ?? Buffer.alloc(0), qos: qos(m.qos), retain: m.retain,
        properties: decodeProperties(m.properties), createdAt: m.createdAt, expiresAt: m.expiresAt, origin: m.origin,
        confidential: m.confidential,
      },
    };
  }
  if (![3, 4, 5].includes(rec.protocolVersion) || typeof rec.expiryInterval !== 'number') {
    throw new StoreCorruptError(`session '${r.client_id}' has an invalid record`);
  }
  return {
    clientId: r.client_id, protocolVersion: rec.protocolVersion, expiryInterval: rec.expiryInterval,
    disconnectedAt: rec.disconnectedAt, will, username: rec.username,
  };
}

export function subscriptionParams(s: StoredSubscription): unknown[] {
  return [s.clientId, s.filter, s.qos, s.noLocal ? 1 : 0, s.retainAsPublished ? 1 : 0, s.retainHandling, s.subscriptionId ?? null];
}

export function decodeSubscription(r: SubscriptionRow): StoredSubscription {
  return {
    clientId: r.client_id, filter: r.filter, qos: qos(r.qos), noLocal: r.no_local !== 0,
    retainAsPublished: r.retain_as_published !== 0, retainHandling: retainHandling(r.retain_handling),
    subscriptionId: r.subscription_id ?? undefined,
  };
}

export function deliveryParams(d: StoredDelivery): unknown[] {
  return [
    d.clientId, d.seq, d.messageId, d.qos, d.retain ? 1 : 0,
    d.subscriptionIds ? d.subscriptionIds.join(',') : null, d.packetId ?? null, d.state,
  ];
}

export function decodeDelivery(r: DeliveryRow): StoredDelivery {
  if (r.state !== 'queued' && r.state !== 'sent' && r.state !== 'released') {
    throw new StoreCorruptError(`delivery ${r.client_id}/${r.seq} has state '${r.state}'`);
  }
  const q = qos(r.qos);
  if (q === 0) throw new StoreCorruptError(`delivery ${r.client_id}/${r.seq} has QoS 0`);
  return {
    clientId: r.client_id, seq: r.seq, messageId: r.message_id, qos: q, retain: r.retain !== 0,
    subscriptionIds: r.subscription_ids === null ? undefined : r.subscription_ids.split(',').map(Number),
    packetId: r.packet_id ?? undefined, state: r.state,
  };
}

function qos(n: number): QoS {
  if (n !== 0 && n !== 1 && n !== 2) throw new StoreCorruptError(`invalid QoS ${n}`);
  return n;
}

function retainHandling(n: number): RetainHandling {
  if (n !== 0 && n !== 1 && n !== 2) throw new StoreCorruptError(`invalid retain handling ${n}`);
  return n;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new StoreCorruptError(`unreadable record: ${text.slice(0, 40)}`);
  }
}
