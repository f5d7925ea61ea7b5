/**
 * The MQTT-SN v1.2 gateway: a UDP listener inside the broker's process, each SN client
 * a broker session (see docs/ARCHITECTURE.md, "sn/gateway").
 */
export { startSnGateway, type SnGateway } from './gateway.js';
export { defaultSnGatewayOptions, resolveSnGatewayOptions, type SnGatewayOptions } from './options.js';
export { ADDRESS_CHECK_TOPIC, AMPLIFICATION_LIMIT } from './address-check.js';
