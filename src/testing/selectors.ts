/**
 * Label and field selectors as the API server parses them.
 * Labels: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas.
 * Fields: `metadata.name` and `metadata.namespace` with `=`, `==`, `!=`; any other
 * field is refused as the API server refuses it for custom resources.
 */
type Labels = Readonly<Record<string, string>>;
export type Matcher = (labels: Labels) => boolean;

export class SelectorError extends Error {
  override name = 'SelectorError';
}

/** Splits on commas that are not inside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

const KEY = /^([a-z0-9A-Z]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;

export function parseLabelSelector(selector: string): Matcher {
  const matchers = terms(selector).map((term): Matcher => {
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const [, key = '', op, list = ''] = m;
      checkKey(key, selector);
      const values = new Set(
        list
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      );
      return op === 'in' ? (l) => key in l && values.has(l[key] as string) : (l) => !(key in l) || !values.has(l[key] as string);
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (m) {
      const [, key = '', op, value = ''] = m;
      checkKey(key, selector);
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = /^!\s*(\S+)$/.exec(term);
    if (m) {
      const key = m[1] ?? '';
      checkKey(key, selector);
      return (l) => !(key in l);
    }
    checkKey(term, selector);
    return (l) => term in l;
  });
  return (labels) => matchers.every((m) => m(labels));
}

function checkKey(key: string, selector: string): void {
  if (!KEY.test(key))
    throw new SelectorError(`unable to parse requirement: found '${key}', expected: identifier in selector "${selector}"`);
}

export type FieldMatcher = (object: { metadata?: { name?: string; namespace?: string } }) => boolean;

export function parseFieldSelector(selector: string): FieldMatcher {
  const matchers = terms(selector).map((term): FieldMatcher => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      throw new SelectorError(`field label not supported: ${field}`);
    }
    const get = (o: Parameters<FieldMatcher>[0]) => (field === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace) ?? '';
    return op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value;
  });
  return (object) => matchers.every((m) => m(object));
}
