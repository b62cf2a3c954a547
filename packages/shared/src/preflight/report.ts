/** What preflight reports: per region, one row per check (CONTRACT.md §1b). Plain data for every face. */
export type Verdict = 'ok' | 'warning' | 'failure';

export interface PreflightCheck {
  /** What was checked: `quota PREEMPTIBLE_NVIDIA_H100_GPUS`, `accelerator nvidia-l4 in us-east4-a` … */
  name: string;
  /** What was found, with the figures. */
  found: string;
  /** failure: certain to stop an apply; warning: might, or could not be checked. */
  verdict: Verdict;
  /** What to do about it (absent when nothing needs doing). */
  todo?: string;
}

export interface PreflightRegion {
  platform: string;
  /** A region, or `global` for the project-wide checks (network, APIs, GPUS_ALL_REGIONS). */
  region: string;
  checks: PreflightCheck[];
}

export interface PreflightReport {
  /** False when any check is a certain failure. */
  ok: boolean;
  regions: PreflightRegion[];
}

/** `preflight --output json`, in the style of verify and status (CONTRACT.md §5): each check gains `ok` and `detail`. */
export function preflightJson(report: PreflightReport) {
  return {
    ok: report.ok,
    regions: report.regions.map((r) => ({
      platform: r.platform,
      region: r.region,
      checks: r.checks.map((c) => ({
        name: c.name,
        ok: c.verdict !== 'failure',
        verdict: c.verdict,
        detail: c.found,
        ...(c.todo ? { todo: c.todo } : {}),
      })),
    })),
  };
}

export const failuresOf = (report: PreflightReport) =>
  report.regions.flatMap((r) =>
    r.checks.filter((c) => c.verdict === 'failure').map((c) => ({ ...c, region: r.region })),
  );

export const warningsOf = (report: PreflightReport) =>
  report.regions.flatMap((r) =>
    r.checks.filter((c) => c.verdict === 'warning').map((c) => ({ ...c, region: r.region })),
  );

/** A check whose read failed: never certain, always said. */
export function unreadable(name: string, read: { error: string }, todo: string): PreflightCheck {
  return { name, found: `could not be read: ${read.error}`, verdict: 'warning', todo };
}
