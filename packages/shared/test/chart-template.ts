/**
 * Just enough of Go's text/template to render the upstream `inferencepool` chart for one known
 * set of values, since helm is not installed. Nothing is interpreted generically: every
 * expression, condition and range the templates use must be listed in a {@link ChartContext},
 * and an unlisted one throws, so a change in the upstream templates fails the test instead of
 * rendering wrongly. Supported: `{{- … -}}` whitespace trimming, `if`/`with`/`range` with
 * `else` and `else if`, comments, variable assignments (dropped: their values are given as
 * expressions), `EXPR | nindent N`, and `define` blocks (a library chart's helpers, given in
 * {@link ChartContext.defines}) rendered where `include "NAME" .` or
 * `printf "…%s…" (include "NAME" .)` names them.
 */

export interface ChartContext {
  /** `{{ expr }}` → its text. */
  exprs: Record<string, string>;
  /** The head of an `if` or `with` → whether its body renders (a true `with` keeps the same dot). */
  conds: Record<string, boolean>;
  /** The head of a `range` → one table of extra expressions per item. */
  ranges: Record<string, Record<string, string>[]>;
  /** `define` blocks by name, from {@link parseDefines}: what an unlisted `include` renders. */
  defines?: Record<string, Node[]>;
}

export type Node =
  | { text: string }
  | { expr: string }
  | { block: 'if' | 'with' | 'range' | 'define'; head: string; then: Node[]; else: Node[] };

type Block = Extract<Node, { block: string }>;

const ACTION = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
const ASSIGNMENT = /^\$\w+\s*:?=/;

function parseTemplate(src: string): Node[] {
  const root: Node[] = [];
  // `chained`: an `else if` opened this block inside its parent's else; one `end` closes both.
  const stack: { node: Block; inElse: boolean; chained?: boolean }[] = [];
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
    const open = /^(if|with|range|define)\s+([\s\S]+)$/.exec(action);
    const elseIf = /^else\s+if\s+([\s\S]+)$/.exec(action);
    if (/^\/\*[\s\S]*\*\/$/.test(action)) {
      // a comment
    } else if (open) {
      const head = open[1] === 'define' ? open[2]!.replace(/^"|"$/g, '') : open[2]!;
      const node: Block = { block: open[1] as Block['block'], head, then: [], else: [] };
      current().push(node);
      stack.push({ node, inElse: false });
    } else if (elseIf) {
      if (!stack.length) throw new Error('{{ else if }} outside a block');
      stack[stack.length - 1]!.inElse = true;
      const node: Block = { block: 'if', head: elseIf[1]!, then: [], else: [] };
      current().push(node);
      stack.push({ node, inElse: false, chained: true });
    } else if (action === 'else') {
      if (!stack.length) throw new Error('{{ else }} outside a block');
      stack[stack.length - 1]!.inElse = true;
    } else if (action === 'end') {
      let closed = stack.pop();
      if (!closed) throw new Error('{{ end }} outside a block');
      while (closed?.chained) closed = stack.pop();
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

/** An expression's text: from the table, else a helper the chart defines. */
function valueOf(expr: string, ctx: ChartContext): string {
  if (expr in ctx.exprs) return ctx.exprs[expr]!;
  const include = /^include "([^"]+)" [.$]$/.exec(expr);
  if (include && ctx.defines?.[include[1]!]) return evaluate(ctx.defines[include[1]!]!, ctx);
  const printf = /^printf "([^"]*)" \(include "([^"]+)" [.$]\)$/.exec(expr);
  if (printf && ctx.defines?.[printf[2]!])
    return sprintf(printf[1]!, [evaluate(ctx.defines[printf[2]!]!, ctx)]);
  return lookup(ctx.exprs, expr, 'expression');
}

function evaluate(nodes: Node[], ctx: ChartContext): string {
  let out = '';
  for (const node of nodes) {
    if ('text' in node) out += node.text;
    else if ('expr' in node) {
      const nindent = /^([\s\S]*?)\s*\|\s*nindent\s+(\d+)$/.exec(node.expr);
      const value = valueOf(nindent ? nindent[1]! : node.expr, ctx);
      const pad = nindent ? ' '.repeat(Number(nindent[2])) : '';
      out += nindent
        ? `\n${value
            .split('\n')
            .map((line) => pad + line)
            .join('\n')}`
        : value;
    } else if (node.block === 'define') {
      // defines render where they are included
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

/** The `define` blocks of template files (e.g. a library chart's), by name. */
export function parseDefines(...sources: string[]): Record<string, Node[]> {
  const defines: Record<string, Node[]> = {};
  for (const src of sources)
    for (const node of parseTemplate(src))
      if ('block' in node && node.block === 'define') defines[node.head] = node.then;
  return defines;
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
