/** A fraction as a whole percentage, e.g. 0.834 → "83%". */
export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS UTC`, the same for every reader whatever their locale. */
export function utcTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
