/**
 * Label and field selectors as the API server parses them, with its error
 * messages (a port of k8s.io/apimachinery's labels.Parse lexer and parser).
 * Labels: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`,
 * `k>1`, `k<1`, joined by commas. Fields: `=`, `==`, `!=` on the fields a
 * resource supports (`metadata.name` and `metadata.namespace` for most).
 */
import { labelValueErrors, qualifiedNameErrors } from './validation.js';

type Labels = Readonly<Record<string, string>>;
export type Matcher = (labels: Labels) => boolean;

export class SelectorError extends Error {
  override name = 'SelectorError';
}

type Token = 'end' | 'error' | 'id' | ')' | ',' | '!' | '==' | '=' | '>' | '<' | '!=' | 'in' | 'notin' | '(';
interface Item {
  tok: Token;
  lit: string;
}

const KEYWORDS: Record<string, Token> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};
const BINARY = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const special = (c: string) => '=!(),><'.includes(c);
const space = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(s: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && space(s[i] as string)) i++;
    if (i >= s.length) {
      items.push({ tok: 'end', lit: '' });
      return items;
    }
    if (special(s[i] as string)) {
      let buffer = '';
      let last: Item | undefined;
      while (i < s.length && special(s[i] as string)) {
        buffer += s[i];
        const tok = KEYWORDS[buffer];
        if (tok) last = { tok, lit: buffer };
        else if (last) break;
        i++;
      }
      if (!last) items.push({ tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      else items.push(last);
      continue;
    }
    let buffer = '';
    while (i < s.length && !special(s[i] as string) && !space(s[i] as string)) buffer += s[i++];
    const tok = KEYWORDS[buffer];
    items.push({ tok: tok === 'in' || tok === 'notin' ? tok : 'id', lit: buffer });
  }
}

type Op = 'exists' | '!' | 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt';

function parseRequirements(selector: string): { key: string; op: Op; values: string[] }[] {
  const items = lex(selector);
  let pos = 0;
  // In value position, `in` and `notin` are plain identifiers.
  const look = (values: boolean): Item => {
    const it = items[pos] as Item;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  };
  const take = (values: boolean): Item => {
    const it = look(values);
    pos++;
    return it;
  };
  const keyError = (key: string) => {
    const errs = qualifiedNameErrors(key);
    return errs.length ? `<nil>: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}` : undefined;
  };
  const requirement = () => {
    let op: Op | undefined;
    let t = take(true);
    if (t.tok === '!') {
      op = '!';
      t = take(true);
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const bad = keyError(key);
    if (bad) throw new Error(bad);
    const next = look(true).tok;
    if (next === 'end' || next === ',') return { key, op: op ?? 'exists', values: [] };
    const o = take(false);
    const ops: Partial<Record<Token, Op>> = { in: 'in', '=': '=', '==': '==', '>': 'gt', '<': 'lt', notin: 'notin', '!=': '!=' };
    const binary = ops[o.tok];
    if (!binary) throw new Error(`found '${o.lit}', expected: ${BINARY.join(', ')}`);
    let values: string[];
    if (binary === 'in' || binary === 'notin') {
      const open = take(true);
      if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
      const first = look(true);
      if (first.tok === ')') {
        pos++;
        values = [''];
      } else if (first.tok === 'id' || first.tok === ',') {
        const set = new Set<string>();
        for (;;) {
          const v = take(true);
          if (v.tok === 'id') {
            set.add(v.lit);
            const after = look(true);
            if (after.tok === ',') continue;
            if (after.tok === ')') break;
            throw new Error(`found '${after.lit}', expected: ',' or ')'`);
          }
          if (v.tok === ',') {
            if (set.size === 0) set.add('');
            const after = look(true);
            if (after.tok === ')') {
              set.add('');
              break;
            }
            if (after.tok === ',') set.add('');
            continue;
          }
          throw new Error(`found '${v.lit}', expected: ',', or identifier`);
        }
        if (take(true).tok !== ')') throw new Error(`found '${first.lit}', expected: ')'`);
        values = [...set].sort();
      } else {
        throw new Error(`found '${first.lit}', expected: ',', ')' or identifier`);
      }
    } else {
      const v = look(true);
      if (v.tok === 'end' || v.tok === ',') values = [''];
      else {
        pos++;
        if (v.tok !== 'id') throw new Error(`found '${v.lit}', expected: identifier`);
        values = [v.lit];
      }
    }
    for (const value of values) {
      const errs = labelValueErrors(value);
      if (errs.length) throw new Error(`values[0][${key}]: Invalid value: ${JSON.stringify(value)}: ${errs.join('; ')}`);
    }
    if ((binary === 'gt' || binary === 'lt') && !/^[-+]?\d+$/.test(values[0] ?? '')) {
      throw new Error(
        `values[0]: Invalid value: ${JSON.stringify(values[0])}: for 'Gt', 'Lt' operators, the value must be an integer`,
      );
    }
    return { key, op: binary, values };
  };
  const out: { key: string; op: Op; values: string[] }[] = [];
  for (;;) {
    const t = look(true);
    if (t.tok === 'end') return out;
    if (t.tok !== 'id' && t.tok !== '!') throw new SelectorError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
    try {
      out.push(requirement());
    } catch (error) {
      throw new SelectorError(`unable to parse requirement: ${(error as Error).message}`);
    }
    const after = take(true);
    if (after.tok === 'end') return out;
    if (after.tok !== ',') throw new SelectorError(`found '${after.lit}', expected: ',' or 'end of string'`);
    const next = look(true);
    if (next.tok !== 'id' && next.tok !== '!') throw new SelectorError(`found '${next.lit}', expected: identifier after ','`);
  }
}

/** A label selector, or `SelectorError` with the API server's message. */
export function parseLabelSelector(selector: string): Matcher {
  const matchers = parseRequirements(selector).map(({ key, op, values }): Matcher => {
    const set = new Set(values);
    switch (op) {
      case 'exists':
        return (l) => key in l;
      case '!':
        return (l) => !(key in l);
      case 'in':
      case '=':
      case '==':
        return (l) => key in l && set.has(l[key] as string);
      case 'notin':
      case '!=':
        return (l) => !(key in l) || !set.has(l[key] as string);
      case 'gt':
        return (l) => key in l && Number(l[key]) > Number(values[0]);
      default:
        return (l) => key in l && Number(l[key]) < Number(values[0]);
    }
  });
  return (labels) => matchers.every((m) => m(labels));
}

export type FieldMatcher = (object: { metadata?: { name?: string; namespace?: string } }) => boolean;

/** Splits on commas not escaped with a backslash (fields.ParseSelector). */
function fieldTerms(selector: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i] as string;
    if (c === '\\' && i + 1 < selector.length) {
      current += c + selector[++i];
    } else if (c === ',') {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.filter((t) => t !== '');
}

/**
 * A field selector over `metadata.name` and `metadata.namespace`. `builtin`:
 * the resource is a built-in one (its error names the fields it knows);
 * custom resources answer `field label not supported`.
 */
export function parseFieldSelector(selector: string, builtin = false): FieldMatcher {
  const matchers = fieldTerms(selector).map((term): FieldMatcher => {
    const m = /^(.*?)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      throw new SelectorError(
        builtin
          ? `${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`
          : `field label not supported: ${field}`,
      );
    }
    const get = (o: Parameters<FieldMatcher>[0]) => (field === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace) ?? '';
    return op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value;
  });
  return (object) => matchers.every((m) => m(object));
}
