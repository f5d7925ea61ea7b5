/**
 * A problem in a password or ACL file, located by file and (when it concerns one line) line
 * number, so an operator can fix it without guessing.
 */
export class AuthFileError extends Error {
  /**
   * @param file - the path as the operator configured it
   * @param line - 1-based line number, or undefined when the problem is the whole file
   * @param detail - what is wrong, without the location
   */
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
    this.name = 'AuthFileError';
  }
}
