import type { MidgeConfig } from '../config/index.js';
import type { SnGatewayOptions } from '../sn/gateway/index.js';

/**
 * The MQTT-SN gateways a configuration declares: one per `listener PORT [ADDRESS]`
 * with `protocol mqttsn`, sharing the `mqttsn_*` settings.
 */
export function snListenersFromConfig(config: MidgeConfig): Array<Partial<SnGatewayOptions>> {
  const sn = config.mqttsn;
  return config.listeners
    .filter((l) => l.protocol === 'mqttsn')
    .map((l) => ({
      port: l.port,
      host: l.address,
      gatewayId: sn.gatewayId,
      advertiseInterval: sn.advertiseInterval,
      predefinedTopics: new Map(sn.predefinedTopics.map((t) => [t.id, t.topic])),
      maxClients: sn.maxClients,
      maxClientsPerAddress: sn.maxClientsPerAddress,
      maxKeepAlive: sn.maxKeepAlive,
    }));
}
