/** A small MQTT-SN v1.2 client over UDP (used by `midge sn-pub`, `midge sn-sub` and tests). */
export {
  SnClient, SnRejectedError, type SnClientOptions, type SnReceivedMessage, type SnTopicSpec,
} from './sn-client.js';
export { SnTimeoutError, SnUnreachableError, type SnTransportOptions } from './transport.js';
