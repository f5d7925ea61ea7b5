/**
 * Reading Mosquitto ACL files (mosquitto 2.0 `aclfile__parse`):
 *
 * ```
 * # comment
 * topic [read|write|readwrite|deny] <filter>     # default readwrite
 * user <name>                                    # starts that user's section
 * pattern [read|write|readwrite|deny] <filter>   # %c = client id, %u = user name
 * ```
 *
 * `topic` lines before the first `user` line form the anonymous section (clients without a user
 * name); a `user` line starts a section for that user that lasts until the next `user` line
 * (sections of the same user merge). `pattern` lines apply to every client wherever they stand.
 * The filter is the rest of the line and may contain spaces, as in Mosquitto.
 */
import { readFile } from 'node:fs/promises';
import { topicFilterProblem } from '../protocol/index.js';
import { AuthFileError } from './errors.js';

/** What an ACL line grants; `deny` takes every access away and wins over grants. */
export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

/** One `topic` or `pattern` line. */
export interface AclRule {
  access: AclAccess;
  /** The topic filter; for patterns, before `%c`/`%u` substitution. */
  filter: string;
  lineNumber: number;
}

/** A parsed ACL file. */
export interface AclDefinition {
  /** `topic` lines before the first `user` line: they apply only to clients without a user name. */
  anonymous: AclRule[];
  /** `topic` lines per user section. */
  users: Map<string, AclRule[]>;
  /** `pattern` lines, for everyone. */
  patterns: AclRule[];
}

const accessWords = new Set<string>(['read', 'write', 'readwrite', 'deny']);

function parseRule(rest: string, lineNumber: number, file: string): AclRule {
  const space = rest.search(/[ \t]/);
  let access: AclAccess = 'readwrite';
  let filter = rest;
  if (space >= 0) {
    // Two or more words: the first is the access type, the rest is the filter (Mosquitto's rule).
    const word = rest.slice(0, space);
    if (!accessWords.has(word)) {
      throw new AuthFileError(file, lineNumber, `invalid access type '${word}' (expected read, write, readwrite or deny)`);
    }
    access = word as AclAccess;
    filter = rest.slice(space + 1).trim();
  }
  const problem = topicFilterProblem(filter);
  if (problem) throw new AuthFileError(file, lineNumber, `invalid topic filter '${filter}': ${problem}`);
  return { access, filter, lineNumber };
}

/** Parses ACL file text; a line Mosquitto would refuse throws an {@link AuthFileError} naming it. */
export function parseAclFile(text: string, file: string): AclDefinition {
  const acl: AclDefinition = { anonymous: [], users: new Map(), patterns: [] };
  let section = acl.anonymous;
  const rows = text.split(/\r?\n/);
  for (let index = 0; index < rows.length; index++) {
    const lineNumber = index + 1;
    const line = rows[index]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
    const keyword = match?.[1] ?? '';
    const rest = match?.[2]?.trim() ?? '';
    if (keyword === 'user') {
      if (rest === '') throw new AuthFileError(file, lineNumber, "'user' needs a user name");
      section = acl.users.get(rest) ?? [];
      acl.users.set(rest, section);
    } else if (keyword === 'topic' || keyword === 'pattern') {
      if (rest === '') throw new AuthFileError(file, lineNumber, `'${keyword}' needs a topic filter`);
      const rule = parseRule(rest, lineNumber, file);
      (keyword === 'topic' ? section : acl.patterns).push(rule);
    } else {
      throw new AuthFileError(file, lineNumber, `unknown keyword '${keyword}' (expected topic, user or pattern)`);
    }
  }
  return acl;
}

/** Reads and parses an ACL file; see {@link parseAclFile}. */
export async function loadAclFile(path: string): Promise<AclDefinition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AuthFileError(path, undefined, `cannot read ACL file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseAclFile(text, path);
}
