// Where human niceties are allowed: colour and spinners only on a TTY, never with --json,
// CI=true or NO_COLOR (docs/cli.md). Colour follows the one rule in src/report/term.ts
// (colorWanted: FORCE_COLOR, NO_COLOR, CI, TERM=dumb, a TTY), so a report's paint and this agree.

import { colorWanted } from '../report/terminal.js';

export interface OutputMode {
  json: boolean;
  color: boolean;
  spinner: boolean;
}

export function outputMode(json: boolean, env: NodeJS.ProcessEnv = process.env): OutputMode {
  const ci = env.CI === 'true' || env.CI === '1';
  return {
    json,
    color: colorWanted(env, process.stdout.isTTY === true, json),
    spinner: !json && !ci && process.stderr.isTTY === true,
  };
}
