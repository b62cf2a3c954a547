import type { CapacityTier, RegionHealth } from '@spillway/backstage-plugin-spillway-common';

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

const TIER_TEXT: Record<CapacityTier, string> = {
  reservation: 'Reservation',
  'on-demand': 'On-demand',
  'flex-start': 'Flex-start',
  spot: 'Spot',
};
const TIERS = Object.keys(TIER_TEXT) as CapacityTier[];

/**
 * The capacity tier(s) a region's model servers run on, e.g. `On-demand` or `Spot 1, Flex-start 1`,
 * and the tiers the autoscaler found unavailable, in the class's usual order.
 */
export function capacityText(capacity: NonNullable<RegionHealth['capacity']>): {
  tiers: string;
  unavailable: string[];
} {
  const used = TIERS.filter((t) => capacity.tiers[t]);
  const tiers =
    used.length === 0
      ? 'no node yet'
      : used.length === 1
        ? TIER_TEXT[used[0]!]
        : used.map((t) => `${TIER_TEXT[t]} ${capacity.tiers[t]}`).join(', ');
  const unavailable = TIERS.filter((t) => capacity.unavailable.some((u) => u.tier === t)).map((t) =>
    TIER_TEXT[t].toLowerCase(),
  );
  return { tiers, unavailable };
}
