// One error type for everything that can go wrong while starting the local control plane:
// a one-line cause first, then (when a component is involved) the tail of its log.
import { readFileSync } from 'node:fs';

export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
  constructor(
    /** One line: what failed and what to do. */
    readonly summary: string,
    /** The component whose log is attached, if any. */
    readonly component?: string,
    /** The last lines of that component's log. */
    readonly logTail?: string,
  ) {
    super(
      logTail === undefined || logTail === ''
        ? summary
        : `${summary}\n--- last lines of the ${component ?? 'component'} log ---\n${logTail}`,
    );
  }
}

/** The last `lines` lines of a text file ('' when it does not exist). */
export function tailFile(path: string, lines = 20): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return '';
  }
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
