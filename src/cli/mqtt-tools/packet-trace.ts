import { formatPacketTrace, type ProtocolVersion } from '../../protocol/index.js';
import type { MqttClient, PacketTrace } from '../../client/index.js';

/**
 * `--trace`: prints every packet the client sends and receives to stderr, decoded
 * and as a hex dump beside its ASCII, one blank line after each. stdout stays the
 * messages, so `midge sub --trace ... > messages.txt` still works.
 */
export function tracePackets(client: MqttClient, version: ProtocolVersion, write: (text: string) => void = writeStderr): void {
  client.on('packet', (trace: PacketTrace) => {
    const direction = trace.direction === 'out' ? 'sent' : 'received';
    write(`${formatPacketTrace(trace.packet, trace.bytes, direction, { version })}\n\n`);
  });
}

function writeStderr(text: string): void {
  process.stderr.write(text);
}
