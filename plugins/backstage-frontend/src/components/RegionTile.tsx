import { Chip, makeStyles, Paper, Typography } from '@material-ui/core';
import {
  CallSplit as CallSplitIcon,
  CheckCircle as CheckCircleIcon,
  Error as ErrorIcon,
  Help as HelpIcon,
  Star as StarIcon,
  Warning as WarningIcon,
} from '@material-ui/icons';
import type { RegionState, SpillwayRegionHealth } from '../types.js';
import { percent } from './format.js';
import { UtilizationBar } from './UtilizationBar.js';

const useStyles = makeStyles((theme) => ({
  tile: {
    padding: theme.spacing(2),
    boxSizing: 'border-box',
    height: '100%',
    display: 'flex',
    flexDirection: 'column',
    gap: 10,
  },
  spillingTile: { borderColor: theme.palette.warning.main, borderWidth: 2 },
  header: { display: 'flex', alignItems: 'baseline', gap: theme.spacing(1), flexWrap: 'wrap' },
  cluster: { color: theme.palette.text.secondary, flexGrow: 1 },
  state: { display: 'flex', alignItems: 'center', gap: 6, fontWeight: 600 },
  healthy: { color: theme.palette.success.main },
  degraded: { color: theme.palette.warning.dark },
  down: { color: theme.palette.error.main },
  unknown: { color: theme.palette.text.secondary },
  spill: {
    display: 'flex',
    alignItems: 'center',
    gap: 8,
    padding: theme.spacing(0.75, 1),
    borderRadius: 4,
    background: theme.palette.warning.main,
    color: theme.palette.getContrastText(theme.palette.warning.main),
    fontWeight: 600,
  },
  row: { display: 'flex', justifyContent: 'space-between', gap: theme.spacing(1) },
  address: { fontFamily: 'monospace' },
  checks: { margin: 0, paddingLeft: theme.spacing(2.5) },
}));

const STATE_TEXT: Record<RegionState, string> = {
  healthy: 'Healthy',
  degraded: 'Degraded',
  down: 'Down',
  unknown: 'Unknown (unreadable)',
};

function StateIcon({ state }: { state: RegionState }) {
  const props = { fontSize: 'small' as const, 'aria-hidden': true };
  if (state === 'healthy') return <CheckCircleIcon {...props} />;
  if (state === 'degraded') return <WarningIcon {...props} />;
  if (state === 'down') return <ErrorIcon {...props} />;
  return <HelpIcon {...props} />;
}

/** The preferred region is at or above the load balancer's threshold (as the core's markSpilling reads it). */
export function isFull(region: SpillwayRegionHealth): boolean {
  return region.threshold !== undefined && (region.utilization ?? 0) >= region.threshold;
}

/** Region names, each kept on one line. */
function Regions({ names, fallback }: { names: string[]; fallback: string }) {
  if (names.length === 0) return <>{fallback}</>;
  return (
    <>
      {names.map((name, i) => (
        <span key={name} style={{ whiteSpace: 'nowrap' }}>
          {i > 0 ? ', ' : ''}
          {name}
        </span>
      ))}
    </>
  );
}

export interface RegionTileProps {
  region: SpillwayRegionHealth;
  /** Regions of the same service taking the overflow, named on the preferred region's tile. */
  overflowTo: string[];
  /** The preferred region(s) whose overflow this region takes. */
  overflowFrom: string[];
}

export function RegionTile({ region, overflowTo, overflowFrom }: RegionTileProps) {
  const classes = useStyles();
  const failing = region.checks.filter((check) => !check.ok);
  const fullAndSpilling = region.preferred && isFull(region) && overflowTo.length > 0;
  const spillSign = region.spilling ? (
    <span>
      Spilling over: takes the overflow of <Regions names={overflowFrom} fallback="the preferred region" />
    </span>
  ) : fullAndSpilling ? (
    <span>
      Spilling over: full, overflow goes to <Regions names={overflowTo} fallback="other regions" />
    </span>
  ) : undefined;

  return (
    <Paper
      variant="outlined"
      className={`${classes.tile} ${spillSign ? classes.spillingTile : ''}`}
      role="region"
      aria-label={`Region ${region.region}`}
      data-testid={`spillway-region-${region.region}`}
    >
      <div className={classes.header}>
        <Typography variant="h6" component="h3">
          {region.region}
        </Typography>
        <Typography variant="body2" className={classes.cluster}>
          cluster {region.cluster}
        </Typography>
        {region.preferred && <Chip size="small" color="primary" icon={<StarIcon />} label="Preferred" />}
      </div>

      <Typography variant="body1" className={`${classes.state} ${classes[region.state]}`}>
        <StateIcon state={region.state} />
        {STATE_TEXT[region.state]}
      </Typography>

      {spillSign && (
        <div className={classes.spill} role="status">
          <CallSplitIcon fontSize="small" aria-hidden />
          {spillSign}
        </div>
      )}

      <div className={classes.row}>
        <Typography variant="body2">Model servers</Typography>
        <Typography variant="body2" component="span">
          {region.modelServers ? (
            <strong>
              {region.modelServers.ready}/{region.modelServers.desired} ready
            </strong>
          ) : (
            'unknown'
          )}
          {region.hpa?.desiredReplicas !== undefined &&
            region.modelServers &&
            region.hpa.desiredReplicas !== region.modelServers.desired &&
            ` (HPA wants ${region.hpa.desiredReplicas})`}
        </Typography>
      </div>

      <UtilizationBar
        utilization={region.utilization}
        target={region.hpa?.target}
        threshold={region.threshold}
        source={region.utilizationSource}
      />

      <div className={classes.row}>
        <Typography variant="body2">Gateway</Typography>
        <Typography variant="body2" className={classes.address}>
          {region.gatewayAddress ?? 'no address yet'}
        </Typography>
      </div>

      {failing.length > 0 && (
        <div>
          <Typography variant="body2" color="error">
            {failing.length === 1 ? '1 check fails' : `${failing.length} checks fail`}
          </Typography>
          <ul className={classes.checks}>
            {failing.map((check) => (
              <li key={check.name}>
                <Typography variant="body2">
                  <strong>{check.name}</strong>: {check.detail}
                </Typography>
              </li>
            ))}
          </ul>
        </div>
      )}

      {region.drift && region.drift.length > 0 && (
        <Typography variant="caption" color="textSecondary">
          Drifted from the spec: {region.drift.join(', ')}
        </Typography>
      )}
      {region.utilization !== undefined && region.threshold !== undefined && region.preferred && (
        <Typography variant="caption" color="textSecondary">
          {isFull(region)
            ? `At ${percent(region.utilization)}, at or above the ${percent(region.threshold)} threshold`
            : `Headroom before spill-over: ${percent(Math.max(0, region.threshold - region.utilization))}`}
        </Typography>
      )}
    </Paper>
  );
}
