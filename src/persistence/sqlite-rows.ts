import type { StoredDelivery } from '../broker/index.js';
import { deliverySum, inboundSum, messageSum, rowChecksum } from './row-checksum.js';

/**
 * Rows as the store writes and reads them (schema 3): the values in the order of
 * the table's columns in `COLUMNS` (sqlite-schema.ts), read in better-sqlite3's
 * raw mode, which builds an array per row instead of an object: cheaper, and
 * restore reads every row of the store.
 */
export type MessageRow = [
  id: number, topic: string, payload: Buffer, properties: string | null, createdAt: number, expiresAt: number | null,
  origin: string | null, checksumFlags: number | null,
];
export type DeliveryRow = [
  clientId: string, seq: number, messageId: number, subscriptionIds: string | null, packetId: number | null, checksumFlags: number | null,
];
export type SessionRow = [clientId: string, record: string, willPayload: Buffer | null, checksum: number | null];
export type SubscriptionRow = [
  clientId: string, filter: string, qos: number, noLocal: number, retainAsPublished: number, retainHandling: number,
  subscriptionId: number | null, checksum: number | null,
];
export type InboundRow = [clientId: string, packetId: number, checksum: number | null];

/**
 * `checksum_flags` of a `messages` or `retained` row: qos in bits 0-1, retain in
 * bit 2, confidential in bit 3, the row's checksum above them (36 bits in all,
 * exact in a double). One integer column instead of four: a commit binds and
 * SQLite stores fewer values per row, which pays for computing the checksum.
 */
export function packMessageFlags(checksum: number, qos: number, retain: boolean, confidential: boolean): number {
  return checksum * MESSAGE_FLAGS_SCALE + qos + (retain ? 4 : 0) + (confidential ? 8 : 0);
}

/**
 * `checksum_flags` of a `deliveries` row: qos in bits 0-1, retain in bit 2, the
 * state in bits 3-4 ({@link DELIVERY_STATES}), the checksum above them.
 */
export function packDeliveryFlags(checksum: number, qos: number, retain: boolean, state: StoredDelivery['state']): number {
  return checksum * DELIVERY_FLAGS_SCALE + qos + (retain ? 4 : 0) + (state === 'queued' ? 0 : state === 'sent' ? 8 : 16);
}

/** What the checksum is multiplied by in `checksum_flags` (the flags are below it). */
export const MESSAGE_FLAGS_SCALE = 16;
export const DELIVERY_FLAGS_SCALE = 32;

/** The states of a delivery by their code in `checksum_flags`; code 3 is none (only a damaged row has it). */
export const DELIVERY_STATES = ['queued', 'sent', 'released'] as const;

/** The state a delivery's flags hold, or undefined for code 3. */
export function deliveryState(flags: number): StoredDelivery['state'] | undefined {
  return DELIVERY_STATES[(flags >> 3) & 3];
}

/** The checksum held in a row's checksum column, or above the flags packed with it. */
export function heldChecksum(column: number, scale: number): number {
  return Math.floor(column / scale);
}

/**
 * The sum of the values of a row as read back, to compare with the checksum it
 * holds: the same function of the same values as the commit that wrote it
 * computed (sqlite-codec.ts). The values, in order, are the columns of schema 2
 * (packed fields unpacked), so that the checksums of a schema 2 store carry over.
 */
export const rowSums = {
  message: (r: MessageRow): number => {
    const f = r[7] ?? 0;
    return messageSum(r[0], r[1], r[2], f & 3, (f >> 2) & 1, r[3], r[4], r[5], r[6], (f >> 3) & 1);
  },
  session: (r: SessionRow): number => rowChecksum([r[0], r[1], r[2]]),
  subscription: (r: SubscriptionRow): number => rowChecksum([r[0], r[1], r[2], r[3], r[4], r[5], r[6]]),
  delivery: (r: DeliveryRow): number => {
    const f = r[5] ?? 0;
    return deliverySum(r[0], r[1], r[2], f & 3, (f >> 2) & 1, r[3], r[4], deliveryState(f) ?? 'unknown');
  },
  inbound: (r: InboundRow): number => inboundSum(r[0], r[1]),
};
