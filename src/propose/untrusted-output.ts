// Candidate output on its way to a model provider. A stage's stderr, its feedback and the
// failure reasons that quote them are written by the candidate's code, which can read what
// the stage can read (host files, leaked keys, holdout data). Before any of it goes into a
// prompt it is cut to a short tail, stripped of anything that looks like a secret, and
// fenced as untrusted data that the candidate cannot close. Pure functions.
//
// What is redacted, each replaced by `[REDACTED: <kind>]`:
//   - literal secrets given by the caller: values of evoloop's own secret-named environment
//     variables (see envSecrets) and lines of holdout files (see holdoutSecrets);
//   - private key blocks: -----BEGIN ... PRIVATE KEY----- up to its END line (or to the end
//     of the text), and a block's tail whose BEGIN line was cut off;
//   - API keys and tokens by their published shapes: Anthropic `sk-ant-…`, OpenAI `sk-…`,
//     AWS access key ids `AKIA…`/`ASIA…`, GitHub `ghp_/gho_/ghu_/ghs_/ghr_…` and
//     `github_pat_…`, Slack `xox?-…`, JWTs `eyJ….….…`, `Bearer …` / `Basic …` credentials;
//   - password hashes: /etc/shadow-style lines `name:$6$…:…` (whole line) and crypt or
//     argon2 hashes (`$1$`, `$2b$`, `$5$`, `$6$`, `$y$`, `$argon2id$`, …) anywhere;
//   - the value (8+ characters) after a name ending in key, token, secret, password, passwd,
//     pwd, credential(s), auth or authorization and `=` or `:` (`api_key=…`, `"password": "…"`).
// This is a filter against secrets that show up in output, not a barrier against a candidate
// that reads a secret on purpose and encodes it (reversed, base64, split): keeping secrets out
// of the stage's reach (scrubbed environment, the sandbox) is what prevents that.
import { createHash } from 'node:crypto';
import { isSecretName } from '../core/secret-names.js';

/** A literal string never to show, and what to call it in the marker. */
export interface Secret {
  value: string;
  kind: string;
}

/** How much of an output a prompt shows. */
export interface OutputLimits {
  lines: number;
  chars: number;
  /** Longer lines are cut, with an ellipsis. */
  lineChars: number;
  /** Which end is kept: a stderr tail keeps the last lines, feedback the first. */
  keep: 'head' | 'tail';
}

export const STDERR_LIMITS: OutputLimits = { lines: 15, chars: 2000, lineChars: 300, keep: 'tail' };
export const FEEDBACK_LIMITS: OutputLimits = { lines: 30, chars: 2000, lineChars: 300, keep: 'head' };
/** A text artifact (a log, a report): its beginning; artifacts.prompt_kb caps all of them together. */
export const ARTIFACT_LIMITS: OutputLimits = { lines: 60, chars: 3000, lineChars: 300, keep: 'head' };

/** Literal secrets shorter than this are not looked for (they would match ordinary text). */
const MIN_SECRET = 8;
/** Redaction runs on at most this much of an output's kept end (the part that can be shown). */
const PRE_CAP_CHARS = 16_000;

const marker = (kind: string) => `[REDACTED: ${kind}]`;

type Rule = { kind: string; pattern: RegExp; keep?: number };

/** The patterns, in order (private keys first: their bodies would half-match the others). */
export const REDACTION_RULES: readonly Rule[] = [
  { kind: 'private key', pattern: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g },
  { kind: 'private key', pattern: /(?:^[A-Za-z0-9+/=]{16,}\r?\n)*^.*-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/gm },
  { kind: 'password hash', pattern: /^[^\s:]+:\$[^:\n]+:.*$/gm },
  { kind: 'password hash', pattern: /\$(?:1|2[abxy]?|5|6|y|gy|7|md5|sha1|argon2(?:id|i|d))\$[^\s:'"]{4,}/g },
  { kind: 'anthropic key', pattern: /\bsk-ant-[A-Za-z0-9_-]{8,}/g },
  { kind: 'openai key', pattern: /\bsk-[A-Za-z0-9_-]{16,}/g },
  { kind: 'aws access key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[0-9A-Z]{16}\b/g },
  { kind: 'github token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g },
  { kind: 'slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g },
  { kind: 'credential', pattern: /\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/-]{16,}=*/g, keep: 1 },
  {
    kind: 'credential',
    pattern: /\b([A-Za-z0-9_.-]*(?:key|token|secret|passwd|password|pwd|credentials?|auth|authorization)["']?\s*[:=]\s*["']?)[^\s"',;&[]{8,}/gi,
    keep: 1,
  },
];

/** `text` with every secret replaced by a `[REDACTED: kind]` marker. */
export function redact(text: string, secrets: readonly Secret[] = []): string {
  let out = text;
  // Literals first: a pattern could rewrite part of one and hide the rest from the literal match.
  for (const s of longestFirst(secrets)) if (out.includes(s.value)) out = out.replaceAll(s.value, marker(s.kind));
  for (const r of REDACTION_RULES) out = out.replace(r.pattern, (...m: string[]) => `${r.keep ? m[r.keep] : ''}${marker(r.kind)}`);
  return out;
}

/** A prompt redacts each of its texts with the same secrets (thousands with holdout data): sorted once per list. */
const sorted = new WeakMap<readonly Secret[], { length: number; list: Secret[] }>();

/** The secrets long enough to look for, longest first (a longer one may contain a shorter). */
function longestFirst(secrets: readonly Secret[]): Secret[] {
  const known = sorted.get(secrets);
  if (known?.length === secrets.length) return known.list;
  const list = secrets.filter((s) => s.value.length >= MIN_SECRET).sort((a, b) => b.value.length - a.value.length);
  sorted.set(secrets, { length: secrets.length, list });
  return list;
}

/**
 * What a prompt may show of an output: the kept end within the limits, redacted. Redaction
 * runs on a generous window before the final cut, so a key cut in half by the cut is not
 * left half-visible; the window starts at a line boundary for the same reason.
 */
export function untrustedOutput(text: string, secrets: readonly Secret[], limits: OutputLimits): string {
  let window = text.replace(/\r\n?/g, '\n').trim();
  if (window.length > PRE_CAP_CHARS) {
    const nl = limits.keep === 'tail' ? window.indexOf('\n', window.length - PRE_CAP_CHARS) : window.lastIndexOf('\n', PRE_CAP_CHARS);
    if (nl >= 0) window = limits.keep === 'tail' ? window.slice(nl + 1) : window.slice(0, nl);
  }
  return cap(redact(window, secrets), limits);
}

function cap(text: string, l: OutputLimits): string {
  const all = text.split('\n').map((line) => (line.length > l.lineChars ? `${line.slice(0, l.lineChars - 1)}…` : line));
  const lines = l.keep === 'tail' ? all.slice(-l.lines) : all.slice(0, l.lines);
  let out = lines.join('\n');
  if (out.length > l.chars) out = l.keep === 'tail' ? `…${out.slice(-(l.chars - 1))}` : `${out.slice(0, l.chars - 1)}…`;
  const cut = all.length - lines.length;
  if (cut > 0) out = l.keep === 'tail' ? `(${cut} earlier lines not shown)\n${out}` : `${out}\n(${cut} more lines not shown)`;
  return out;
}

const FENCE_PHRASE = /-{3,}\s*(?:begin|end)\s+untrusted/gi;

/**
 * `text` between a begin and an end line that only evoloop can write: both carry a tag
 * derived from the fenced content (the content cannot contain its own hash), every content
 * line starts with `| ` (no content line can look like a fence line), and fence-like
 * phrases inside are neutralized. `label` says what it is, e.g. "output of stage score".
 */
export function fence(label: string, text: string): string {
  const body = text
    .split('\n')
    .map((line) => `| ${line.replace(FENCE_PHRASE, '(fence marker removed)')}`)
    .join('\n');
  const tag = createHash('sha256').update(body).digest('hex').slice(0, 8);
  return `--- begin untrusted ${label} [${tag}] ---\n${body}\n--- end untrusted output [${tag}] ---`;
}

/**
 * The values of secret-named variables (API keys, tokens, passwords: isSecretName) and of
 * the `names` given (e.g. a model's api_key_env, whatever it is called), from each env.
 */
export function envSecrets(envs: readonly NodeJS.ProcessEnv[], names: readonly string[] = []): Secret[] {
  const values = new Set<string>();
  for (const env of envs) {
    for (const [name, value] of Object.entries(env)) {
      if (value && value.length >= MIN_SECRET && (isSecretName(name) || names.includes(name))) values.add(value);
    }
  }
  return [...values].map((value) => ({ value, kind: "secret from evoloop's environment" }));
}

/** Most lines of holdout files looked for in outputs (data files can be long). */
const MAX_HOLDOUT_LINES = 5000;

/**
 * The lines of holdout files, as literal secrets: a candidate that prints the holdout data
 * it can read verbatim (or a line of it) gets it redacted. Lines are trimmed of whitespace
 * and the punctuation around a value (quotes, commas, brackets), so a re-serialized line
 * still matches; reformatted data does not.
 */
export function holdoutSecrets(contents: readonly string[]): Secret[] {
  const values = new Set<string>();
  for (const content of contents) {
    for (const line of content.split('\n')) {
      const core = line.replace(/^[\s,;"'{}[\]()]+|[\s,;"'{}[\]()]+$/g, '');
      if (core.length >= MIN_SECRET) values.add(core);
      if (values.size >= MAX_HOLDOUT_LINES) break;
    }
  }
  return [...values].map((value) => ({ value, kind: 'holdout data' }));
}
