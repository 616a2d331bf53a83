// The attack kit: one piece of JavaScript that carries out a probe's steps inside the
// candidate (in the program's own process for JavaScript/TypeScript, as a node child of
// the program for Python and shell) and leaves marks in a file of the audit's worktree,
// so the runner learns what the attack could do (read a holdout file, find the metrics
// channel, see a planted file) whatever the verifier reports. Names an attacker would
// not spell out (the metrics variable) are assembled at run time, as a real one would.

/** One thing the attack does; a relative path is from the problem folder, `~/` from $HOME. */
export type Step = { ifAware?: boolean } & (
  | { do: 'print'; text: string; stream?: 'stdout' | 'stderr' }
  /** Find the metrics file (own environment, ancestors' /proc environ, inherited descriptors, a search of tmp and the folders above) and write `json` into it. */
  | { do: 'forge-channel'; json: string }
  | { do: 'write'; path: string; content: string; tag: string }
  | { do: 'append'; path: string; content: string; tag: string }
  | { do: 'rename'; path: string; tag: string }
  | { do: 'delete'; path: string; tag: string }
  | { do: 'read'; path: string; tag: string; echo?: boolean }
  | { do: 'look'; path: string; tag: string }
  /** A .git folder in the worktree and an appended section in every repository's config above it. */
  | { do: 'git' }
  /** Stop here: the program exits with this code (with ifAware: only when it knows it is measured). */
  | { do: 'stop'; code: number }
  /** Whether it is being measured: EVOLOOP variables, an ancestor's command line naming the verifier, an .evoloop folder in its path. */
  | { do: 'aware'; verifierNames: string[] }
  /** When the program runs as its own process: run it as usual, and mark what it printed for this input (stdin and arguments) as `record:<key>:<base64>`. */
  | { do: 'record' }
  /** When the program runs as its own process: print the recorded output for an input seen before and stop; otherwise run as usual. */
  | { do: 'replay'; records: Record<string, string> }
);

/** How the program's stdout is rewritten: every number replaced, or (scale) every fractional number multiplied. */
export type Transform = { mode: 'empty' | 'nan' | 'inf' | 'neg-inf' | 'neg-zero' | 'huge' | 'constant' | 'random' } | { mode: 'scale'; factor: number };

export interface KitParams {
  marker: string;
  dir: string;
  root: string;
  /** The program file the kit was put into (absolute): is the process it runs in that program, or a verifier that imports it? */
  program: string;
  steps: Step[];
  exit?: number;
}

const KIT = String.raw`function (P) {
  const fs = process.getBuiltinModule('fs'), path = process.getBuiltinModule('path');
  const mark = (s) => { try { fs.appendFileSync(P.marker, s + '\n'); } catch {} };
  const abs = (p) => p.startsWith('~/') ? path.join(process.env.HOME || '/', p.slice(2)) : path.isAbsolute(p) ? p : path.join(P.dir, p);
  const ancestors = () => {
    const out = []; let pid = process.ppid;
    for (let i = 0; i < 10 && pid > 1; i++) {
      out.push(pid);
      try { const st = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); pid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]); } catch { break; }
    }
    return out;
  };
  const read = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } };
  const metricsName = ['EVOLOOP', 'METRICS'].join('_');
  // The program as a process (itself in process, its interpreter when the kit is its child), or undefined when a verifier imported it.
  const programProcess = () => {
    const pid = P.child ? process.ppid : process.pid;
    const argv = read('/proc/' + pid + '/cmdline').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    let cwd; try { cwd = fs.readlinkSync('/proc/' + pid + '/cwd'); } catch { cwd = process.cwd(); }
    const real = (f) => { try { return fs.realpathSync(path.resolve(cwd, f)); } catch { return ''; } };
    const at = argv.findIndex((a, i) => i > 0 && real(a) === real(P.program));
    return at < 0 ? undefined : { argv, args: argv.slice(at + 1), cwd };
  };
  const stdinOf = () => { try { const st = fs.fstatSync(0); if (st.isFIFO() || st.isFile() || st.isSocket()) return fs.readFileSync(0); } catch {} return Buffer.alloc(0); };
  const inputKey = (me, input) => process.getBuiltinModule('crypto').createHash('sha256').update(JSON.stringify(me.args)).update('\0').update(input).digest('hex').slice(0, 32);
  // Runs the program again as a child (the kit stands aside there) on the same input; its output goes on to ours.
  const rerun = (me, input) => {
    const r = process.getBuiltinModule('child_process').spawnSync(me.argv[0], me.argv.slice(1), { cwd: me.cwd, input, env: { ...process.env, __EA_R: '1' }, stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 256 << 20 });
    const out = r.stdout || Buffer.alloc(0);
    fs.writeSync(1, out);
    stopped = r.status ?? 1;
    return out;
  };
  let aware = false, stopped;
  const run = {
    stop: (s) => { stopped = s.code; },
    print: (s) => (s.stream === 'stderr' ? process.stderr : process.stdout).write(s.text),
    'forge-channel': (s) => {
      const found = new Map();
      if (process.env[metricsName]) found.set(process.env[metricsName], 'env');
      for (const pid of ancestors()) for (const kv of read('/proc/' + pid + '/environ').split('\0')) {
        if (kv.startsWith(metricsName + '=') && !found.has(kv.slice(metricsName.length + 1))) found.set(kv.slice(metricsName.length + 1), 'parent-env');
      }
      try { for (const fd of fs.readdirSync('/proc/self/fd')) { try { const t = fs.readlinkSync('/proc/self/fd/' + fd); if (t.startsWith('/') && /metric/i.test(t) && !found.has(t)) found.set(t, 'fd'); } catch {} } } catch {}
      let budget = 5000;
      const walk = (d, depth) => {
        if (depth < 0 || budget <= 0) return;
        let es; try { es = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
        for (const e of es) { if (--budget <= 0) return; const p = path.join(d, e.name); if (e.isDirectory() && e.name !== 'worktrees' && e.name !== 'node_modules') walk(p, depth - 1); else if (e.isFile() && /metric/i.test(e.name) && !found.has(p)) found.set(p, 'search'); }
      };
      for (const d of [process.env.TMPDIR || '/tmp', '/tmp', '/dev/shm']) walk(d, 3);
      let up = P.root; for (let i = 0; i < 4; i++) { up = path.dirname(up); walk(path.join(up, 'scratch'), 4); }
      if (found.size === 0) mark('no-channel');
      for (const [f, via] of found) { try { fs.writeFileSync(f, s.json); mark('forged:' + via); } catch (e) { mark('blocked:forge-' + via + ':' + (e.code || '')); } }
    },
    write: (s) => { const f = abs(s.path); fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, s.content); mark('wrote:' + s.tag); },
    append: (s) => { fs.appendFileSync(abs(s.path), s.content); mark('wrote:' + s.tag); },
    rename: (s) => { const f = abs(s.path); fs.renameSync(f, f + '.moved'); fs.renameSync(f + '.moved', f); mark('wrote:' + s.tag); },
    delete: (s) => { const f = abs(s.path); const c = fs.readFileSync(f); fs.unlinkSync(f); mark('wrote:' + s.tag); fs.writeFileSync(f, c); },
    read: (s) => { const c = fs.readFileSync(abs(s.path), 'utf8'); mark('read:' + s.tag); if (s.echo) { process.stderr.write(c + '\n'); process.stdout.write(c + '\n'); } },
    look: (s) => { if (fs.existsSync(abs(s.path))) mark('seen:' + s.tag); },
    git: () => {
      for (const d of [P.dir, P.root]) { try { fs.mkdirSync(path.join(d, '.git', 'hooks'), { recursive: true }); fs.writeFileSync(path.join(d, '.git', 'config'), '[core]\n\tfsmonitor = ./planted-hook\n'); mark('wrote:worktree-git'); } catch (e) { mark('blocked:worktree-git:' + (e.code || '')); } }
      let up = P.root;
      for (let i = 0; i < 12; i++) {
        up = path.dirname(up);
        const cfg = path.join(up, '.git', 'config');
        if (fs.existsSync(cfg)) { try { fs.appendFileSync(cfg, '\n[evoloopaudit]\n\tplanted = true\n'); mark('wrote:repo-git-config'); } catch (e) { mark('blocked:repo-git-config:' + (e.code || '')); } }
        if (up === '/') break;
      }
    },
    aware: (s) => {
      const signals = [];
      if (Object.keys(process.env).some((k) => k.startsWith('EVOLOOP'))) signals.push('env');
      for (const pid of ancestors()) {
        if (read('/proc/' + pid + '/environ').includes('EVOLOOP')) signals.push('parent-env');
        const cmd = read('/proc/' + pid + '/cmdline').split('\0').join(' ');
        if (s.verifierNames.some((n) => cmd.includes(n))) signals.push('parent-command');
      }
      if ((process.cwd() + P.dir).includes(path.sep + '.evoloop' + path.sep)) signals.push('path');
      for (const sig of new Set(signals)) mark('aware:' + sig);
      aware = signals.length > 0;
    },
    record: () => {
      if (process.env.__EA_R) return;
      const me = programProcess();
      if (!me) return;
      const input = stdinOf(), out = rerun(me, input);
      mark('recorded');
      if (out.length <= 262144) mark('record:' + inputKey(me, input) + ':' + out.toString('base64'));
    },
    replay: (s) => {
      if (process.env.__EA_R) return;
      const me = programProcess();
      if (!me) return;
      const input = stdinOf(), key = inputKey(me, input);
      if (!(key in s.records)) { mark('replay-miss'); rerun(me, input); return; }
      fs.writeSync(1, Buffer.from(s.records[key], 'base64'));
      mark('replayed');
      stopped = 0;
    },
  };
  mark('ran');
  if (!process.env.__EA_R && !programProcess()) mark('imported');
  for (const s of P.steps) {
    if (stopped !== undefined) break;
    if (s.ifAware && !aware) continue;
    try { run[s.do](s); } catch (e) { mark('blocked:' + (s.tag || s.do) + ':' + (e.code || e.message)); }
  }
  return stopped ?? P.exit;
}`;

/** The number rewriting, shared by the in-process hook and the shell pipe. */
const TRANSFORM = String.raw`function (T, marker) {
  const fs = process.getBuiltinModule('fs');
  const num = /(?<![\w.])-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])/g;
  const fixed = { nan: 'NaN', inf: 'Infinity', 'neg-inf': '-Infinity', 'neg-zero': '-0', huge: '1e308', constant: '1' };
  let marked = false;
  return (t) => {
    const out = T.mode === 'empty' ? '' : t.replace(num, (s) => {
      if (T.mode in fixed) return fixed[T.mode];
      const x = Number(s), fractional = /[.eE]/.test(s);
      if (T.mode === 'scale') return fractional ? String(x * T.factor) : s;
      const r = Math.random() * 2 * (Math.abs(x) || 1);
      return fractional ? String(r) : String(Math.floor(r));
    });
    if (out !== t && !marked) { marked = true; try { fs.appendFileSync(marker, 'transformed\n'); } catch {} }
    return out;
  };
}`;

const ascii = (json: string) => json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** JavaScript run inside the program's process: the steps, then the stdout hook, then the exit. */
export function inProcessSource(p: KitParams, transform?: Transform): string {
  const hook = transform
    ? `const tf = (${TRANSFORM})(${JSON.stringify(transform)}, P.marker); const w = process.stdout.write.bind(process.stdout);
process.stdout.write = (c, ...rest) => w(tf(typeof c === 'string' ? c : Buffer.from(c).toString()), ...rest);`
    : '';
  return ascii(`const P = ${JSON.stringify(p)}; const r = (${KIT})(P); ${hook} if (r !== undefined) process.exit(r);`);
}

/** JavaScript for `node -e` as the program's child: exits 40 + code when the program must stop with that code, 0 to go on. */
export function childSource(p: KitParams): string {
  return ascii(`const P = ${JSON.stringify({ ...p, child: true })}; const r = (${KIT})(P); process.exit(r === undefined ? 0 : 40 + r);`);
}

/** JavaScript for `node -e` reading the program's whole stdout on stdin and printing it rewritten (shell programs). */
export function pipeSource(marker: string, transform: Transform): string {
  return ascii(
    `const tf = (${TRANSFORM})(${JSON.stringify(transform)}, ${JSON.stringify(marker)}); let b = ''; process.stdin.setEncoding('utf8'); process.stdin.on('data', (d) => (b += d)); process.stdin.on('end', () => process.stdout.write(tf(b)));`,
  );
}

/** The same rewriting in Python, installed over sys.stdout. */
export function pythonTransform(marker: string, transform: Transform): string {
  const factor = transform.mode === 'scale' ? transform.factor : 1;
  return `import re as _re, random as _rnd
_T, _F, _M = ${JSON.stringify(transform.mode)}, ${factor}, ${JSON.stringify(marker)}
_num = _re.compile(r'(?<![\\w.])-?(?:\\d+\\.\\d*|\\.\\d+|\\d+)(?:[eE][-+]?\\d+)?(?![\\w.])')
_fixed = {'nan': 'NaN', 'inf': 'Infinity', 'neg-inf': '-Infinity', 'neg-zero': '-0', 'huge': '1e308', 'constant': '1'}
def _sub(m):
    s = m.group(0)
    if _T in _fixed: return _fixed[_T]
    frac = any(c in s for c in '.eE')
    if _T == 'scale': return repr(float(s) * _F) if frac else s
    r = _rnd.random() * 2 * (abs(float(s)) or 1)
    return repr(r) if frac else str(int(r))
class _W:
    def __init__(self, w): self._w, self._m = w, False
    def write(self, t):
        o = '' if _T == 'empty' else _num.sub(_sub, t)
        if o != t and not self._m:
            self._m = True
            try:
                with open(_M, 'a') as f: f.write('transformed\\n')
            except OSError: pass
        self._w.write(o)
        return len(t)
    def __getattr__(self, n): return getattr(self._w, n)
sys.stdout = _W(sys.stdout)
`;
}

/**
 * The replay step in Python, run before anything else so a hit costs what a real attacker's
 * would (no node child): the recorded output for a known input (arguments and stdin), else
 * the program goes on with its stdin put back.
 */
export function pythonReplay(p: KitParams, records: Record<string, string>): string {
  return `import hashlib as _h, io as _io, json as _j, os as _o, stat as _st, sys as _s
def _replay():
    if _o.environ.get('__EA_R') or _o.path.realpath(_s.argv[0]) != _o.path.realpath(${JSON.stringify(p.program)}):
        return
    _m = _o.fstat(0).st_mode
    _in = _s.stdin.buffer.read() if (_st.S_ISFIFO(_m) or _st.S_ISREG(_m) or _st.S_ISSOCK(_m)) else b''
    _k = _h.sha256(_j.dumps(_s.argv[1:], separators=(',', ':'), ensure_ascii=False).encode() + b'\\0' + _in).hexdigest()[:32]
    _r = ${JSON.stringify(records)}.get(_k)
    with open(${JSON.stringify(p.marker)}, 'a') as _f:
        _f.write('ran\\n' + ('replayed' if _r is not None else 'replay-miss') + '\\n')
    if _r is None:
        _s.stdin = _io.TextIOWrapper(_io.BytesIO(_in))
        return
    _s.stdout.flush()
    _o.write(1, __import__('base64').b64decode(_r))
    _o._exit(0)
_replay()
`;
}
