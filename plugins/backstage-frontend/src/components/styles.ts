import type { CSSProperties } from 'react';

/**
 * The card's own layout, on Backstage UI's design tokens (CSS variables), so it follows the app's
 * theme, light or dark.
 */
export const styles = {
  banner: {
    display: 'flex',
    alignItems: 'center',
    gap: 'var(--bui-space-2)',
    padding: 'var(--bui-space-2) var(--bui-space-3)',
    borderRadius: 'var(--bui-radius-2)',
    border: '1px solid var(--bui-border-warning)',
    background: 'var(--bui-bg-warning)',
    color: 'var(--bui-fg-warning-on-bg)',
    fontWeight: 'var(--bui-font-weight-bold)',
  },
  tile: {
    height: '100%',
    boxSizing: 'border-box',
    display: 'flex',
    flexDirection: 'column',
    gap: 'var(--bui-space-2)',
    padding: 'var(--bui-space-3)',
    borderRadius: 'var(--bui-radius-3)',
    border: '1px solid var(--bui-border-1)',
    background: 'var(--bui-bg-neutral-1)',
  },
  spillingTile: { border: '2px solid var(--bui-border-warning)' },
  spill: {
    display: 'flex',
    alignItems: 'center',
    gap: 'var(--bui-space-2)',
    padding: 'var(--bui-space-1_5) var(--bui-space-2)',
    borderRadius: 'var(--bui-radius-2)',
    background: 'var(--bui-bg-warning)',
    color: 'var(--bui-fg-warning-on-bg)',
    fontWeight: 'var(--bui-font-weight-bold)',
  },
  address: { fontFamily: 'var(--bui-font-monospace)' },
  checks: { margin: 0, paddingLeft: 'var(--bui-space-5)' },
  track: {
    position: 'relative',
    height: 14,
    borderRadius: 'var(--bui-radius-1)',
    background: 'var(--bui-border-1)',
    overflow: 'hidden',
  },
  fill: { position: 'absolute', top: 0, bottom: 0, left: 0 },
  marker: { position: 'absolute', top: 0, bottom: 0, width: 0 },
  // Dark marks with a light halo stay visible on every fill colour.
  targetMarker: { borderLeft: '2px dashed var(--bui-fg-primary)', boxShadow: '1px 0 0 var(--bui-bg-app)' },
  thresholdMarker: {
    borderLeft: '3px solid var(--bui-fg-primary)',
    boxShadow: '1px 0 0 var(--bui-bg-app), -1px 0 0 var(--bui-bg-app)',
  },
  swatch: { display: 'inline-block', width: 0, height: 10, marginRight: 4, verticalAlign: 'middle' },
} satisfies Record<string, CSSProperties>;

/** The bar's fill per level: under the HPA target, over it, at or over the spill-over threshold. */
export const fillColors = {
  underTarget: 'var(--bui-bg-solid)',
  overTarget: 'var(--bui-fg-warning)',
  overThreshold: 'var(--bui-fg-danger)',
};
