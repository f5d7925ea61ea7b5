import type { Properties } from './packets.js';

/** Wire data types of properties (section 2.2.2.2). */
export type PropertyDataType = 'byte' | 'uint16' | 'uint32' | 'varint' | 'utf8' | 'binary' | 'pair';

/**
 * Where a property may appear: a packet type name, or WILL for the will
 * properties of a CONNECT payload.
 */
export type PropertyPlace =
  | 'CONNECT' | 'CONNACK' | 'PUBLISH' | 'PUBACK' | 'PUBREC' | 'PUBREL' | 'PUBCOMP'
  | 'SUBSCRIBE' | 'SUBACK' | 'UNSUBSCRIBE' | 'UNSUBACK' | 'DISCONNECT' | 'AUTH' | 'WILL';

/** One row of the property table (section 2.2.2.2). */
export interface PropertyDefinition {
  id: number;
  key: keyof Properties;
  type: PropertyDataType;
  /** The places that may carry it; anywhere else is a protocol error. */
  places: readonly PropertyPlace[];
  /** May appear more than once (user properties; subscription ids in PUBLISH). */
  repeatable: boolean;
}

const ACKS: readonly PropertyPlace[] = ['PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBACK', 'UNSUBACK'];

/** The MQTT 5.0 property table, in identifier order. */
export const propertyDefinitions: readonly PropertyDefinition[] = [
  { id: 0x01, key: 'payloadFormatIndicator', type: 'byte', places: ['PUBLISH', 'WILL'], repeatable: false },
  { id: 0x02, key: 'messageExpiryInterval', type: 'uint32', places: ['PUBLISH', 'WILL'], repeatable: false },
  { id: 0x03, key: 'contentType', type: 'utf8', places: ['PUBLISH', 'WILL'], repeatable: false },
  { id: 0x08, key: 'responseTopic', type: 'utf8', places: ['PUBLISH', 'WILL'], repeatable: false },
  { id: 0x09, key: 'correlationData', type: 'binary', places: ['PUBLISH', 'WILL'], repeatable: false },
  { id: 0x0b, key: 'subscriptionIdentifiers', type: 'varint', places: ['PUBLISH', 'SUBSCRIBE'], repeatable: true },
  { id: 0x11, key: 'sessionExpiryInterval', type: 'uint32', places: ['CONNECT', 'CONNACK', 'DISCONNECT'], repeatable: false },
  { id: 0x12, key: 'assignedClientIdentifier', type: 'utf8', places: ['CONNACK'], repeatable: false },
  { id: 0x13, key: 'serverKeepAlive', type: 'uint16', places: ['CONNACK'], repeatable: false },
  { id: 0x15, key: 'authenticationMethod', type: 'utf8', places: ['CONNECT', 'CONNACK', 'AUTH'], repeatable: false },
  { id: 0x16, key: 'authenticationData', type: 'binary', places: ['CONNECT', 'CONNACK', 'AUTH'], repeatable: false },
  { id: 0x17, key: 'requestProblemInformation', type: 'byte', places: ['CONNECT'], repeatable: false },
  { id: 0x18, key: 'willDelayInterval', type: 'uint32', places: ['WILL'], repeatable: false },
  { id: 0x19, key: 'requestResponseInformation', type: 'byte', places: ['CONNECT'], repeatable: false },
  { id: 0x1a, key: 'responseInformation', type: 'utf8', places: ['CONNACK'], repeatable: false },
  { id: 0x1c, key: 'serverReference', type: 'utf8', places: ['CONNACK', 'DISCONNECT'], repeatable: false },
  { id: 0x1f, key: 'reasonString', type: 'utf8', places: ['CONNACK', ...ACKS, 'DISCONNECT', 'AUTH'], repeatable: false },
  { id: 0x21, key: 'receiveMaximum', type: 'uint16', places: ['CONNECT', 'CONNACK'], repeatable: false },
  { id: 0x22, key: 'topicAliasMaximum', type: 'uint16', places: ['CONNECT', 'CONNACK'], repeatable: false },
  { id: 0x23, key: 'topicAlias', type: 'uint16', places: ['PUBLISH'], repeatable: false },
  { id: 0x24, key: 'maximumQoS', type: 'byte', places: ['CONNACK'], repeatable: false },
  { id: 0x25, key: 'retainAvailable', type: 'byte', places: ['CONNACK'], repeatable: false },
  {
    id: 0x26, key: 'userProperties', type: 'pair',
    places: ['CONNECT', 'CONNACK', 'PUBLISH', 'WILL', ...ACKS, 'SUBSCRIBE', 'UNSUBSCRIBE', 'DISCONNECT', 'AUTH'],
    repeatable: true,
  },
  { id: 0x27, key: 'maximumPacketSize', type: 'uint32', places: ['CONNECT', 'CONNACK'], repeatable: false },
  { id: 0x28, key: 'wildcardSubscriptionAvailable', type: 'byte', places: ['CONNACK'], repeatable: false },
  { id: 0x29, key: 'subscriptionIdentifiersAvailable', type: 'byte', places: ['CONNACK'], repeatable: false },
  { id: 0x2a, key: 'sharedSubscriptionAvailable', type: 'byte', places: ['CONNACK'], repeatable: false },
];

/** Property definitions indexed by identifier (undefined for unknown identifiers). */
export const propertyById: readonly (PropertyDefinition | undefined)[] = (() => {
  const table: (PropertyDefinition | undefined)[] = new Array(0x80).fill(undefined);
  for (const def of propertyDefinitions) table[def.id] = def;
  return table;
})();

/** Property definitions indexed by their key in {@link Properties}. */
export const propertyByKey: ReadonlyMap<keyof Properties, PropertyDefinition> = new Map(
  propertyDefinitions.map((d) => [d.key, d]),
);
