/** Name rules shared by the checks and the renderer. */

const RFC1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const RFC1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export type NameCheck = { ok: true } | { ok: false; message: string; hint: string };

/** RFC 1035 label: starts with a letter, lower-case letters, digits and '-', ends alphanumeric. */
export function checkRfc1035(value: string, max: number, why = ''): NameCheck {
  return checkLabel(
    value,
    max,
    RFC1035,
    'an RFC 1035 label (lower-case letters, digits and -, starting with a letter)',
    why,
  );
}

/** RFC 1123 label, as Kubernetes object names and namespaces need. */
export function checkRfc1123(value: string, max: number, why = ''): NameCheck {
  return checkLabel(value, max, RFC1123, 'an RFC 1123 label (lower-case letters, digits and -)', why);
}

function checkLabel(value: string, max: number, pattern: RegExp, what: string, why: string): NameCheck {
  if (value.length > max) {
    return {
      ok: false,
      message: `${JSON.stringify(value)} is ${value.length} characters, over the limit of ${max}${why ? ` (${why})` : ''}`,
      hint: `shorten it to at most ${max} characters`,
    };
  }
  if (!pattern.test(value)) {
    const suggestion = value
      .toLowerCase()
      .replace(/[^-a-z0-9]+/g, '-')
      .replace(/^[^a-z]+/, '')
      .replace(/-+$/, '');
    return {
      ok: false,
      message: `${JSON.stringify(value)} is not ${what}`,
      hint: suggestion ? `use e.g. ${suggestion}` : 'use lower-case letters, digits and -',
    };
  }
  return { ok: true };
}

/** GCP project IDs: 6 to 30 characters, lower-case letters, digits and hyphens, starting with a letter. */
export function checkProjectId(value: string): NameCheck {
  if (/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(value)) return { ok: true };
  return {
    ok: false,
    message: `${JSON.stringify(value)} is not a Google Cloud project ID`,
    hint: 'use the project ID (6–30 lower-case letters, digits and -), not its name or number',
  };
}

/** `meta-llama/Llama-3.1-8B-Instruct` → `vllm-llama-3-1-8b-instruct` (at most 59 characters). */
export function derivePoolName(modelId: string): string {
  const base = (modelId.split('/').pop() ?? modelId)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `vllm-${base}`.slice(0, 59).replace(/-+$/, '');
}
