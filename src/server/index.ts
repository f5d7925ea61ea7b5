/** Embedding API: start a midge server in-process. */
export { startServer, type MidgeServer, type ServerOptions, type ListenerSpec } from './server.js';
