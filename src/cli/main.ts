#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/ConfigError.js';
import { UnknownModelError } from '../core/UnknownModelError.js';
import { registerDemoCommand, UsageError } from './commands/demo.js';
import { registerEstimateCommand } from './commands/estimate.js';
import { registerPricingCommand } from './commands/pricing.js';
import { registerUsageCommand } from './commands/usage.js';
import { registerBudgetsCommand } from './commands/budgets.js';
import { registerReportCommand } from './commands/report.js';
import { registerServeCommand } from './commands/serve.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerPruneCommand } from './commands/prune.js';
import { registerResetCommands } from './commands/resets.js';
import { packageVersion } from './packageVersion.js';

// `tollgate pricing | head` closes stdout early: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('tollgate')
  .description('Count, price and budget every LLM call.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .option('--config <file>', 'config file (default: TOLLGATE_CONFIG, ./tollgate.toml, ./tollgate.json)')
  .option('--json', 'machine-readable output (before or after the command)')
  .exitOverride();

// `tollgate --json <command>` means the same as `tollgate <command> --json`.
program.hook('preAction', (_program, action) => {
  if (program.opts<{ json?: boolean }>().json === true && action.options.some((o) => o.long === '--json')) {
    action.setOptionValue('json', true);
  }
});

// One line per command module (each exports register<Name>Command(program)).
registerPricingCommand(program);
registerEstimateCommand(program);
registerDemoCommand(program);
registerUsageCommand(program);
registerBudgetsCommand(program);
registerReportCommand(program);
registerServeCommand(program);
registerDoctorCommand(program);
registerPruneCommand(program);
registerResetCommands(program);

/** Exit codes: 0 ok, 2 usage or configuration mistake, 1 anything unexpected. */
try {
  await program.parseAsync(process.argv);
} catch (err: unknown) {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help) already
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof ConfigError || err instanceof UnknownModelError || err instanceof UsageError) {
    process.stderr.write(`tollgate: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`tollgate: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
