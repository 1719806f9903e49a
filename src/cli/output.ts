// Where human niceties are allowed: colour and spinners only on a TTY, never with --json,
// CI=true or NO_COLOR (docs/cli.md).

export interface OutputMode {
  json: boolean;
  color: boolean;
  spinner: boolean;
}

export function outputMode(json: boolean, env: NodeJS.ProcessEnv = process.env): OutputMode {
  const ci = env.CI === 'true' || env.CI === '1';
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    json,
    color: !json && !ci && !noColor && process.stdout.isTTY === true,
    spinner: !json && !ci && process.stderr.isTTY === true,
  };
}
