/** One thing wrong with a spec, located in its file. */
export interface SpecIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted field path inside the document, e.g. `spec.clusters[1].location`. */
  path: string;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  hint: string;
}

/** `FILE:LINE:COL PATH: what is wrong — what to do` */
export function formatIssue(issue: SpecIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const path = issue.path ? ` ${issue.path}` : '';
  return `${where}${path}: ${issue.message} — ${issue.hint}`;
}

/** Thrown by entry points that refuse to continue with an invalid spec. */
export class SpecInvalidError extends Error {
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[]) {
    super(
      `the spec has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'SpecInvalidError';
    this.issues = issues;
  }
}

export type Path = ReadonlyArray<string | number>;

/** `['spec', 'clusters', 1, 'location']` → `spec.clusters[1].location` */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}
