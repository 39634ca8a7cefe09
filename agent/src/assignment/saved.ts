import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AssignmentSchema, compileValidator, type AssignmentView } from '@netfleet/shared';
import { writeFileDurably } from '../report/durable-file.js';

const assignmentValidator = compileValidator('saved assignment', AssignmentSchema);

/**
 * The last assignment the hub gave, kept on disk so that an agent restarted while the hub
 * is unreachable applies it again instead of the branch head.
 */
export class SavedAssignment {
  constructor(readonly file: string) {}

  /** The saved assignment; undefined when none was saved. A damaged file throws, naming it. */
  async load(): Promise<AssignmentView | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return assignmentValidator.assert(JSON.parse(text));
    } catch (error) {
      throw new Error(`${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Replaces the saved assignment; a crash leaves the old one or the new one, never a mix. */
  async save(assignment: AssignmentView): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileDurably(this.file, `${JSON.stringify(assignment)}\n`, 0o600);
  }
}
