import { ReasonCode, MqttProtocolError, PacketType, type AuthPacket, type ConnectPacket } from '../protocol/index.js';
import type { HandlerContext } from './handlers/context.js';
import type { MqttConnection } from './mqtt-connection.js';
import type { AuthStep, EnhancedAuthExchange } from './ports/auth.js';


/** The outcome of the CONNECT-time exchange. */
export type ConnectAuthOutcome =
  | { ok: true; data: Buffer | undefined; username: string | undefined }
  | { ok: false; reasonCode: number; reason: string };

/**
 * Runs the enhanced authentication exchange a CONNECT with an Authentication
 * Method starts: AUTH 0x18 packets both ways until the method succeeds or fails
 * [MQTT-4.12.0-2] [MQTT-4.12.0-3]. An unknown method is refused with Bad authentication method.
 */
export async function authenticateConnect(ctx: HandlerContext, conn: MqttConnection, packet: ConnectPacket): Promise<ConnectAuthOutcome> {
  const method = packet.properties!.authenticationMethod!;
  const authenticator = ctx.settings.enhancedAuthenticators.find((a) => a.method === method);
  if (!authenticator) return { ok: false, reasonCode: ReasonCode.BadAuthenticationMethod, reason: `authentication method '${method}' is not supported` };
  conn.authMethod = method;
  const exchange = authenticator.begin({
    clientId: conn.clientId, username: packet.username, listener: conn.info.listener,
    remoteAddress: conn.info.remoteAddress, reauthentication: false,
  });
  let step = await exchange.step(packet.properties?.authenticationData);
  while (step.outcome === 'continue') {
    sendAuth(conn, ReasonCode.ContinueAuthentication, method, step.data);
    const reply = await conn.waitForAuth(ctx.settings.authStepTimeout * 1000);
    checkContinuation(reply, method);
    step = await exchange.step(reply.properties?.authenticationData);
  }
  if (step.outcome === 'failure') return { ok: false, reasonCode: step.reasonCode, reason: step.reason };
  return { ok: true, data: step.data, username: step.username ?? packet.username };
}

/**
 * AUTH on a live connection: re-authentication with the CONNECT's method, started
 * by 0x19 and continued with 0x18 [MQTT-4.12.1-1]. Success ends with AUTH 0x00;
 * failure closes the connection with the method's reason code [MQTT-4.12.1-2].
 */
export async function handleAuth(ctx: HandlerContext, conn: MqttConnection, packet: AuthPacket): Promise<void> {
  const method = conn.authMethod;
  if (method === undefined) throw new MqttProtocolError(ReasonCode.ProtocolError, 'AUTH without an authentication method in CONNECT [MQTT-4.12.0-7]');
  if (packet.properties?.authenticationMethod !== method) {
    throw new MqttProtocolError(ReasonCode.ProtocolError, 'AUTH with a different authentication method [MQTT-4.12.1-1]');
  }
  const code = packet.reasonCode ?? ReasonCode.Success;
  if (code === ReasonCode.ReAuthenticate && !conn.reauthentication) {
    const authenticator = ctx.settings.enhancedAuthenticators.find((a) => a.method === method)!;
    conn.reauthentication = authenticator.begin({
      clientId: conn.clientId, username: conn.principal.username, listener: conn.info.listener,
      remoteAddress: conn.info.remoteAddress, reauthentication: true,
    });
  } else if (code !== ReasonCode.ContinueAuthentication || !conn.reauthentication) {
    throw new MqttProtocolError(ReasonCode.ProtocolError, `unexpected AUTH reason code 0x${code.toString(16)}`);
  }
  const exchange: EnhancedAuthExchange = conn.reauthentication;
  const step: AuthStep = await exchange.step(packet.properties?.authenticationData);
  if (step.outcome === 'continue') {
    sendAuth(conn, ReasonCode.ContinueAuthentication, method, step.data);
    return;
  }
  conn.reauthentication = undefined;
  if (step.outcome === 'failure') {
    conn.close(step.reasonCode, step.reason);
    return;
  }
  if (step.username !== undefined) conn.principal = { ...conn.principal, username: step.username };
  sendAuth(conn, ReasonCode.Success, method, step.data);
}

function checkContinuation(reply: AuthPacket, method: string): void {
  if ((reply.reasonCode ?? ReasonCode.Success) !== ReasonCode.ContinueAuthentication) {
    throw new MqttProtocolError(ReasonCode.ProtocolError, 'expected AUTH Continue authentication');
  }
  if (reply.properties?.authenticationMethod !== method) {
    throw new MqttProtocolError(ReasonCode.ProtocolError, 'AUTH with a different authentication method [MQTT-4.12.0-5]');
  }
}

function sendAuth(conn: MqttConnection, reasonCode: number, method: string, data: Buffer | undefined): void {
  const properties = data === undefined ? { authenticationMethod: method } : { authenticationMethod: method, authenticationData: data };
  conn.send({ type: PacketType.AUTH, reasonCode, properties });
}
