// The scratch folders of a run's stages (each stage's $EVOLOOP_ARTIFACTS is in one), kept
// from stage to stage and emptied rather than removed: on ext4 removing a folder costs a
// journal write (1-4 ms each on a busy disk), while emptying one a stage left empty is a readdir.
import { lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

export class ScratchFolders {
  private readonly free: string[] = [];
  private made = 0;

  constructor(private readonly root: string) {}

  /** A folder of its own for one stage run, holding an empty artifacts/. */
  take(): string {
    const dir = this.free.pop() ?? path.join(this.root, `s${this.made++}`);
    mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
    return dir;
  }

  /** Empties `dir` for the next stage; call once the stage and everything it started are gone. */
  give(dir: string): void {
    try {
      for (const name of readdirSync(dir)) {
        const entry = path.join(dir, name);
        // The artifacts folder stays (unless the stage put something else in its place); all else goes.
        if (name === 'artifacts' && lstatSync(entry).isDirectory())
          for (const n of readdirSync(entry)) rmSync(path.join(entry, n), { recursive: true, force: true });
        else rmSync(entry, { recursive: true, force: true });
      }
      this.free.push(dir);
    } catch {
      // Something the stage did keeps it from being emptied (a folder it made unreadable): not reused.
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
