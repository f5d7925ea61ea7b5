import type { Broker, Logger } from '../../broker/index.js';
import type { ResolvedAdminOptions } from '../options.js';
import type { TopicTree } from '../topic-tree.js';

/** What the API's route handlers work with. */
export interface ApiContext {
  readonly broker: Broker;
  readonly options: ResolvedAdminOptions;
  readonly topics: TopicTree;
  /** Admin actions (kick, publish, delete) are logged here with who did them. */
  readonly logger: Logger;
}
