/**
 * Just enough of Go's text/template to render the upstream `inferencepool` chart for one known
 * set of values, since helm is not installed. Nothing is interpreted generically: every
 * expression, condition and range the templates use must be listed in a {@link ChartContext},
 * and an unlisted one throws, so a change in the upstream templates fails the test instead of
 * rendering wrongly. Supported: `{{- … -}}` whitespace trimming, `if`/`with`/`range` with
 * `else`, variable assignments (dropped: their values are given as expressions) and
 * `EXPR | nindent N`.
 */

export interface ChartContext {
  /** `{{ expr }}` → its text. */
  exprs: Record<string, string>;
  /** The head of an `if` or `with` → whether its body renders (a true `with` keeps the same dot). */
  conds: Record<string, boolean>;
  /** The head of a `range` → one table of extra expressions per item. */
  ranges: Record<string, Record<string, string>[]>;
}

type Node =
  | { text: string }
  | { expr: string }
  | { block: 'if' | 'with' | 'range'; head: string; then: Node[]; else: Node[] };

const ACTION = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
const ASSIGNMENT = /^\$\w+\s*:?=/;

function parseTemplate(src: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { block: string }>; inElse: boolean }[] = [];
  const current = () => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.else : top.node.then) : root;
  };
  let last = 0;
  let trimNext = false;
  for (const m of src.matchAll(ACTION)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    if (text) current().push({ text });
    last = m.index! + m[0].length;
    trimNext = m[3] === '-';
    const action = m[2]!;
    const open = /^(if|with|range)\s+([\s\S]+)$/.exec(action);
    if (open) {
      const node = { block: open[1] as 'if' | 'with' | 'range', head: open[2]!, then: [], else: [] };
      current().push(node);
      stack.push({ node, inElse: false });
    } else if (action === 'else') {
      if (!stack.length) throw new Error('{{ else }} outside a block');
      stack[stack.length - 1]!.inElse = true;
    } else if (action === 'end') {
      if (!stack.pop()) throw new Error('{{ end }} outside a block');
    } else if (!ASSIGNMENT.test(action)) {
      current().push({ expr: action });
    }
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  if (tail) root.push({ text: tail });
  if (stack.length) throw new Error(`unclosed {{ ${stack[stack.length - 1]!.node.block} }}`);
  return root;
}

function lookup<T>(table: Record<string, T>, key: string, what: string): T {
  if (!(key in table))
    throw new Error(`chart template ${what} "${key}" is not in the test's table: judge it and add it`);
  return table[key]!;
}

function evaluate(nodes: Node[], ctx: ChartContext): string {
  let out = '';
  for (const node of nodes) {
    if ('text' in node) out += node.text;
    else if ('expr' in node) {
      const nindent = /^([\s\S]*?)\s*\|\s*nindent\s+(\d+)$/.exec(node.expr);
      const value = lookup(ctx.exprs, nindent ? nindent[1]! : node.expr, 'expression');
      const pad = nindent ? ' '.repeat(Number(nindent[2])) : '';
      out += nindent
        ? `\n${value
            .split('\n')
            .map((line) => pad + line)
            .join('\n')}`
        : value;
    } else if (node.block === 'range') {
      const items = lookup(ctx.ranges, node.head, 'range');
      out += items.length
        ? items.map((item) => evaluate(node.then, { ...ctx, exprs: { ...ctx.exprs, ...item } })).join('')
        : evaluate(node.else, ctx);
    } else {
      out += evaluate(lookup(ctx.conds, node.head, 'condition') ? node.then : node.else, ctx);
    }
  }
  return out;
}

/** A template's text rendered for the given context. */
export function renderChartTemplate(src: string, ctx: ChartContext): string {
  return evaluate(parseTemplate(src), ctx);
}

/** Go's fmt.Sprintf for `%s` verbs only, as the chart's printf calls use. */
export function sprintf(format: string, args: string[]): string {
  let i = 0;
  return format.replace(/%s/g, () => {
    if (i >= args.length) throw new Error(`printf "${format}" has more %s than arguments`);
    return args[i++]!;
  });
}
