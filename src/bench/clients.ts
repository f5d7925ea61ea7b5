import type { ConnectionListener, LoadConnection } from './connection.js';
import type { Publisher } from './publisher.js';
import type { ReceiveAccounting } from './receiver.js';

/** What the clients of a worker report to it. */
export interface ClientHost {
  onReady(conn: LoadConnection): void;
  onFailed(conn: LoadConnection, reason: string): void;
  onDropped(conn: LoadConnection, reason: string): void;
  /** A packet this client did not expect (a PUBLISH to a publisher, an ack to a subscriber). */
  onStray(conn: LoadConnection): void;
  /** A publisher may be able to send again. */
  requestPump(): void;
  /** Subscribers read a chunk: publish progress to shared memory. */
  afterRead(): void;
}

/** Lifecycle events go to the host; packets nobody expects count as strays. */
abstract class Client implements ConnectionListener {
  constructor(protected readonly host: ClientHost) {}
  onReady(conn: LoadConnection): void { this.host.onReady(conn); }
  onFailed(conn: LoadConnection, reason: string): void { this.host.onFailed(conn, reason); }
  onDropped(conn: LoadConnection, reason: string): void { this.host.onDropped(conn, reason); }
  onPublish(conn: LoadConnection, _firstByte: number, _body: Buffer, _payloadStart: number, _rxNs: number): void {
    this.host.onStray(conn);
  }
  onAck(conn: LoadConnection, _type: number, _packetId: number): void { this.host.onStray(conn); }
  onWritable(): void {}
  onReadDone(): void {}
}

/** A subscriber: every PUBLISH goes to the worker's accounting with this subscriber's stream slots. */
export class SubscriberClient extends Client {
  constructor(host: ClientHost, private readonly receiving: ReceiveAccounting, readonly slots: Int32Array | number[]) {
    super(host);
  }

  override onPublish(_conn: LoadConnection, firstByte: number, body: Buffer, payloadStart: number, rxNs: number): void {
    this.receiving.record(this.slots, firstByte, body, payloadStart, rxNs);
  }

  override onReadDone(): void {
    this.host.afterRead();
  }
}

/** A publisher: acknowledgements and a drained socket may let it send again. */
export class PublisherClient extends Client {
  publisher: Publisher | undefined;

  override onAck(_conn: LoadConnection, type: number, packetId: number): void {
    this.publisher!.onAck(type, packetId);
    this.host.requestPump();
  }

  override onWritable(): void {
    this.host.requestPump();
  }
}

/** An idle connection (the `conn` mode): it only keeps itself alive. */
export class IdleClient extends Client {}
