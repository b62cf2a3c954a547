/**
 * The PromQL subset the sandbox's Prometheus API evaluates (instant queries only):
 *
 *   vllm:kv_cache_usage_perc                              an instant vector selector
 *   vllm:kv_cache_usage_perc{cluster="gke-east"}          label matchers: =  !=  =~  !~ (regex fully anchored)
 *   {__name__="vllm:kv_cache_usage_perc", pod=~"vllm-.*"} the name as a matcher (= only)
 *   avg by (cluster) (vllm:kv_cache_usage_perc)           sum, avg, min, max, count; by (…) or without (…),
 *   max(vllm:kv_cache_usage_perc) by (cluster, pod)       before or after the parenthesised selector
 *
 * Anything else (functions, arithmetic, offsets, range vectors, nested aggregations) is a parse
 * error that the API reports as bad_data. A sample older than the 5-minute lookback, or newer
 * than the evaluation time, is not seen, as in Prometheus.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Unix seconds; when omitted the sample is current. */
  timestamp?: number;
}

/** Where the samples come from: every series of one metric, in one project. */
export type MetricSource = (metricName: string, project: string) => Sample[] | Promise<Sample[]>;

interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Query {
  metric: string;
  matchers: Matcher[];
  aggregation?: { op: 'sum' | 'avg' | 'min' | 'max' | 'count'; mode: 'by' | 'without'; labels: string[] };
}

export class PromQLError extends Error {}

const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count'];
const TOKEN =
  /\s*(=~|!~|!=|=|[(){},]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|[a-zA-Z_:][a-zA-Z0-9_:]*|\S)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text))) tokens.push(m[1]!);
  return tokens;
}

export function parseQuery(text: string): Query {
  const tokens = tokenize(text);
  let i = 0;
  const fail = (why: string): never => {
    throw new PromQLError(
      `parse error: ${why} in query ${JSON.stringify(text)} (the sandbox supports selectors and sum/avg/min/max/count by|without)`,
    );
  };
  const peek = () => tokens[i];
  const next = () => tokens[i++] ?? fail('unexpected end of input');
  const expect = (token: string) => (next() === token ? token : fail(`expected "${token}" at token ${i}`));
  const identifier = () => {
    const token = next();
    return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(token) ? token : fail(`expected a label name, got "${token}"`);
  };

  function list<T>(open: string, close: string, item: () => T): T[] {
    expect(open);
    const items: T[] = [];
    while (peek() !== close) {
      items.push(item());
      if (peek() === ',') i++;
      else if (peek() !== close) fail(`expected "," or "${close}", got "${peek() ?? 'end of input'}"`);
    }
    i++;
    return items;
  }
  function matcher(): Matcher {
    const label = identifier();
    const op = next();
    if (!['=', '!=', '=~', '!~'].includes(op)) fail(`unexpected "${op}" after label ${label}`);
    const quoted = next();
    if (!/^["'`]/.test(quoted)) fail(`expected a quoted string after ${label}${op}`);
    return { label, op: op as Matcher['op'], value: unquote(quoted) };
  }
  function selector(): Pick<Query, 'metric' | 'matchers'> {
    let metric = peek() !== '{' ? next() : '';
    if (metric && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) fail(`unexpected "${metric}"`);
    const matchers = peek() === '{' ? list('{', '}', matcher) : [];
    const byName = matchers.find((m) => m.label === '__name__');
    if (byName && (metric || byName.op !== '=')) fail('the metric name must be given once, with =');
    metric ||= byName?.value ?? fail('a metric name is required');
    return { metric, matchers: matchers.filter((m) => m !== byName) };
  }
  function grouping() {
    const mode = next() as 'by' | 'without';
    return { mode, labels: list('(', ')', identifier) };
  }

  let query: Query;
  if (
    AGGREGATIONS.includes(peek() ?? '') &&
    (tokens[i + 1] === '(' || tokens[i + 1] === 'by' || tokens[i + 1] === 'without')
  ) {
    const op = next() as NonNullable<Query['aggregation']>['op'];
    let group = peek() === 'by' || peek() === 'without' ? grouping() : undefined;
    expect('(');
    const inner = selector();
    expect(')');
    if (!group && (peek() === 'by' || peek() === 'without')) group = grouping();
    query = { ...inner, aggregation: { op, ...(group ?? { mode: 'by', labels: [] }) } };
  } else {
    query = selector();
  }
  if (i !== tokens.length) fail(`unexpected "${tokens[i]}"`);
  for (const m of query.matchers) if (m.op.includes('~')) anchored(m.value);
  return query;
}

function unquote(quoted: string): string {
  if (quoted.startsWith('`')) return quoted.slice(1, -1);
  const inner = quoted.slice(1, -1);
  const body = quoted.startsWith("'") ? inner.replace(/\\'/g, "'").replace(/(^|[^\\])"/g, '$1\\"') : inner;
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    throw new PromQLError(`parse error: invalid string ${quoted}`);
  }
}

function anchored(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw new PromQLError(`parse error: invalid regular expression ${JSON.stringify(source)}`);
  }
}

function matchesAll(labels: Record<string, string>, matchers: Matcher[]): boolean {
  return matchers.every(({ label, op, value }) => {
    const actual = labels[label] ?? '';
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    const hit = anchored(value).test(actual);
    return op === '=~' ? hit : !hit;
  });
}

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

const LOOKBACK_SECONDS = 300;

/** Evaluates a parsed query at `time` (unix seconds) over the samples of its metric. */
export function evaluate(query: Query, samples: Sample[], time: number): VectorSample[] {
  const series = samples
    .filter(
      (s) => s.timestamp === undefined || (s.timestamp <= time && s.timestamp > time - LOOKBACK_SECONDS),
    )
    .map((s) => ({ metric: { __name__: query.metric, ...s.labels }, value: s.value }))
    .filter((s) => matchesAll(s.metric, query.matchers));
  const agg = query.aggregation;
  if (!agg) return series;
  const groups = new Map<string, { metric: Record<string, string>; values: number[] }>();
  for (const s of series) {
    const metric: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.metric)) {
      const keep = agg.mode === 'by' ? agg.labels.includes(k) : k !== '__name__' && !agg.labels.includes(k);
      if (keep && v !== '') metric[k] = v;
    }
    const key = JSON.stringify(Object.entries(metric).sort());
    const group = groups.get(key) ?? { metric, values: [] };
    group.values.push(s.value);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ metric, values }) => ({ metric, value: reduce(agg.op, values) }));
}

function reduce(op: NonNullable<Query['aggregation']>['op'], values: number[]): number {
  const sum = values.reduce((a, b) => a + b, 0);
  if (op === 'sum') return sum;
  if (op === 'avg') return sum / values.length;
  if (op === 'count') return values.length;
  return op === 'min' ? Math.min(...values) : Math.max(...values);
}

/** A sample value as Prometheus writes it (Go's FormatFloat 'f', -1): no exponent, NaN, +Inf. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const text = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const exp = Number(m[4]);
  if (exp > 0) return BigInt(Math.round(v)).toString();
  return v.toFixed(Math.min(100, (m[3]?.length ?? 0) - exp));
}
