/** SCRAM-SHA-256 enhanced authentication for MQTT 5. */
export { ScramSha256Authenticator } from './scram-authenticator.js';
export { formatScramLine, formatScramVerifier, isScramVerifier, loadScramUsers, parseScramUsers, scramCredential, type ScramCredential } from './scram-users.js';
