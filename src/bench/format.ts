import type { LatencyPercentiles } from './histogram.js';
import type { BenchSummary } from './summary.js';

const number = new Intl.NumberFormat('en-US');
const n = (value: number): string => number.format(Math.round(value));

/** `94 µs`, `1.37 ms`, `2.1 s`: durations in the unit that reads best. */
export function formatMicros(us: number): string {
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

function percentiles(p: LatencyPercentiles | undefined): string {
  if (!p) return 'no samples';
  return `p50 ${formatMicros(p.p50Us)}  p90 ${formatMicros(p.p90Us)}  p99 ${formatMicros(p.p99Us)}  ` +
    `p99.9 ${formatMicros(p.p999Us)}  max ${formatMicros(p.maxUs)}  (${n(p.samples)} samples)`;
}

function headline(s: BenchSummary): string {
  const version = `MQTT ${['', '', '', '3.1', '3.1.1', '5.0'][s.settings.protocolVersion]}`;
  const flow = `QoS ${s.settings.qos}, ${n(s.settings.payloadSize)} B payload, ${version}`;
  const c = n(s.settings.clients);
  switch (s.mode) {
    case 'pub': return `midge bench pub: ${c} publishers to ${s.target}, ${flow}`;
    case 'sub': return `midge bench sub: ${c} subscribers at ${s.target}, QoS ${s.settings.qos}, ${version}`;
    case 'conn': return `midge bench conn: ${c} connections to ${s.target}, ${version}`;
    case 'pubsub': return `midge bench pubsub: ${c} publishers, ${n(s.settings.subscribers)} subscribers at ${s.target}, ${flow}`;
  }
}

function connectionLine(s: BenchSummary): string {
  const c = s.connections;
  let line = `${n(c.connected)} of ${n(c.attempted)} connected, ${n(c.failed)} failed, ${n(c.dropped)} dropped`;
  if (c.seconds > 0 && c.connected > 1) line += `; ${n(c.perSecond)} connects/s over ${c.seconds.toFixed(2)} s`;
  if (c.handshake) line += `; handshake p50 ${formatMicros(c.handshake.p50Us)}, p99 ${formatMicros(c.handshake.p99Us)}`;
  return line;
}

function messageLines(s: BenchSummary): Array<[string, string]> {
  const m = s.messages;
  const rows: Array<[string, string]> = [];
  if (s.mode === 'pub' || s.mode === 'pubsub') rows.push(['sent', `${n(m.sent)}  (${n(m.sentPerSecond)} msgs/s measured)`]);
  if (s.settings.qos > 0 && s.mode !== 'sub') rows.push(['acknowledged', `${n(m.acked)}  (${n(m.ackedPerSecond)} msgs/s)`]);
  if (s.mode === 'sub' || s.mode === 'pubsub') rows.push(['received', `${n(m.received)}  (${n(m.receivedPerSecond)} msgs/s)`]);
  if (s.mode === 'sub' || s.mode === 'pubsub') {
    rows.push(['latency', percentiles(s.latency)]);
    if (s.sendLag) rows.push(['  from send', percentiles(s.serviceLatency)]);
  }
  if (s.sendLag) rows.push(['send lag', percentiles(s.sendLag)]);
  return rows;
}

function verificationLine(s: BenchSummary): string {
  const v = s.verification;
  const parts = [`lost ${n(v.lost)}`, `out of order ${n(v.outOfOrder)}`, `duplicates ${n(v.duplicates)}`];
  if (s.settings.qos > 0 && s.mode !== 'sub') parts.push(`unacknowledged ${n(v.unacknowledged)}`);
  if (v.unexpected > 0) parts.push(`unexpected ${n(v.unexpected)}`);
  if (v.unstamped > 0) parts.push(`without stamp ${n(v.unstamped)}`);
  if (v.stalls > 0) parts.push(`window stalls ${n(v.stalls)}`);
  return parts.join(', ');
}

/** The human-readable summary printed at the end of a run. */
export function formatSummary(s: BenchSummary): string {
  const rows: Array<[string, string]> = [['connections', connectionLine(s)]];
  rows.push(['measured', `${s.seconds.toFixed(2)} s`]);
  rows.push(...messageLines(s));
  if (s.mode !== 'conn' && s.mode !== 'pub') rows.push(['verification', verificationLine(s)]);
  if (s.mode === 'pub' && s.settings.qos > 0) rows.push(['verification', `unacknowledged ${n(s.verification.unacknowledged)}`]);
  const errors = s.problems.map((p) => `${p.reason} (${n(p.count)})`);
  if (s.badAcks > 0) errors.push(`acknowledgements for nothing in flight (${n(s.badAcks)})`);
  rows.push(['errors', errors.length > 0 ? errors.join('; ') : 'none']);
  const waited = (w: number | undefined): string => (w === undefined ? '' : ` (waited ${w} % for a CPU)`);
  const cpu = [`generator ${s.cpu.generatorPercent} %${waited(s.cpu.generatorWaitPercent)}`];
  if (s.cpu.brokerPercent !== undefined) cpu.push(`broker ${s.cpu.brokerPercent} %${waited(s.cpu.brokerWaitPercent)}`);
  rows.push(['cpu', `${cpu.join(', ')}; 100 % = one core${s.mode === 'conn' ? ', while connecting' : ''}`]);
  if (s.cpu.generatorUsPerConnect !== undefined) {
    const broker = s.cpu.brokerUsPerConnect === undefined ? '' : `, broker ${n(s.cpu.brokerUsPerConnect)} µs`;
    rows.push(['cpu/connect', `generator ${n(s.cpu.generatorUsPerConnect)} µs${broker} per connection made`]);
  }
  if (s.broker) {
    let line = `pid ${s.broker.pid}: RSS ${n(s.broker.rssBeforeKiB)} KiB before, ${n(s.broker.rssAfterKiB)} KiB after`;
    if (s.broker.rssPerConnectionKiB !== undefined) line += `, ${s.broker.rssPerConnectionKiB.toFixed(2)} KiB per connection`;
    rows.push(['broker', line]);
  }
  rows.push(['result', s.ok ? 'ok' : 'FAILED (see errors and verification)']);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [headline(s), ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n') + '\n';
}
