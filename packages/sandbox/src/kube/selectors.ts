/**
 * Label selectors (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`) and field selectors
 * (`metadata.name=x`, `metadata.namespace!=y`, any dotted path) as the list API accepts them.
 */
import { badRequest } from './errors.js';

export type Matcher = (obj: any) => boolean;

/** Splits at commas outside parentheses. */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of selector) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.map((r) => r.trim()).filter((r) => r !== '');
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value))
    throw badRequest(`unable to parse requirement: invalid label value "${value}" in "${selector}"`);
  return value;
}

export function labelMatcher(selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  const tests = requirements(selector).map((req): ((labels: Record<string, string>) => boolean) => {
    let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(req);
    if (m) {
      const key = checkKey(m[1]!, selector);
      const values = new Set(m[3]!.split(',').map((v) => checkValue(v.trim(), selector)));
      return m[2] === 'in'
        ? (l) => key in l && values.has(l[key]!)
        : (l) => !(key in l) || !values.has(l[key]!);
    }
    m = /^!\s*(\S+)$/.exec(req);
    if (m) {
      const key = checkKey(m[1]!, selector);
      return (l) => !(key in l);
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(req);
    if (m) {
      const key = checkKey(m[1]!, selector);
      const value = checkValue(m[3]!, selector);
      return m[2] === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    if (/^\S+$/.test(req)) {
      const key = checkKey(req, selector);
      return (l) => key in l;
    }
    throw badRequest(`unable to parse requirement: "${req}" in label selector "${selector}"`);
  });
  return (obj) => {
    const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
    return tests.every((t) => t(labels));
  };
}

export function fieldMatcher(selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  const tests = requirements(selector).map((req) => {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(req);
    if (!m) throw badRequest(`invalid selector: '${req}'; can't understand '${req}'`);
    const path = m[1]!.split('.');
    const value = m[3]!.trim();
    const equal = (obj: any) => {
      const v = path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
      return String(v ?? '') === value;
    };
    return m[2] === '!=' ? (obj: any) => !equal(obj) : equal;
  });
  return (obj) => tests.every((t) => t(obj));
}
