/** mosquitto_sub's output rules (-F, -v, -N, %j/%J), checked on the pure formatter with a fixed clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MqttMessage } from '../../src/client/index.js';
import { formatMessage, renderFormat } from '../../src/cli/mqtt-tools/output-format.js';
import { utcOffset, type Instant } from '../../src/cli/mqtt-tools/time-format.js';

// 2024-05-06 21:48:00.123456789 local time, whatever the time zone of the machine.
const local = new Date(2024, 4, 6, 21, 48, 0, 123);
const time: Instant = { epochMs: local.getTime(), nanos: 123_456_789 };
const offset = utcOffset(local);

const message: MqttMessage = {
  topic: 'sensors/a', payload: Buffer.from('hello'), qos: 1, retain: true, dup: false, packetId: 42,
  properties: {
    userProperties: [['k', 'v'], ['k2', 'v2']], contentType: 'text/plain', correlationData: Buffer.from('c-1'),
    responseTopic: 'reply/here', messageExpiryInterval: 30, payloadFormatIndicator: 1, topicAlias: 3, subscriptionIdentifiers: [9],
  },
};

const render = (format: string, m: MqttMessage = message): string => renderFormat(format, m, time, false).bytes.toString('latin1');

describe('-F format', () => {
  test('the message fields: %t %p %q %r %l %m %x %X %%', () => {
    assert.equal(render('%t|%p|%q|%r|%l|%m|%x|%X|%%'), 'sensors/a|hello|1|1|5|42|68656c6c6f|68656C6C6F|%');
  });

  test('the v5 properties: %P %C %D %R %E %F %A %S', () => {
    assert.equal(render('%P|%C|%D|%R|%E|%F|%A|%S'), 'k:v k2:v2|text/plain|c-1|reply/here|30|1|3|9');
  });

  test('the times: %I ISO 8601, %U Unix with nanoseconds, @ strftime fields with @N nanoseconds and @@', () => {
    assert.equal(render('%I'), `2024-05-06T21:48:00${offset}`);
    assert.equal(render('%U'), `${Math.floor(time.epochMs / 1000)}.123456789`);
    assert.equal(render('@Y-@m-@d @H:@M:@S.@N @@'), '2024-05-06 21:48:00.123456789 @');
  });

  test('backslash escapes: \\\\ \\0 \\a \\e \\n \\r \\t \\v', () => {
    assert.equal(render('\\\\\\0\\a\\e\\n\\r\\t\\v'), '\\\0\x07\x1b\n\r\t\v');
  });

  test('width, left alignment, zero padding and precision, as printf', () => {
    assert.equal(render('[%12t][%-12t][%.3t][%5m][%-5m][%05m]'), '[   sensors/a][sensors/a   ][sen][   42][42   ][00042]');
  });

  test('a width cuts the payload to that many bytes and pads the rest, as mosquitto_sub does', () => {
    assert.equal(render('[%3p][%8p][%-8p]'), '[hel][   hello][hello   ]');
  });

  test('properties a message lacks print as padding only', () => {
    const plain: MqttMessage = { topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false };
    assert.equal(render('[%C][%3E][%R][%P][%D][%m]', plain), '[][   ][][][][0]');
  });

  test('%j is a JSON object with the payload as a string; binary payloads become byte arrays', () => {
    const json = JSON.parse(render('%j')) as Record<string, unknown>;
    assert.deepEqual(json, {
      tst: `2024-05-06T21:48:00.123456Z${offset}`, topic: 'sensors/a', qos: 1, retain: 1, payloadlen: 5, mid: 42,
      properties: {
        'payload-format-indicator': 1, 'message-expiry-interval': 30, 'content-type': 'text/plain', 'response-topic': 'reply/here',
        'correlation-data': 'c-1', 'subscription-identifier': 9, 'topic-alias': 3, 'user-properties': { k: 'v', k2: 'v2' },
      },
      payload: 'hello',
    });
    const binary = JSON.parse(render('%j', { topic: 'b', payload: Buffer.from([0, 255]), qos: 0, retain: false, dup: false })) as { payload: unknown };
    assert.deepEqual(binary.payload, [0, 255]);
  });

  test('%J embeds a JSON payload as JSON, and reports a payload that is not JSON', () => {
    const doc = { topic: 'j', payload: Buffer.from('{"a":[1,2]}'), qos: 0, retain: false, dup: false } as const;
    assert.deepEqual((JSON.parse(render('%J', doc)) as { payload: unknown }).payload, { a: [1, 2] });
    const bad = renderFormat('%J', message, time, false);
    assert.equal(bad.bytes.length, 0);
    assert.equal(bad.error, 'Message payload is not valid JSON on topic sensors/a.');
  });

  test('--pretty indents the JSON', () => {
    assert.match(renderFormat('%j', message, time, true).bytes.toString(), /^\{\n\t"tst"/);
  });
});

describe('output without -F', () => {
  const empty: MqttMessage = { topic: 't/e', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false };

  test('the payload and an end of line; -N leaves the end of line out', () => {
    assert.equal(formatMessage(message, { verbose: false, eol: true, pretty: false }, time).bytes.toString(), 'hello\n');
    assert.equal(formatMessage(message, { verbose: false, eol: false, pretty: false }, time).bytes.toString(), 'hello');
  });

  test('-v puts the topic first; an empty payload prints "(null)" with -v and nothing without', () => {
    assert.equal(formatMessage(message, { verbose: true, eol: true, pretty: false }, time).bytes.toString(), 'sensors/a hello\n');
    assert.equal(formatMessage(empty, { verbose: true, eol: true, pretty: false }, time).bytes.toString(), 't/e (null)\n');
    assert.equal(formatMessage(empty, { verbose: false, eol: true, pretty: false }, time).bytes.length, 0);
  });

  test('-F wins over -v and gets an end of line unless -N', () => {
    assert.equal(formatMessage(message, { format: '%t', verbose: true, eol: true, pretty: false }, time).bytes.toString(), 'sensors/a\n');
  });
});
