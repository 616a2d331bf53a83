// A loopback model server for tests: speaks OpenAI chat-completions (streaming and not) and
// Anthropic Messages (streaming and not), replays a script of replies, and injects faults.
// Standalone: npx tsx test/support/fake-llm-server.ts --script steps.json [--port N]  (prints its URL)
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/** Token counts to report; `input` includes `cached` (OpenAI's convention; converted for Anthropic). null = report none. */
export interface FakeUsage {
  input: number;
  output: number;
  cached?: number;
}

export type FakeStep =
  | { reply: string; usage?: FakeUsage | null; delayMs?: number; ignoreStream?: boolean } // ignoreStream: one application/json completion even to a stream request (servers that do not stream)
  | { status: number; retryAfter?: number | string; message?: string }
  | { hang: true } // accept the request, never answer
  | { truncate: true; then?: 'destroy' | 'end' | 'stall' } // half the stream, then a destroyed socket (default), a proper end, or silence
  | { garbage: true } // 200 with a body that is neither SSE nor JSON
  | { empty: true } // a well-formed, finished reply with no text
  | { respond: (prompt: string) => FakeStep }; // the step is computed from the request's prompt (promptResponder below)

export interface FakeScript {
  steps: FakeStep[];
  /** What to serve once the steps run out: a fixed step, or 'repeat-last'. Default: HTTP 500 "script exhausted". */
  whenExhausted?: FakeStep | 'repeat-last';
}

export interface RecordedRequest {
  provider: 'openai' | 'anthropic';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** System and user text of the request, joined, for easy assertions on prompt contents. */
  prompt: string;
}

export interface FakeLlmServer {
  url: string;
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  requests: RecordedRequest[];
  push(...steps: FakeStep[]): void;
  close(): Promise<void>;
}

const EXHAUSTED: FakeStep = { status: 500, message: 'fake-llm-server: script exhausted' };

export async function startFakeLlmServer(script: FakeStep[] | FakeScript = [], port = 0): Promise<FakeLlmServer> {
  const { steps, whenExhausted = EXHAUSTED } = Array.isArray(script) ? { steps: script } : script;
  const queue = [...steps];
  const requests: RecordedRequest[] = [];
  let last: FakeStep | undefined;
  const next = (): FakeStep => {
    const step = queue.shift() ?? (whenExhausted === 'repeat-last' ? (last ?? EXHAUSTED) : whenExhausted);
    last = step;
    return step;
  };

  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0];
    const provider = path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : undefined;
    if (req.method !== 'POST' || !provider) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${path}` } }));
      return;
    }
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    requests.push({ provider, method: req.method, path, headers: req.headers, body, prompt: promptOf(body) });
    serve(next(), provider, body, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url, // the Anthropic SDK appends /v1/messages itself
    requests,
    push: (...more) => void queue.push(...more),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // hung requests included
        server.close(() => resolve());
      }),
  };
}

function serve(step: FakeStep, provider: 'openai' | 'anthropic', body: any, res: ServerResponse): void {
  if ('respond' in step) return serve(step.respond(promptOf(body)), provider, body, res);
  if ('hang' in step) return;
  if ('status' in step) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (step.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
    const message = step.message ?? `fake-llm-server: injected HTTP ${step.status}`;
    const error = provider === 'openai' ? { error: { message, type: 'fake_error' } } : { type: 'error', error: { type: 'api_error', message } };
    res.writeHead(step.status, headers).end(JSON.stringify(error));
    return;
  }
  if ('garbage' in step) {
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end('<html>502 Bad Gateway</html>\n\nevent: message_start\ndata: {"choices": [tru\n\n');
    return;
  }
  const reply = 'reply' in step ? step.reply : 'truncate' in step ? 'This reply is cut off in the middle of a sentence and' : '';
  const usage = 'reply' in step ? step.usage : undefined;
  const counts = usage === null ? undefined : (usage ?? { input: Math.ceil(promptOf(body).length / 4), output: Math.ceil(reply.length / 4) });
  const model = String(body?.model ?? 'fake');
  if (!body?.stream || ('ignoreStream' in step && step.ignoreStream)) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(provider === 'openai' ? openaiMessage(model, reply, counts) : anthropicMessage(model, reply, counts)));
    return;
  }
  const events = provider === 'openai' ? openaiEvents(model, reply, counts, !!body.stream_options?.include_usage) : anthropicEvents(model, reply, counts);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if ('truncate' in step) {
    const half = events.slice(0, Math.max(1, Math.floor(events.length / 2)));
    if (step.then === 'end') res.end(half.join(''));
    else if (step.then === 'stall') res.write(half.join(''));
    else res.write(half.join(''), () => res.socket?.destroy());
    return;
  }
  const send = () => res.end(events.join(''));
  const delay = 'delayMs' in step ? step.delayMs : undefined;
  if (delay) setTimeout(send, delay);
  else send();
}

// A model that answers by the prompt's content, for prompt-evolution tests (examples/prompt-extraction):
// an extraction prompt gets a reply that follows what its instructions ask for (JSON, an ISO date, the
// total as a number, an ISO 4217 currency, a "note" it is told to add), so a better prompt gets better answers; a judge prompt
// (evaluate/judge/judge-prompt.ts) gets a grade or a preference by how usable the fenced replies are,
// with a little noise per evaluation number, and a position bias (says A) when both are alike.
export function promptResponder(): FakeStep {
  return { respond: (prompt) => ({ reply: prompt.includes('impartial grader') ? judgeReply(prompt) : extractionReply(prompt) }) };
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MONEY = /([$€£])([\d,]+\.\d{2})|([\d,]+\.\d{2}) (USD|EUR|GBP)|(USD|EUR|GBP) ([\d,]+\.\d{2})/;
const SYMBOL_CODE: Record<string, string> = { $: 'USD', '€': 'EUR', '£': 'GBP' };

function extractionReply(prompt: string): string {
  const lines = prompt.split('\n');
  const at = lines.findLastIndex((l) => MONEY.test(l));
  const text = at >= 0 ? lines[at] : '';
  const ask = lines
    .filter((_, i) => i !== at)
    .join('\n')
    .toLowerCase();
  const vendor = /\b(?:from|at|by|this is) ([A-Z][\w'&]*(?: (?:&|[A-Z][\w'&]*))*)/.exec(text)?.[1] ?? '';
  const month = `(${MONTHS.join('|')})`;
  const d = new RegExp(`${month} (\\d{1,2}), (\\d{4})|(\\d{1,2}) ${month} (\\d{4})|(\\d{4})-(\\d{2})-(\\d{2})`).exec(text);
  const pad = (n: string | number) => String(n).padStart(2, '0');
  const iso = !d ? '' : d[1] ? `${d[3]}-${pad(MONTHS.indexOf(d[1]) + 1)}-${pad(d[2])}` : d[4] ? `${d[6]}-${pad(MONTHS.indexOf(d[5]) + 1)}-${pad(d[4])}` : d[0];
  const m = MONEY.exec(text);
  const [amount, sign] = !m ? ['', ''] : m[1] ? [m[2], m[1]] : m[3] ? [m[3], m[4]] : [m[6], m[5]];
  const fields: Record<string, string | number> = {};
  if (ask.includes('vendor')) fields.vendor = vendor;
  if (ask.includes('date')) fields.date = /yyyy-mm-dd|iso 8601/.test(ask) ? iso : (d?.[0] ?? '');
  if (ask.includes('total')) fields.total = ask.includes('number') ? Number(amount.replaceAll(',', '')) : m ? m[0] : '';
  if (ask.includes('currency')) fields.currency = /iso 4217|three-letter/.test(ask) ? (SYMBOL_CODE[sign] ?? sign) : sign;
  // A model does what its prompt says: a prompt can make it write to the judge (judge-gaming tests).
  const note = /add a "note" field saying "([^"]+)"/i.exec(lines.filter((_, i) => i !== at).join('\n'))?.[1];
  if (note) fields.note = note;
  if (ask.includes('json')) return JSON.stringify(fields);
  return `Sure! ${Object.entries(fields)
    .map(([k, v]) => `The ${k} is ${v}.`)
    .join(' ')}`;
}

/** The share of usable fields over every reply in a fenced output (`--- file ---` blocks or one reply). */
function usable(output: string): number {
  const replies = output.split(/^--- .* ---$/m).filter((r) => r.trim());
  let good = 0;
  for (const r of replies) {
    let o: any;
    try {
      o = JSON.parse(r.trim());
    } catch {
      continue;
    }
    if (typeof o?.vendor === 'string' && o.vendor) good++;
    if (typeof o?.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(o.date)) good++;
    if (typeof o?.total === 'number') good++;
    if (typeof o?.currency === 'string' && /^[A-Z]{3}$/.test(o.currency)) good++;
  }
  return replies.length ? good / (4 * replies.length) : 0;
}

function judgeReply(prompt: string): string {
  const fenced = [...prompt.matchAll(/^(=+OUTPUT=+)\n([\s\S]*?)\n\1$/gm)].map((f) => usable(f[2]));
  const evaluation = Number(/\(evaluation (\d+)\)/.exec(prompt)?.[1] ?? 0);
  if (prompt.includes('## Output B')) {
    const [a, b] = fenced;
    const better = Math.abs(a - b) < 0.05 ? 'A' : a > b ? 'A' : 'B';
    return JSON.stringify({ better, rationale: `usable fields: A ${Math.round(100 * a)}%, B ${Math.round(100 * b)}%` });
  }
  const [, lo, hi] = /from (-?[\d.]+) \(worst\) to (-?[\d.]+)/.exec(prompt) ?? ['', '1', '10'];
  const noise = ((evaluation % 3) - 1) * 0.25;
  const score = Math.min(Number(hi), Math.max(Number(lo), Number(lo) + (Number(hi) - Number(lo)) * fenced[0] + noise));
  return `{"score": ${score.toFixed(2)}, "rationale": "${Math.round(100 * fenced[0])}% of the fields are usable"}`;
}

function chunks(text: string): string[] {
  const size = Math.max(1, Math.ceil(text.length / 3));
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

function openaiUsage(u: FakeUsage) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
  };
}

function openaiEvents(model: string, reply: string, usage: FakeUsage | undefined, includeUsage: boolean): string[] {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
  const chunk = (delta: object, finish: string | null) => sse({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  return [
    chunk({ role: 'assistant', content: '' }, null),
    ...chunks(reply).map((part) => chunk({ content: part }, null)),
    chunk({}, 'stop'),
    ...(includeUsage && usage ? [sse({ ...base, choices: [], usage: openaiUsage(usage) })] : []),
    'data: [DONE]\n\n',
  ];
}

function openaiMessage(model: string, reply: string, usage: FakeUsage | undefined) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
    ...(usage ? { usage: openaiUsage(usage) } : {}),
  };
}

const anthropicInput = (u: FakeUsage) => ({ input_tokens: u.input - (u.cached ?? 0), cache_read_input_tokens: u.cached ?? 0 });

function anthropicEvents(model: string, reply: string, usage: FakeUsage | undefined): string[] {
  const message = { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null };
  return [
    sse({ type: 'message_start', message: { ...message, ...(usage ? { usage: { ...anthropicInput(usage), output_tokens: 1 } } : {}) } }, 'message_start'),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    sse({ type: 'ping' }, 'ping'),
    ...chunks(reply).map((text) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta')),
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse(
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, ...(usage ? { usage: { output_tokens: usage.output } } : {}) },
      'message_delta',
    ),
    sse({ type: 'message_stop' }, 'message_stop'),
  ];
}

function anthropicMessage(model: string, reply: string, usage: FakeUsage | undefined) {
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: reply }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    ...(usage ? { usage: { ...anthropicInput(usage), output_tokens: usage.output } } : {}),
  };
}

function promptOf(body: any): string {
  const text = (content: unknown): string => (typeof content === 'string' ? content : Array.isArray(content) ? content.map((c) => c?.text ?? '').join('') : '');
  const system = typeof body?.system === 'string' || Array.isArray(body?.system) ? [text(body.system)] : [];
  const messages = Array.isArray(body?.messages) ? body.messages.map((m: any) => text(m?.content)) : [];
  return [...system, ...messages].join('\n');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const file = flag(args, '--script');
  const script: FakeStep[] | FakeScript = file ? JSON.parse(readFileSync(file, 'utf8')) : [];
  const server = await startFakeLlmServer(script, Number(flag(args, '--port') ?? 0));
  process.stdout.write(`${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
