import type { BrokerLimits } from './options.js';

/**
 * True when a topic name or filter has more levels than the broker allows
 * (`max_topic_levels`): a PUBLISH, a will, a SUBSCRIBE, an MQTT-SN or admin publish alike.
 * Counts separators without splitting, since a PUBLISH's topic is checked on the hot path.
 */
export function exceedsTopicLevels(topic: string, limits: Pick<BrokerLimits, 'maxTopicLevels'>): boolean {
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47 /* '/' */) levels++;
  return levels > limits.maxTopicLevels;
}
