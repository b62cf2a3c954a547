/**
 * Which `uses:` of a workflow are not pinned: a third-party action must name a full 40-hex commit
 * SHA with its version in a comment (`actions/checkout@<sha> # v7.0.1`), as Google pins its own, so
 * a moved or rewritten tag upstream cannot change what runs with the workflow's credentials.
 * Spillway's own actions may use their moving major tag (`spillway-dev/spillway/actions/verify@v1`,
 * released from this repository, docs/RELEASING.md); local actions (`./…`) need nothing.
 */
const OWN = /^spillway-dev\/spillway\/actions\/(provision|verify)@v\d+$/;
const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;
const VERSION_COMMENT = /^v\d+(\.\d+){0,2}$/;

export function unpinnedUses(text: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(?:#\s*(.*))?$/.exec(line);
    if (!m) return;
    const [, , ref, comment] = m;
    const at = `line ${i + 1}: ${ref}`;
    if (ref!.startsWith('./') || OWN.test(ref!)) return;
    if (!PINNED.test(ref!)) problems.push(`${at} is not pinned to a full 40-hex commit SHA`);
    else if (!VERSION_COMMENT.test((comment ?? '').trim()))
      problems.push(`${at} has no version comment (# vX.Y.Z)`);
  });
  return problems;
}
