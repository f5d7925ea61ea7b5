import { propertyDefinitions, type Properties, type PropertyDefinition, type PropertyPlace } from '../../protocol/index.js';
import { CliError } from '../errors.js';

/** Which packet a `-D` property goes into, by mosquitto's command name. */
export type PropertyCommand = 'connect' | 'publish' | 'subscribe' | 'unsubscribe' | 'disconnect' | 'will';

/** The v5 properties given with `-D`, per packet. */
export type PropertySets = Partial<Record<PropertyCommand, Properties>>;

const placeOf: Readonly<Record<PropertyCommand, PropertyPlace>> = {
  connect: 'CONNECT', publish: 'PUBLISH', subscribe: 'SUBSCRIBE', unsubscribe: 'UNSUBSCRIBE', disconnect: 'DISCONNECT', will: 'WILL',
};

/** Commands mosquitto knows but whose packets the tools never send. */
const unsupportedCommands = new Set(['connack', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback', 'auth']);

/** Properties the tools never let you set by hand (the client manages them). */
const notSettable: ReadonlyMap<string, PropertyCommand> = new Map([['subscription-identifier', 'publish']]);

/** mosquitto's property names: the spec's names in kebab case ("message-expiry-interval"). */
function propertyName(def: PropertyDefinition): string {
  if (def.key === 'userProperties') return 'user-property';
  if (def.key === 'subscriptionIdentifiers') return 'subscription-identifier';
  if (def.key === 'subscriptionIdentifiersAvailable') return 'subscription-identifier-available';
  if (def.key === 'maximumQoS') return 'maximum-qos';
  return def.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const byName: ReadonlyMap<string, PropertyDefinition> = new Map(propertyDefinitions.map((d) => [propertyName(d), d]));

/** Flag-like properties whose only values are 0 and 1 (section 2.2.2.2). */
const zeroOrOne = new Set<keyof Properties>([
  'payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation', 'maximumQoS', 'retainAvailable',
  'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable',
]);

/** Properties for which 0 is a protocol error (sections 3.1.2.11, 3.3.2.3.4). */
const nonZero = new Set<keyof Properties>(['receiveMaximum', 'maximumPacketSize', 'topicAlias', 'subscriptionIdentifiers']);

/**
 * Parses the words collected from every `-D command property value` (a user
 * property takes two values: `-D publish user-property name value`), as
 * mosquitto's `--property` does. The arity of each group follows from its
 * property, so one flat list of words is enough.
 */
export function parsePropertyFlags(words: readonly string[]): PropertySets {
  const sets: PropertySets = {};
  let i = 0;
  while (i < words.length) {
    const [commandName, name] = [words[i]!.toLowerCase(), words[i + 1]?.toLowerCase()];
    if (name === undefined) throw new CliError('-D argument given but not enough arguments specified.');
    const command = toCommand(commandName);
    const def = byName.get(name);
    if (!def) throw new CliError(`Invalid property name ${name} given in -D argument.`);
    if (!def.places.includes(placeOf[command]) || notSettable.get(name) === command) {
      throw new CliError(`${name} property not allowed for ${commandName} in -D argument.`);
    }
    const arity = def.type === 'pair' ? 2 : 1;
    const values = words.slice(i + 2, i + 2 + arity);
    if (values.length < arity) throw new CliError('-D argument given but not enough arguments specified.');
    addProperty((sets[command] ??= {}), def, name, values);
    i += 2 + arity;
  }
  return sets;
}

function toCommand(name: string): PropertyCommand {
  if (name in placeOf) return name as PropertyCommand;
  if (unsupportedCommands.has(name)) throw new CliError(`${name} properties are not supported in -D argument.`);
  throw new CliError(`Invalid command ${name} given in -D argument.`);
}

function addProperty(target: Properties, def: PropertyDefinition, name: string, values: string[]): void {
  const bag = target as Record<string, unknown>;
  const [value, second] = values as [string, string | undefined];
  switch (def.type) {
    case 'pair':
      target.userProperties = [...(target.userProperties ?? []), [value, second ?? '']];
      return;
    case 'utf8':
      bag[def.key] = value;
      return;
    case 'binary':
      if (Buffer.byteLength(value) > 0xffff) throw new CliError(`Property value too long for property ${name}.`);
      bag[def.key] = Buffer.from(value, 'utf8');
      return;
    default: {
      const max = def.type === 'byte' ? 0xff : def.type === 'uint16' ? 0xffff : def.type === 'varint' ? 268_435_455 : 0xffff_ffff;
      const number = parseInteger(value, name, nonZero.has(def.key) ? 1 : 0, zeroOrOne.has(def.key) ? 1 : max);
      if (def.repeatable) bag[def.key] = [...((bag[def.key] as number[] | undefined) ?? []), number];
      else bag[def.key] = number;
    }
  }
}

function parseInteger(text: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new CliError(`Property value '${text}' not a number.`);
  const value = Number(text);
  if (value < min || value > max) throw new CliError(`Property value (${text}) out of range for property ${name}.`);
  return value;
}
