import type { ForwardedProperties, StoredMessage, StoredSession } from '../broker/index.js';
import { openForTool, type StoreReport } from './store-tool.js';

/**
 * `midge store export`: every record that passes its checks, one JSON object per
 * line (JSON Lines), binary fields (payloads, correlation data) in base64. The
 * first line describes the store. Damaged records are left out and returned in
 * the report, so that what is exported can be trusted.
 */
export function exportStore(location: string, write: (line: string) => void): StoreReport {
  const { report, db } = openForTool(location);
  db?.close();
  write(JSON.stringify({
    type: 'store', file: report.file, schema: report.schema, storeId: report.identity?.id, lastCommit: report.identity?.commit,
  }));
  const s = report.state;
  if (!s) return report;
  for (const r of s.sessions) write(JSON.stringify({ type: 'session', ...sessionJson(r) }));
  for (const r of s.subscriptions) write(JSON.stringify({ type: 'subscription', ...r }));
  for (const r of s.messages) write(JSON.stringify({ type: 'message', ...messageJson(r) }));
  for (const r of s.deliveries) write(JSON.stringify({ type: 'delivery', ...r }));
  for (const r of s.inbound) write(JSON.stringify({ type: 'inbound', ...r }));
  for (const r of s.retained) write(JSON.stringify({ type: 'retained', ...messageJson(r) }));
  return report;
}

function propertiesJson(p: ForwardedProperties | undefined): object | undefined {
  if (!p) return undefined;
  return { ...p, correlationData: p.correlationData?.toString('base64') };
}

function messageJson(m: StoredMessage): object {
  return { ...m, payload: m.payload.toString('base64'), properties: propertiesJson(m.properties) };
}

function sessionJson(s: StoredSession): object {
  return { ...s, will: s.will && { ...s.will, message: messageJson(s.will.message) } };
}
