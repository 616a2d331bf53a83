import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_RUN } from '../../test/support/test-run.js';
import { openStore } from './store.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-artifacts-'));
  dirs.push(dir);
  const store = openStore(dir);
  const candidate = (runId: string) =>
    store.insertCandidate({ runId, parentId: null, status: 'pending', operator: 't', description: '', changeHash: String(Math.random()), patch: '', files: {} })
      .id;
  store.createRun(TEST_RUN);
  store.createRun({ ...TEST_RUN, id: 'r2' });
  return { store, candidate };
}

const file = (name: string, text: string) => ({ name, bytes: Buffer.from(text) });
const slot = (repeat: number) => ({ stage: 'score', kind: 'score' as const, repeat });

describe('artifact store', () => {
  it('counts each distinct content once against the run cap, and past it records a note instead of the file', () => {
    const { store, candidate } = setup();
    const a = candidate('r1');
    expect(store.artifacts.add(a, 0, slot(0), { kept: [file('x.txt', 'x'.repeat(60)), file('y.txt', 'y'.repeat(30))], dropped: [] }, 100)).toEqual([]);
    // The same content again costs nothing; new content past 100 bytes is dropped.
    const notes = store.artifacts.add(a, 0, slot(1), { kept: [file('x.txt', 'x'.repeat(60)), file('z.txt', 'z'.repeat(20))], dropped: [] }, 100);
    expect(notes).toEqual([expect.stringMatching(/^z\.txt: not kept: the run's artifacts would pass artifacts\.run_mb/)]);
    expect(store.artifacts.storedBytes('r1')).toBe(90);
    const rows = store.artifacts.list(a);
    expect(rows.map((r) => [r.repeat, r.name, r.hash !== null])).toEqual([
      [0, 'x.txt', true],
      [0, 'y.txt', true],
      [1, 'x.txt', true],
      [1, 'z.txt', false],
    ]);
    expect(rows[0].hash).toBe(rows[2].hash);
    // Recording the same slot again (a retried delivery) changes nothing.
    store.artifacts.add(a, 0, slot(1), { kept: [file('x.txt', 'other')], dropped: [] }, 100);
    expect(store.artifacts.list(a)).toHaveLength(4);
    expect(store.artifacts.read(rows[2])!.toString()).toBe('x'.repeat(60));
  });

  it("deleteRun removes the run's rows and the objects only it used; another run's shared content stays", () => {
    const { store, candidate } = setup();
    const [a, b] = [candidate('r1'), candidate('r2')];
    store.artifacts.add(
      a,
      0,
      slot(0),
      { kept: [file('shared.txt', 'same'), file('own.svg', '<svg/>')], dropped: [{ name: 'big.bin', size: 9, note: 'n' }] },
      Infinity,
    );
    store.artifacts.add(b, 0, slot(0), { kept: [file('shared.txt', 'same')], dropped: [] }, Infinity);
    const [own, shared] = store.artifacts.list(a).filter((r) => r.hash);
    expect(store.artifacts.deleteRun('r1')).toEqual({ artifacts: 3, files: 1, bytes: 6 });
    expect(store.artifacts.list(a)).toEqual([]);
    expect(existsSync(own.path!)).toBe(false);
    expect(existsSync(shared.path!)).toBe(true);
    expect(store.artifacts.read(store.artifacts.list(b)[0])!.toString()).toBe('same');
    expect(store.artifacts.storedBytes('r1')).toBe(0);
  });
});
