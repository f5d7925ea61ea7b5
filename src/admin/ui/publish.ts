/// <reference lib="dom" />
import { api } from './api.js';
import { h } from './dom.js';
import type { View } from './view.js';

/** The publish form: the broker publishes the message as if a client had. */
export class PublishView implements View {
  readonly element: HTMLElement;
  private readonly topic = h('input', { id: 'publish-topic', required: true, placeholder: 'e.g. home/kitchen/lamp', autocomplete: 'off' });
  private readonly payload = h('textarea', { id: 'publish-payload', rows: 5 });
  private readonly qos = h('select', { id: 'publish-qos' }, h('option', { value: '0' }, '0'), h('option', { value: '1' }, '1'), h('option', { value: '2' }, '2'));
  private readonly retain = h('input', { type: 'checkbox', id: 'publish-retain' });
  private readonly result = h('p', { class: 'status', role: 'status' });

  constructor() {
    const form = h('form', { class: 'form', onsubmit: (e) => {
      e.preventDefault();
      void this.send();
    } },
    h('label', { for: 'publish-topic' }, 'Topic'), this.topic,
    h('label', { for: 'publish-payload' }, 'Payload'), this.payload,
    h('label', { for: 'publish-qos' }, 'QoS'), this.qos,
    h('label', { class: 'check' }, this.retain, 'Retain'),
    h('div', {}, h('button', { type: 'submit' }, 'Publish')),
    this.result);
    this.element = h('section', { class: 'view', 'aria-label': 'Publish' }, h('h2', {}, 'Publish'), form);
  }

  start(): void {}

  stop(): void {}

  private async send(): Promise<void> {
    try {
      const answer = await api<{ deliveries: number }>('/api/v1/publish', {
        method: 'POST',
        body: { topic: this.topic.value, payload: this.payload.value, qos: Number(this.qos.value), retain: this.retain.checked },
      });
      this.result.textContent = `Published to ${this.topic.value}: delivered to ${answer.deliveries} session${answer.deliveries === 1 ? '' : 's'}`;
    } catch (err) {
      this.result.textContent = `Not published: ${(err as Error).message}`;
    }
  }
}
