/**
 * The dashboard's page and stylesheet. They live in the code because the build
 * (tsc) copies no other files into the package; the scripts are compiled from
 * `src/admin/ui/`.
 */

/** The page: an empty shell the script fills in. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>midge dashboard</title>
<link rel="stylesheet" href="/ui/vendor/uplot.css">
<link rel="stylesheet" href="/ui/style.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<div id="app"><noscript>The midge dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;

/** The stylesheet. */
export const DASHBOARD_CSS = `
:root {
  --bg: #f4f5f7; --panel: #fff; --ink: #111827; --muted: #6b7280; --line: #e5e7eb;
  --accent: #2563eb; --danger: #dc2626; --ok: #16a34a; --header: #0f172a;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 24px; padding: 8px 24px; min-height: 52px; background: var(--header); color: #fff; }
.top h1 { font-size: 18px; margin: 0; letter-spacing: .5px; }
.top nav { display: flex; flex-wrap: wrap; gap: 4px; flex: 1; min-width: 0; }
.top nav a { color: #cbd5e1; text-decoration: none; padding: 6px 12px; border-radius: 6px; white-space: nowrap; }
.top nav a[aria-current="page"], .top nav a:hover { background: #1e293b; color: #fff; }
.who { color: #cbd5e1; display: flex; gap: 12px; align-items: center; min-width: 0; overflow-wrap: anywhere; }
main { padding: 20px 24px; max-width: 1400px; }
.muted { color: var(--muted); }
h2 { margin: 0 0 16px; font-size: 20px; }
h3 { font-size: 15px; margin: 0 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card-label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
.card-value { font-size: 24px; font-weight: 600; margin-top: 2px; }
.card-note { color: var(--muted); font-size: 12px; margin-top: 2px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr)); gap: 12px; }
.chart { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0; }
.chart figcaption { font-weight: 600; margin-bottom: 4px; }
.chart-plot { width: 100%; min-height: 220px; position: relative; }
.chart .uplot { font-family: inherit; }
.chart .u-legend { font-size: 12px; }
.chart-tooltip { position: absolute; z-index: 10; pointer-events: none; background: rgba(15, 23, 42, .92); color: #f8fafc; font-size: 12px; padding: 6px 8px; border-radius: 6px; white-space: nowrap; }
.chart-tooltip[hidden] { display: none; }
.chart-tooltip-time { font-weight: 600; margin-bottom: 2px; }
.swatch { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 6px; }
button[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
.toolbar { display: flex; align-items: center; gap: 10px; margin-bottom: 12px; flex-wrap: wrap; }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; max-width: 100%; min-width: 0; }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--ink); border-color: #cbd5e1; }
button.danger { background: var(--danger); border-color: var(--danger); }
button.link { background: none; border: none; color: #93c5fd; padding: 0; }
button:disabled { opacity: .5; cursor: default; }
label.check { display: flex; gap: 6px; align-items: center; }
.table-wrap { overflow-x: auto; max-width: 100%; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); margin-bottom: 12px; }
.table { width: 100%; border-collapse: collapse; background: var(--panel); }
.table th, .table td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
.table th { background: #f9fafb; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.table tr.selected td { background: #eff6ff; }
.table tbody tr { cursor: pointer; }
.num { text-align: right; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; background: #e5e7eb; color: #374151; }
.badge.ok { background: #dcfce7; color: #166534; }
.badge.retained { background: #fef3c7; color: #92400e; }
.badge.warn { background: #fee2e2; color: #991b1b; }
.pager { display: flex; gap: 12px; align-items: center; margin: 10px 0; }
.status { color: var(--muted); margin: 6px 0; min-height: 1.4em; }
.empty { color: var(--muted); }
.detail { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin-top: 12px; }
.detail:empty { display: none; }
.subs { margin: 0; padding-left: 18px; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 12px; align-items: start; }
.tree { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px; min-height: 300px; overflow: auto; }
.tree ul { list-style: none; margin: 0; padding-left: 18px; }
.tree > ul { padding-left: 0; }
.node { display: flex; align-items: center; gap: 8px; padding: 2px 6px; border-radius: 4px; cursor: pointer; white-space: nowrap; }
.node:hover { background: #f3f4f6; }
.node.selected { background: #dbeafe; }
.node.fresh .node-name { color: var(--accent); font-weight: 600; }
.toggle { width: 18px; padding: 0; border: none; background: none; color: var(--muted); text-align: center; }
.node-count { color: var(--muted); font-size: 12px; }
.node-payload { color: #374151; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; overflow: hidden; text-overflow: ellipsis; }
.topic-detail { margin-top: 0; }
.topic-detail dl { display: grid; grid-template-columns: 90px 1fr; gap: 4px 10px; margin: 0 0 10px; }
.topic-detail dt { color: var(--muted); }
.topic-detail dd { margin: 0; }
.payload { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 6px; white-space: pre-wrap; word-break: break-all; max-height: 320px; overflow: auto; }
.form { display: grid; gap: 6px; max-width: 560px; }
.form label { font-weight: 600; margin-top: 6px; }
.login { display: flex; justify-content: center; padding-top: 10vh; }
.login .form { width: min(360px, 100%); background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 24px; }
.live-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
.live-item { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; min-width: 0; }
.live-head { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin-bottom: 4px; }
.live-topic { font-weight: 600; overflow-wrap: anywhere; }
.live-payload { margin: 0; white-space: pre-wrap; word-break: break-all; font-size: 13px; max-height: 160px; overflow: auto; }
.cluster p { margin: 4px 0 10px; }
@media (max-width: 800px) {
  .split { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 560px) {
  .top { padding: 8px 12px; gap: 6px 12px; }
  .top nav { order: 3; flex-basis: 100%; }
  .top nav a { padding: 4px 8px; }
  .who { margin-left: auto; }
  main { padding: 12px; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .card-value { font-size: 20px; }
  .toolbar input { flex: 1 1 160px; }
}
`;
