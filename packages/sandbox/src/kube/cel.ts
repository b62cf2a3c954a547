/**
 * CEL as the API server evaluates admission expressions, with @marcbachmann/cel-js: `has()`,
 * `.exists()`, `.filter()`, the strings extension's `split()` and `join()`. A missing field
 * throws (GKE-FACTS.md, "Libraries measured here"), as it is an evaluation error in Kubernetes.
 * Objects reach CEL as Kubernetes gives them: JSON, with whole numbers as int.
 */
import { Environment, ParseError } from '@marcbachmann/cel-js';

const env = new Environment({
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
  // Kubernetes' CEL has optional types (`object.?spec`, `.orValue()`) since 1.29.
  enableOptionalTypes: true,
});
const parsed = new Map<string, ReturnType<Environment['parse']>>();

/** JSON as CEL sees it: whole numbers are int (BigInt here), the rest as is. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  // Array.from, not map: a structuredClone'd array may come from another realm (jest's vm), which CEL refuses.
  if (Array.isArray(value)) return Array.from(value, toCel);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

/** Evaluates one expression; throws on a parse or evaluation error. */
export function evaluateCel(expression: string, context: Record<string, unknown>): unknown {
  let run = parsed.get(expression);
  if (!run) parsed.set(expression, (run = env.parse(expression)));
  return run(context);
}

/** The first line of a CEL error: the rest is a source excerpt with a caret. */
export const celErrorMessage = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

/** The syntax error of an expression, or undefined when it parses. */
export function celSyntaxError(expression: string): string | undefined {
  try {
    env.parse(expression);
    return undefined;
  } catch (e) {
    if (e instanceof ParseError) return celErrorMessage(e);
    throw e;
  }
}
