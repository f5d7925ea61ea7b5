import type { Broker, Logger } from '../../broker/index.js';
import type { StatsHistory } from '../history.js';
import type { LiveFeed } from '../live-feed.js';
import type { ResolvedAdminOptions } from '../options.js';
import type { TopicTree } from '../topic-tree.js';

/** Whether a payload must be withheld: confidential messages are shown over HTTPS only. */
export function withholds(api: ApiContext, confidential: boolean): boolean {
  return confidential && api.options.tls === undefined;
}

/** What the API's route handlers work with. */
export interface ApiContext {
  readonly broker: Broker;
  readonly options: ResolvedAdminOptions;
  readonly topics: TopicTree;
  /** The figures of the last hours, for the dashboard's charts. */
  readonly history: StatsHistory;
  /** Live messages for the dashboard's subscribe panel. */
  readonly feed: LiveFeed;
  /** Admin actions (kick, publish, delete) are logged here with who did them. */
  readonly logger: Logger;
}
