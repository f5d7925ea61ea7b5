/**
 * Authentication and authorization adapters in Mosquitto's file formats: password files
 * (`$6$`/`$7$` hashes) for the broker's Authenticator port, ACL files for its Authorizer port,
 * and the file operations behind `midge passwd`.
 */
export { AuthFileError } from './errors.js';
export {
  DEFAULT_PBKDF2_ITERATIONS,
  HASH_BYTES,
  MAX_ITERATIONS,
  MOSQUITTO_DEFAULT_ITERATIONS,
  SALT_BYTES,
  hashPassword,
  isPasswordHash,
  parsePasswordHash,
  verifyPassword,
  type HashPasswordOptions,
  type PasswordHash,
  type PasswordHashKind,
} from './password-hash.js';
export {
  loadPasswordFile,
  parsePasswordFile,
  splitPasswordFile,
  type PasswordFileEntryLine,
  type PasswordFileLine,
  type PasswordFileOtherLine,
  type PasswordTable,
} from './password-file.js';
export {
  MAX_CREDENTIAL_BYTES,
  hashPlaintextEntries,
  passwordProblem,
  removeEntry,
  renderPasswordFile,
  upsertEntry,
  usernameProblem,
  writePasswordFile,
} from './password-file-edit.js';
export { CertificateIdentityAuthenticator, identityFromCertificate, type CertificateIdentity } from './certificate-identity.js';
export {
  PasswordFileAuthenticator,
  type ListenerAuthSettings,
  type PasswordFileAuthenticatorOptions,
} from './password-authenticator.js';
export { loadAclFile, parseAclFile, type AclAccess, type AclDefinition, type AclRule } from './acl-file.js';
export { AclFileAuthorizer, type AclFileAuthorizerOptions } from './acl-authorizer.js';
export { AnonymousPolicyAuthenticator } from './anonymous-policy.js';
