/** How the tools read their flags: -D properties, -L URLs, TLS files, session and will settings. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectionSetup, type ConnectionFlags } from '../../src/cli/mqtt-tools/connection-flags.js';
import { parsePropertyFlags } from '../../src/cli/mqtt-tools/property-flags.js';
import { tlsOptionsFrom } from '../../src/cli/mqtt-tools/tls-flags.js';

const base: ConnectionFlags = { host: 'localhost', keepalive: 60, qos: 0 };

describe('-D properties', () => {
  test('groups are read by their property\'s arity: a user property takes a name and a value', () => {
    const sets = parsePropertyFlags([
      'publish', 'user-property', 'a', '1', 'publish', 'message-expiry-interval', '30',
      'connect', 'session-expiry-interval', '60', 'will', 'content-type', 'text/plain', 'PUBLISH', 'user-property', 'b', '2',
    ]);
    assert.deepEqual(sets.publish, { userProperties: [['a', '1'], ['b', '2']], messageExpiryInterval: 30 });
    assert.deepEqual(sets.connect, { sessionExpiryInterval: 60 });
    assert.deepEqual(sets.will, { contentType: 'text/plain' });
  });

  test('binary properties become bytes and mosquitto\'s names map to the v5 property table', () => {
    const sets = parsePropertyFlags([
      'publish', 'correlation-data', 'xyz', 'connect', 'maximum-packet-size', '1000', 'connect', 'request-problem-information', '0',
      'subscribe', 'subscription-identifier', '7', 'disconnect', 'reason-string', 'bye',
    ]);
    assert.deepEqual(sets.publish?.correlationData, Buffer.from('xyz'));
    assert.deepEqual(sets.connect, { maximumPacketSize: 1000, requestProblemInformation: 0 });
    assert.deepEqual(sets.subscribe, { subscriptionIdentifiers: [7] });
    assert.deepEqual(sets.disconnect, { reasonString: 'bye' });
  });

  test('wrong commands, names, places, values and missing words are refused with mosquitto\'s wording', () => {
    assert.throws(() => parsePropertyFlags(['publsh', 'content-type', 'x']), /Invalid command publsh/);
    assert.throws(() => parsePropertyFlags(['puback', 'reason-string', 'x']), /not supported/);
    assert.throws(() => parsePropertyFlags(['publish', 'colour', 'x']), /Invalid property name colour/);
    assert.throws(() => parsePropertyFlags(['connect', 'topic-alias', '1']), /topic-alias property not allowed for connect/);
    assert.throws(() => parsePropertyFlags(['publish', 'subscription-identifier', '1']), /not allowed for publish/);
    assert.throws(() => parsePropertyFlags(['publish', 'topic-alias', '70000']), /out of range/);
    assert.throws(() => parsePropertyFlags(['publish', 'topic-alias', '0']), /out of range/);
    assert.throws(() => parsePropertyFlags(['publish', 'payload-format-indicator', '2']), /out of range/);
    assert.throws(() => parsePropertyFlags(['publish', 'message-expiry-interval', 'soon']), /not a number/);
    assert.throws(() => parsePropertyFlags(['publish', 'user-property', 'only-a-name']), /not enough arguments/);
  });
});

describe('connection flags', () => {
  test('-h and -p make an mqtt:// URL, and TLS flags make it mqtts:// on 8883', () => {
    assert.equal(connectionSetup({ ...base, host: '127.0.0.1', port: 1999 }, 'pub').url.href, 'mqtt://127.0.0.1:1999');
    const tls = connectionSetup({ ...base, cafile: new URL(import.meta.url).pathname }, 'sub');
    assert.equal(tls.url.href, 'mqtts://localhost:8883');
    assert.ok(tls.options.tls?.ca);
  });

  test('-L takes scheme, credentials, host, port and topic from the URL, ws:// and wss:// included', () => {
    const setup = connectionSetup({ ...base, url: 'ws://al%40ce:p%3Ass@example.net:9001/a/b%2Fc' }, 'pub');
    assert.equal(setup.url.href, 'ws://example.net:9001/');
    assert.deepEqual([setup.options.username, setup.options.password, setup.urlTopic], ['al@ce', 'p:ss', 'a/b/c']);
    assert.equal(connectionSetup({ ...base, url: 'mqtts://[::1]/t' }, 'pub').url.href, 'mqtts://[::1]:8883');
  });

  test('the client identifier defaults to midge_<tool>_<pid>; -I prefixes the pid', () => {
    assert.equal(connectionSetup(base, 'rr').options.clientId, `midge_rr_${process.pid}`);
    assert.equal(connectionSetup({ ...base, idPrefix: 'dev-' }, 'pub').options.clientId, `dev-${process.pid}`);
  });

  test('-A binds the socket to a local address, and -u/-P give the credentials', () => {
    const setup = connectionSetup({ ...base, bindAddress: '127.0.0.1', username: 'u', pw: 'p' }, 'pub');
    assert.deepEqual([setup.options.localAddress, setup.options.username, setup.options.password], ['127.0.0.1', 'u', 'p']);
  });

  test('rr defaults to MQTT v5 and the others to 3.1.1', () => {
    assert.equal(connectionSetup(base, 'rr').version, 5);
    assert.equal(connectionSetup(base, 'sub').version, 4);
  });

  test('-c keeps the session; in v5 its Session Expiry Interval then defaults to never, -x overrides it', () => {
    const kept = connectionSetup({ ...base, protocolVersion: 5, disableCleanSession: true, id: 'me' }, 'sub');
    assert.equal(kept.options.clean, false);
    assert.equal(kept.options.properties?.sessionExpiryInterval, 0xffffffff);
    const timed = connectionSetup({ ...base, protocolVersion: 5, sessionExpiryInterval: 30 }, 'sub');
    assert.equal(timed.options.properties?.sessionExpiryInterval, 30);
    assert.equal(connectionSetup({ ...base, protocolVersion: 4, sessionExpiryInterval: 30 }, 'sub').options.properties, undefined);
  });

  test('the will gets its topic, payload, QoS, retain flag and -D will properties', () => {
    const setup = connectionSetup({
      ...base, protocolVersion: 5, willTopic: 'w', willPayload: 'bye', willQos: 2, willRetain: true, property: ['will', 'will-delay-interval', '10'],
    }, 'pub');
    assert.deepEqual(setup.options.will, { topic: 'w', payload: 'bye', qos: 2, retain: true, properties: { willDelayInterval: 10 } });
  });

  test('--insecure keeps the chain check and skips only the host name check', () => {
    const { turnsOn, options } = tlsOptionsFrom({ insecure: true, tlsVersion: 'tlsv1.3' });
    assert.equal(turnsOn, false, '--insecure alone does not turn TLS on');
    assert.equal(options.rejectUnauthorized, undefined);
    assert.equal(options.checkServerIdentity?.('other.example', {} as never), undefined);
    assert.equal(options.minVersion, 'TLSv1.3');
  });
});
