import type {
  ForwardedProperties, StoredDelivery, StoredMessage, StoredSession, StoredSubscription, StoredWill,
} from '../broker/index.js';
import type { ProtocolVersion, QoS, RetainHandling } from '../protocol/index.js';
import { deliverySum, messageSum } from './row-checksum.js';
import {
  deliveryState, packDeliveryFlags, packMessageFlags, rowSums,
  type DeliveryRow, type MessageRow, type SessionRow, type SubscriptionRow,
} from './sqlite-rows.js';

/** Thrown when a row cannot be read back: the store is corrupt or from an unknown version. */
export class StoreCorruptError extends Error {}

/**
 * The values of a `messages` or `retained` insert, in `row` (reused from row to
 * row: a commit allocates nothing per message), with the checksum and the small
 * fields packed ({@link packMessageFlags}).
 */
export function fillMessageRow(row: unknown[], m: StoredMessage): void {
  const properties = encodeProperties(m.properties);
  const expiresAt = m.expiresAt ?? null;
  const origin = m.origin ?? null;
  const retain = m.retain ? 1 : 0;
  const confidential = m.confidential ? 1 : 0;
  row[0] = m.id;
  row[1] = m.topic;
  row[2] = m.payload;
  row[3] = properties;
  row[4] = m.createdAt;
  row[5] = expiresAt;
  row[6] = origin;
  const sum = messageSum(m.id, m.topic, m.payload, m.qos, retain, properties, m.createdAt, expiresAt, origin, confidential);
  row[7] = packMessageFlags(sum, m.qos, m.retain, m.confidential === true);
}

/** The values of a `deliveries` insert, in `row` (reused), like {@link fillMessageRow}. */
export function fillDeliveryRow(row: unknown[], d: StoredDelivery): void {
  const subscriptionIds = d.subscriptionIds ? d.subscriptionIds.join(',') : null;
  const packetId = d.packetId ?? null;
  row[0] = d.clientId;
  row[1] = d.seq;
  row[2] = d.messageId;
  row[3] = subscriptionIds;
  row[4] = packetId;
  const sum = deliverySum(d.clientId, d.seq, d.messageId, d.qos, d.retain ? 1 : 0, subscriptionIds, packetId, d.state);
  row[5] = packDeliveryFlags(sum, d.qos, d.retain, d.state);
}

export function decodeMessage(r: MessageRow): StoredMessage {
  const [id, topic, payload, properties, createdAt, expiresAt, origin] = r;
  if (!Buffer.isBuffer(payload)) throw new StoreCorruptError(`message ${id} has no payload`);
  const f = r[7] ?? 0;
  return {
    id, topic, payload, qos: qos(f & 3), retain: (f & 4) !== 0, properties: decodeProperties(properties), createdAt,
    expiresAt: expiresAt ?? undefined, origin: origin ?? undefined, confidential: (f & 8) !== 0,
  };
}

/** A session row with its checksum: the record as JSON, the will's payload (binary) beside it. */
export function sessionRow(s: StoredSession): SessionRow {
  const will = s.will;
  const record = {
    protocolVersion: s.protocolVersion, expiryInterval: s.expiryInterval, disconnectedAt: s.disconnectedAt,
    username: s.username,
    will: will && {
      delayInterval: will.delayInterval, expiryInterval: will.expiryInterval,
      message: { ...will.message, payload: undefined, properties: encodeProperties(will.message.properties) },
    },
  };
  const row: SessionRow = [s.clientId, JSON.stringify(record), will ? will.message.payload : null, null];
  row[3] = rowSums.session(row);
  return row;
}

export function decodeSession(r: SessionRow): StoredSession {
  const [clientId, text, willPayload] = r;
  const rec = parseJson(text) as {
    protocolVersion: ProtocolVersion; expiryInterval: number; disconnectedAt?: number; username?: string;
    will?: { delayInterval: number; expiryInterval?: number; message: Omit<StoredMessage, 'payload' | 'properties'> & { properties: string | null } };
  };
  let will: StoredWill | undefined;
  if (rec.will) {
    const m = rec.will.message;
    will = {
      delayInterval: rec.will.delayInterval, expiryInterval: rec.will.expiryInterval,
      message: {
        id: m.id, topic: m.topic, payload: willPayload ?? Buffer.alloc(0), qos: qos(m.qos), retain: m.retain,
        properties: decodeProperties(m.properties), createdAt: m.createdAt, expiresAt: m.expiresAt, origin: m.origin,
        confidential: m.confidential,
      },
    };
  }
  if (![3, 4, 5].includes(rec.protocolVersion) || typeof rec.expiryInterval !== 'number') {
    throw new StoreCorruptError(`session '${clientId}' has an invalid record`);
  }
  return {
    clientId, protocolVersion: rec.protocolVersion, expiryInterval: rec.expiryInterval,
    disconnectedAt: rec.disconnectedAt, will, username: rec.username,
  };
}

/** A subscription row with its checksum. */
export function subscriptionRow(s: StoredSubscription): SubscriptionRow {
  const row: SubscriptionRow = [
    s.clientId, s.filter, s.qos, s.noLocal ? 1 : 0, s.retainAsPublished ? 1 : 0, s.retainHandling, s.subscriptionId ?? null, null,
  ];
  row[7] = rowSums.subscription(row);
  return row;
}

export function decodeSubscription(r: SubscriptionRow): StoredSubscription {
  const [clientId, filter, q, noLocal, retainAsPublished, handling, subscriptionId] = r;
  return {
    clientId, filter, qos: qos(q), noLocal: noLocal !== 0, retainAsPublished: retainAsPublished !== 0,
    retainHandling: retainHandling(handling), subscriptionId: subscriptionId ?? undefined,
  };
}

export function decodeDelivery(r: DeliveryRow): StoredDelivery {
  const [clientId, seq, messageId, subscriptionIds, packetId] = r;
  const f = r[5] ?? 0;
  const state = deliveryState(f);
  if (state === undefined) throw new StoreCorruptError(`delivery ${clientId}/${seq} has no valid state`);
  const q = qos(f & 3);
  if (q === 0) throw new StoreCorruptError(`delivery ${clientId}/${seq} has QoS 0`);
  return {
    clientId, seq, messageId, qos: q, retain: (f & 4) !== 0,
    subscriptionIds: subscriptionIds === null ? undefined : subscriptionIds.split(',').map(Number),
    packetId: packetId ?? undefined, state,
  };
}

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
