import type { MqttMessage } from '../../client/index.js';
import { jsonTimestamp, type Instant } from './time-format.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The payload as a JSON string when it is UTF-8 text without control characters,
 * otherwise as an array of byte values (as mosquitto_sub built with cJSON does).
 */
function escapedPayload(payload: Buffer): string | number[] {
  try {
    const text = utf8.decode(payload);
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u001f\u007f]/.test(text)) return text;
  } catch {
    // not UTF-8: fall through to the byte array
  }
  return [...payload];
}

/** v5 properties under mosquitto's names, in property-table order. */
function propertiesJson(message: MqttMessage): Record<string, unknown> | undefined {
  const p = message.properties;
  if (!p) return undefined;
  const out: Record<string, unknown> = {};
  if (p.payloadFormatIndicator !== undefined) out['payload-format-indicator'] = p.payloadFormatIndicator;
  if (p.messageExpiryInterval !== undefined) out['message-expiry-interval'] = p.messageExpiryInterval;
  if (p.contentType !== undefined) out['content-type'] = p.contentType;
  if (p.responseTopic !== undefined) out['response-topic'] = p.responseTopic;
  if (p.correlationData !== undefined) out['correlation-data'] = escapedPayload(p.correlationData);
  if (p.subscriptionIdentifiers?.length) out['subscription-identifier'] = p.subscriptionIdentifiers[0];
  if (p.topicAlias !== undefined) out['topic-alias'] = p.topicAlias;
  if (p.userProperties?.length) out['user-properties'] = Object.fromEntries(p.userProperties);
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * mosquitto_sub's `%j` (`payload: 'escaped'`, the payload as a JSON string) and
 * `%J` (`'parsed'`, the payload must itself be JSON and is embedded as such).
 * Returns undefined when `%J` meets a payload that is not JSON.
 */
export function messageJson(message: MqttMessage, time: Instant, payload: 'escaped' | 'parsed', pretty: boolean): string | undefined {
  const json: Record<string, unknown> = {
    tst: jsonTimestamp(time),
    topic: message.topic,
    qos: message.qos,
    retain: message.retain ? 1 : 0,
    payloadlen: message.payload.length,
  };
  if (message.qos > 0) json.mid = message.packetId ?? 0;
  const properties = propertiesJson(message);
  if (properties) json.properties = properties;
  if (payload === 'escaped') {
    json.payload = escapedPayload(message.payload);
  } else if (message.payload.length === 0) {
    json.payload = null;
  } else {
    try {
      json.payload = JSON.parse(utf8.decode(message.payload)) as unknown;
    } catch {
      return undefined;
    }
  }
  return pretty ? JSON.stringify(json, null, '\t') : JSON.stringify(json);
}
