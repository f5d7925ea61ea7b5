import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';

/** A message as MQTT.js delivered it. */
export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
}

/**
 * Connects MQTT.js to a local broker and resolves on CONNACK (rejects on error
 * or after the timeout). Reconnection is off unless asked for, so a refused or
 * dropped connection shows in the test instead of being retried.
 */
export function connectMqttJs(port: number, options: IClientOptions = {}, timeoutMs = 5000, beforeConnect?: (client: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect({ host: '127.0.0.1', port, reconnectPeriod: 0, connectTimeout: timeoutMs, ...options });
    beforeConnect?.(client);
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error('MQTT.js did not connect in time'));
    }, timeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err) => {
      clearTimeout(timer);
      client.end(true);
      reject(err);
    });
  });
}

/** Collects the messages a client receives, with a way to wait for a count. */
export function collect(client: MqttClient): { messages: Received[]; waitFor(n: number, timeoutMs?: number): Promise<Received[]> } {
  const messages: Received[] = [];
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, packet });
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    async waitFor(n: number, timeoutMs = 5000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => { clearTimeout(t); resolve(); });
        });
      }
      return messages;
    },
  };
}

/** Ends a client and waits for it. */
export function endMqttJs(client: MqttClient, force = false): Promise<void> {
  return new Promise((resolve) => client.end(force, {}, () => resolve()));
}

/**
 * Connects and starts collecting messages before the CONNACK arrives, so that
 * messages a resumed session sends right after it are not missed.
 */
export async function connectCollecting(port: number, options: IClientOptions = {}): Promise<{ client: MqttClient; inbox: ReturnType<typeof collect> }> {
  let inbox: ReturnType<typeof collect> | undefined;
  const client = await connectMqttJs(port, options, 5000, (c) => { inbox = collect(c); });
  return { client, inbox: inbox! };
}
