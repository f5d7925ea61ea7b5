import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStoredMessage, encodeStoredMessage, type StoredMessage } from '../../src/broker/index.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/cluster/index.js';

const message: StoredMessage = {
  id: 42, topic: 'a/ü/b', payload: Buffer.from([0, 1, 2, 255]), qos: 2, retain: true,
  properties: { payloadFormatIndicator: 0, contentType: 'bin', responseTopic: 'r', correlationData: Buffer.from([9, 0]), userProperties: [['k', 'v'], ['k', 'w']] },
  createdAt: 1_700_000_000_123, expiresAt: 1_700_000_060_000, origin: 'publisher', confidential: true,
};

describe('the cluster envelope', () => {
  it('carries messages, payload bytes and properties included, each with its targets and their shared groups', () => {
    const targets = [{ clientId: 'one', group: undefined }, { clientId: 'twö', group: 'workers' }, { clientId: '', group: '' }];
    const other = { ...message, id: 43, topic: 'x', payload: Buffer.from('second') };
    const decoded = decodeEnvelope(encodeEnvelope([
      { message: encodeStoredMessage(message), targets }, { message: encodeStoredMessage(other), targets: [targets[1]!] },
    ]));
    assert.deepEqual(decoded, [{ message, targets }, { message: other, targets: [targets[1]] }]);
  });

  it('carries a message without optional fields as it was', () => {
    const bare: StoredMessage = { ...message, retain: false, properties: undefined, expiresAt: undefined, origin: undefined, confidential: false, payload: Buffer.alloc(0) };
    assert.deepEqual(decodeStoredMessage(encodeStoredMessage(bare)), bare);
  });

  it('refuses bytes that are not an envelope', () => {
    assert.throws(() => decodeEnvelope(Buffer.from('not an envelope')), TypeError);
    const truncated = encodeEnvelope([{ message: encodeStoredMessage(message), targets: [{ clientId: 'one', group: 'g' }] }]);
    assert.throws(() => decodeEnvelope(truncated.subarray(0, truncated.length - 3)), TypeError);
  });
});
