// Descriptions for the JSON Schema, read from `evoloop init`'s commented template, so that
// an editor's hover text and the template are one text (a key documented there is described
// here). A key's description is the comment block above it and the comment on its line.
//
// The template's layout, as read here: a key line is `key: value  # comment`, possibly
// commented out (`# key: ...`, `#   # key: ...` for an optional key of an optional block);
// indentation (after the comment markers) gives the nesting; a comment line under a key's
// inline comment continues it; other comment lines are prose for the next key.

type Node = { description?: string; properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; allOf?: Node[]; oneOf?: Node[]; [k: string]: unknown };

const KEY = /^(\s*)(- )?([A-Za-z_][\w-]*):(?:\s+(.*))?$/;

/** Key path (e.g. `budget.usd`, `verifier.stages.timeout`) → description, from the template. */
export function templateDescriptions(template: string, isKey: (path: string) => boolean = () => true): Map<string, string> {
  const found = new Map<string, string>();
  const stack: { indent: number; key: string }[] = [];
  let prose: string[] = [];
  let last: string | undefined;
  const add = (path: string, text: string) => found.set(path, [found.get(path), text.replace(/\s+/g, ' ')].filter(Boolean).join(' '));
  for (const raw of template.split('\n')) {
    if (raw.trim() === '') {
      prose = [];
      continue;
    }
    let body = raw;
    let nested = false;
    const commented = /^(\s*)#\s?(.*)$/.exec(body);
    if (commented) {
      body = commented[1] + commented[2];
      const again = /^(\s*)#\s?(.*)$/.exec(body);
      if (again) [body, nested] = [again[1] + again[2], true];
    }
    const key = KEY.exec(body);
    const indent = key ? key[1].length + (key[2] ? 2 : 0) : 0;
    const within = key ? stack.filter((s) => s.indent < indent) : stack;
    const path = key ? [...within.map((s) => s.key), key[3]].join('.') : '';
    // In a comment, `kind: gate    must exit 0` (no such key there) is prose about a value.
    if (!key || (commented && !isKey(path))) {
      // A comment under a key's own comment continues it; anything else is prose for the next key.
      const text = body.replace(/^[\s#]*/, '').trim();
      if (commented && last && /^\s{8,}/.test(body)) add(last, text);
      else if (text && commented) prose.push(text);
      continue;
    }
    stack.splice(within.length, Infinity, { indent, key: key[3] });
    const inline = /(?:^|\s)#\s?(.*)$/.exec(key[4] ?? '')?.[1]?.trim();
    const text = [...prose, inline].filter(Boolean).join(' ');
    if (text) add(path, text);
    last = inline ? path : undefined;
    prose = [];
  }
  return found;
}

/**
 * The schema with a `description` on every property: the template's text for its key path
 * (`models.*` as `model.*`), else its parent's (the keys of a one-line mapping such as `price`).
 */
export function describeSchema<T>(schema: T, template: string): T {
  const copy = structuredClone(schema) as Node;
  const paths = new Set<string>();
  const collect = (node: Node, prefix: string) => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      paths.add(prefix + name);
      collect(child, `${prefix}${name}.`);
    }
    for (const sub of subSchemas(node)) collect(sub, prefix);
  };
  collect(copy, '');
  const docs = templateDescriptions(template, (p) => paths.has(p));
  const visit = (node: Node, prefix: string, inherited: string | undefined) => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const path = prefix + name;
      child.description ??= docs.get(path) ?? docs.get(path.replace(/^models\./, 'model.')) ?? inherited;
      visit(child, `${path}.`, child.description);
    }
    for (const sub of subSchemas(node)) visit(sub, prefix, inherited);
  };
  visit(copy, '', undefined);
  return copy as T;
}

function subSchemas(node: Node): Node[] {
  return [node.items, ...(node.anyOf ?? []), ...(node.allOf ?? []), ...(node.oneOf ?? [])].filter((n): n is Node => n !== undefined);
}
