import { makeStyles, Typography } from '@material-ui/core';
import { percent } from './format.js';

const useStyles = makeStyles((theme) => ({
  track: {
    position: 'relative',
    height: 14,
    borderRadius: 3,
    background: theme.palette.type === 'dark' ? theme.palette.grey[800] : theme.palette.grey[200],
    overflow: 'hidden',
  },
  fill: { position: 'absolute', top: 0, bottom: 0, left: 0 },
  underTarget: { background: theme.palette.primary.main },
  overTarget: { background: theme.palette.warning.main },
  overThreshold: { background: theme.palette.error.main },
  marker: { position: 'absolute', top: 0, bottom: 0, width: 0 },
  // Dark marks with a light halo stay visible on every fill colour.
  targetMarker: {
    borderLeft: `2px dashed ${theme.palette.grey[900]}`,
    boxShadow: `1px 0 0 ${theme.palette.common.white}`,
  },
  thresholdMarker: {
    borderLeft: `3px solid ${theme.palette.grey[900]}`,
    boxShadow: `1px 0 0 ${theme.palette.common.white}, -1px 0 0 ${theme.palette.common.white}`,
  },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(1.5),
    marginTop: theme.spacing(0.5),
    color: theme.palette.text.secondary,
  },
  swatch: { display: 'inline-block', width: 0, height: 10, marginRight: 4, verticalAlign: 'middle' },
}));

export interface UtilizationBarProps {
  /** KV-cache utilization, a fraction; undefined when it could not be read. */
  utilization?: number;
  /** The HPA's target utilization, a fraction. */
  target?: number;
  /** The load balancer's threshold, a fraction: at or above it, traffic spills to other regions. */
  threshold?: number;
  source?: 'monitoring' | 'hpa';
}

/** KV-cache utilization as a bar, marked with the HPA target (dashed) and the spill-over threshold (solid). */
export function UtilizationBar({ utilization, target, threshold, source }: UtilizationBarProps) {
  const classes = useStyles();
  const clamp = (fraction: number) => Math.min(100, Math.max(0, fraction * 100));
  const level =
    utilization === undefined
      ? undefined
      : threshold !== undefined && utilization >= threshold
        ? classes.overThreshold
        : target !== undefined && utilization > target
          ? classes.overTarget
          : classes.underTarget;
  const description = [
    utilization === undefined ? 'KV-cache utilization unknown' : `KV cache ${percent(utilization)} used`,
    target !== undefined ? `HPA target ${percent(target)}` : undefined,
    threshold !== undefined ? `load balancer threshold ${percent(threshold)}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');

  return (
    <div>
      <Typography variant="body2">
        KV cache <strong>{utilization === undefined ? 'unknown' : percent(utilization)}</strong>
        {source ? ` (from ${source === 'monitoring' ? 'Cloud Monitoring' : 'the HPA'})` : ''}
      </Typography>
      <div
        className={classes.track}
        role="meter"
        aria-label="KV-cache utilization"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={utilization === undefined ? undefined : Math.round(utilization * 100)}
        aria-valuetext={description}
        title={description}
      >
        {utilization !== undefined && (
          <div className={`${classes.fill} ${level}`} style={{ width: `${clamp(utilization)}%` }} />
        )}
        {target !== undefined && (
          <div
            className={`${classes.marker} ${classes.targetMarker}`}
            style={{ left: `${clamp(target)}%` }}
          />
        )}
        {threshold !== undefined && (
          <div
            className={`${classes.marker} ${classes.thresholdMarker}`}
            style={{ left: `calc(${clamp(threshold)}% - 1px)` }}
          />
        )}
      </div>
      <Typography variant="caption" component="div" className={classes.legend} aria-hidden="true">
        {target !== undefined && (
          <span>
            <span className={`${classes.swatch} ${classes.targetMarker}`} />
            HPA target {percent(target)}
          </span>
        )}
        {threshold !== undefined && (
          <span>
            <span className={`${classes.swatch} ${classes.thresholdMarker}`} />
            Spill-over threshold {percent(threshold)}
          </span>
        )}
      </Typography>
    </div>
  );
}
