import { sendJson } from '../http.js';
import type { Router } from '../router.js';
import type { ClusterView } from '../ui/api-types.js';
import type { ApiContext } from './context.js';

/** `GET /api/v1/cluster`: whether this broker is a cluster node, and the nodes it sees. */
export function clusterRoutes(router: Router, api: ApiContext): void {
  router.add('GET', '/api/v1/cluster', async ({ res }) => {
    const cluster = api.broker.options.cluster;
    const view: ClusterView = { clustered: cluster !== undefined, available: cluster?.available ?? false, nodes: [], error: null };
    if (cluster?.nodes) {
      try {
        view.nodes = await cluster.nodes();
      } catch (err) {
        view.error = `cannot read the cluster's nodes: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    sendJson(res, 200, view);
  });
}
