import { decodeStoredMessage, type StoredMessage } from '../broker/index.js';

/** One session a routed message is for, and the shared group it was chosen for, if any. */
export interface Target {
  clientId: string;
  group: string | undefined;
}

/** One message routed to a node, and every session of that node that gets it. */
export interface Routed {
  message: StoredMessage;
  targets: Target[];
}

/**
 * An inbox entry: the messages one node routed to another in one event-loop turn,
 * each once with the sessions that get it. The receiving node matches each topic
 * again against each session's own subscriptions (the sender's copy may lag).
 */
export type Envelope = Routed[];

/** A message already encoded (once, however many nodes it goes to) with its targets on one node. */
export interface EncodedRouted {
  message: Buffer;
  targets: readonly Target[];
}

const VERSION = 2;
const NO_GROUP = 0xffff;

/**
 * `[version][u16 count]` then per message `[u32 length][message][u16 count]`
 * and per target `[u16 length][client id][u16 length or 0xFFFF][group]`.
 */
export function encodeEnvelope(items: readonly EncodedRouted[]): Buffer {
  let size = 3;
  const strings: Buffer[] = [];
  for (const item of items) {
    size += 4 + item.message.length + 2;
    for (const t of item.targets) {
      const id = Buffer.from(t.clientId, 'utf8');
      strings.push(id);
      size += 4 + id.length;
      if (t.group !== undefined) {
        const group = Buffer.from(t.group, 'utf8');
        strings.push(group);
        size += group.length;
      }
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt8(VERSION, 0);
  at = out.writeUInt16BE(items.length, at);
  let next = 0;
  for (const item of items) {
    at = out.writeUInt32BE(item.message.length, at);
    at += item.message.copy(out, at);
    at = out.writeUInt16BE(item.targets.length, at);
    for (const t of item.targets) {
      const id = strings[next++]!;
      at = out.writeUInt16BE(id.length, at);
      at += id.copy(out, at);
      if (t.group === undefined) {
        at = out.writeUInt16BE(NO_GROUP, at);
      } else {
        const group = strings[next++]!;
        at = out.writeUInt16BE(group.length, at);
        at += group.copy(out, at);
      }
    }
  }
  return out;
}

/** Decodes what {@link encodeEnvelope} wrote; throws a TypeError for anything else. */
export function decodeEnvelope(bytes: Buffer): Envelope {
  try {
    return readEnvelope(bytes);
  } catch (err) {
    // Reads past the end throw RangeError: to the inbox, all bad bytes are one case.
    if (err instanceof RangeError) throw new TypeError('cluster envelope truncated', { cause: err });
    throw err;
  }
}

function readEnvelope(bytes: Buffer): Envelope {
  if (bytes.length < 3 || bytes.readUInt8(0) !== VERSION) throw new TypeError('not a midge cluster envelope');
  const count = bytes.readUInt16BE(1);
  let at = 3;
  const items: Envelope = [];
  for (let m = 0; m < count; m++) {
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) throw new TypeError('cluster envelope truncated');
    const message = decodeStoredMessage(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
    const targetCount = bytes.readUInt16BE(at);
    at += 2;
    const targets: Target[] = [];
    for (let i = 0; i < targetCount; i++) {
      const idLength = bytes.readUInt16BE(at);
      const clientId = bytes.toString('utf8', at + 2, at + 2 + idLength);
      at += 2 + idLength;
      const groupLength = bytes.readUInt16BE(at);
      at += 2;
      let group: string | undefined;
      if (groupLength !== NO_GROUP) {
        group = bytes.toString('utf8', at, at + groupLength);
        at += groupLength;
      }
      if (at > bytes.length) throw new TypeError('cluster envelope truncated');
      targets.push({ clientId, group });
    }
    items.push({ message, targets });
  }
  return items;
}

/** A hand-over request: the client connected to `from`, which now owns it with `token`. */
export interface HandoverRequest {
  clientId: string;
  token: string;
  clean: boolean;
  from: string;
}

export function encodeRequest(value: HandoverRequest): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeRequest(bytes: Buffer): HandoverRequest {
  const v = JSON.parse(bytes.toString('utf8')) as HandoverRequest;
  if (typeof v.clientId !== 'string' || typeof v.token !== 'string' || typeof v.from !== 'string') throw new TypeError('bad hand-over request');
  return v;
}
