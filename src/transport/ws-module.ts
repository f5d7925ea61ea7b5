import type * as WsModule from 'ws';
import { createRequire } from 'node:module';

/**
 * The `ws` package, loaded when a WebSocket listener starts or a ws:// / wss:// address is
 * dialled rather than with this module: a broker without WebSocket listeners does not carry
 * its ~1 MB of heap, which makes each of V8's full collections slower.
 */
export function wsModule(): typeof WsModule {
  return (loaded ??= createRequire(import.meta.url)('ws') as typeof WsModule);
}

let loaded: typeof WsModule | undefined;
