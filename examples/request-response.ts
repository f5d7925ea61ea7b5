/**
 * MQTT 5 request/response (MQTT 5.0 section 4.10). A request carries a Response
 * Topic, where the answer should go, and Correlation Data, which the answer echoes
 * so the requester can match answers to questions. The service and the requester
 * are both in this program to keep the demo in one file.
 *
 *   node --import tsx examples/request-response.ts
 */
import { randomUUID } from 'node:crypto';
import { MqttClient, connect } from 'midge/client';

const url = process.env.MQTT_URL ?? 'mqtt://localhost:1883';

/** The service: adds the two numbers of each request on `services/add`. */
async function startAdder(): Promise<MqttClient> {
  const service = await connect(url, { protocolVersion: 5, clientId: 'adder-service' });
  service.on('message', (request) => {
    const replyTo = request.properties?.responseTopic;
    if (!replyTo) return; // not a request: nobody to answer
    const [a, b] = JSON.parse(request.payload.toString()) as [number, number];
    void service.publish(replyTo, JSON.stringify(a + b), {
      qos: 1,
      properties: { correlationData: request.properties?.correlationData, contentType: 'application/json' },
    });
  });
  await service.subscribe('services/add', { qos: 1 });
  return service;
}

/** A requester: `add` sends a request and resolves with the answer bearing its Correlation Data. */
interface Requester {
  client: MqttClient;
  add(a: number, b: number): Promise<number>;
}

async function startRequester(): Promise<Requester> {
  // Asking for Response Information makes the broker suggest a topic subtree for answers.
  const client = new MqttClient(url, { protocolVersion: 5, properties: { requestResponseInformation: 1 } });
  const info = await client.connect();
  const replyTo = `${info.properties?.responseInformation ?? `replies/${info.clientId}/`}add`;
  const waiting = new Map<string, (sum: number) => void>();
  client.on('message', (answer) => {
    const key = answer.properties?.correlationData?.toString();
    if (key) waiting.get(key)?.(Number(answer.payload.toString()));
  });
  await client.subscribe(replyTo, { qos: 1 });
  const add = (a: number, b: number): Promise<number> => new Promise((resolve, reject) => {
    const id = randomUUID();
    const timer = setTimeout(() => reject(new Error(`no answer to ${a} + ${b}`)), 5000);
    waiting.set(id, (sum) => {
      clearTimeout(timer);
      waiting.delete(id);
      resolve(sum);
    });
    void client.publish('services/add', JSON.stringify([a, b]), {
      qos: 1,
      properties: { responseTopic: replyTo, correlationData: Buffer.from(id) },
    });
  });
  return { client, add };
}

const service = await startAdder();
const requester = await startRequester();
// Both requests are in flight at once; the correlation data sorts the answers out.
const [first, second] = await Promise.all([requester.add(2, 3), requester.add(40, 2)]);
console.log(`2 + 3 = ${first}`);
console.log(`40 + 2 = ${second}`);
await requester.client.end();
await service.end();
