/// <reference lib="dom" />
import { api } from './api.js';
import type { ClusterView, ListenerView } from './api-types.js';
import { h, replace } from './dom.js';
import { count } from './format.js';
import { scrollingTable } from './table.js';
import { PolledView } from './view.js';

/**
 * The server's parts: its listeners (with the clients on each) and, for a cluster
 * node, the nodes of the cluster. The bridges have their own page (`bridges.ts`).
 */
export class ServerView extends PolledView {
  readonly element: HTMLElement;
  private readonly listeners = h('tbody');
  private readonly cluster = h('div', { class: 'cluster' });
  private readonly status = h('p', { class: 'status', role: 'status' });

  constructor() {
    super(5000);
    this.element = h('section', { class: 'view', 'aria-label': 'Server' },
      h('h2', {}, 'Server'),
      h('h3', {}, 'Listeners'),
      scrollingTable(['Name', 'Protocol', 'Address', 'Port', 'Clients'], this.listeners, 'Listeners'),
      h('h3', {}, 'Cluster'),
      this.cluster,
      this.status);
  }

  protected async load(): Promise<void> {
    try {
      const [listeners, cluster] = await Promise.all([
        api<{ items: ListenerView[] }>('/api/v1/listeners'), api<ClusterView>('/api/v1/cluster'),
      ]);
      replace(this.listeners, ...listeners.items.map((l) => h('tr', { 'data-listener': l.name },
        h('td', { class: 'mono' }, l.name), h('td', {}, l.protocol), h('td', { class: 'mono' }, l.host),
        h('td', { class: 'num' }, l.port), h('td', { class: 'num' }, l.clients === null ? '—' : count(l.clients)))));
      this.renderCluster(cluster);
      this.status.textContent = '';
    } catch (err) {
      this.status.textContent = `Could not load the server's state: ${(err as Error).message}`;
    }
  }

  private renderCluster(view: ClusterView): void {
    if (!view.clustered) {
      replace(this.cluster, h('p', { class: 'empty' }, 'This broker runs alone (no cluster_redis_url).'));
      return;
    }
    const rows = h('tbody', {}, ...view.nodes.map((n) => h('tr', { 'data-node': n.node },
      h('td', { class: 'mono' }, n.node, n.self ? ' (this node)' : ''),
      h('td', {}, h('span', { class: n.alive ? 'badge ok' : 'badge warn' }, n.alive ? 'alive' : 'silent')),
      h('td', { class: 'num' }, count(n.sessions)))));
    replace(this.cluster,
      h('p', {}, view.available ? 'This node reaches the cluster.' : 'This node cannot reach the cluster: it refuses QoS 1/2 publishes and new clients.'),
      view.error ? h('p', { class: 'status' }, view.error) : null,
      scrollingTable(['Node', 'State', 'Sessions'], rows, 'Cluster nodes'));
  }
}
