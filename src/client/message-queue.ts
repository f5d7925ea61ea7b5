import { topicMatches } from '../protocol/index.js';
import type { MqttMessage } from './session-types.js';

/**
 * The async iterator behind `client.messages()`: buffers messages until the loop
 * asks for them, ends when the client ends, and throws the error that made the
 * client give up. Leaving the loop (`break`) unregisters it.
 */
export class MessageQueue implements AsyncIterableIterator<MqttMessage> {
  private readonly buffered: MqttMessage[] = [];
  private waiter: { resolve: (r: IteratorResult<MqttMessage>) => void; reject: (e: Error) => void } | undefined;
  private finished = false;
  private failure: Error | undefined;

  /**
   * @param detach called once when the consumer stops iterating
   * @param filter only messages whose topic matches this filter are queued
   */
  constructor(private readonly detach: (queue: MessageQueue) => void, private readonly filter?: string) {}

  /** Offers a message; ignored when it does not match the filter or the queue has ended. */
  push(message: MqttMessage): void {
    if (this.finished) return;
    if (this.filter !== undefined && !topicMatches(this.filter, message.topic)) return;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: message, done: false });
    } else {
      this.buffered.push(message);
    }
  }

  /** Ends the iteration once the buffered messages are consumed; with an error, that error is thrown then. */
  close(error?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    if (!this.waiter) return;
    const { resolve, reject } = this.waiter;
    this.waiter = undefined;
    if (error) reject(error);
    else resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<MqttMessage>> {
    const message = this.buffered.shift();
    if (message) return Promise.resolve({ value: message, done: false });
    if (this.finished) {
      const failure = this.failure;
      this.failure = undefined;
      return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<MqttMessage>> {
    this.finished = true;
    this.buffered.length = 0;
    this.detach(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MqttMessage> {
    return this;
  }
}
