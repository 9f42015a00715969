#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { SparkifyError, errorMessage } from '../core/errors.js';
import { consoleLogger } from '../run/log.js';
import { exitCodeAfter } from './interrupt.js';

// Each command's module is imported only when that command runs: `compile` and `ls` then never load what
// `run` needs, and `--help` loads none of them.

// Exit codes (DESIGN.md): 0 success; 1 a model, load or test failed; 2 usage, project or configuration error.

// The AWS SDK warns on every run under Node 20 about its future requirements; it is not the user's concern here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const log = consoleLogger();
const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

function common(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'the project directory (default: the current directory)')
    .option('-t, --target <name>', 'the target in project.yml to use (default: dev)')
    .option('--vars <json>', 'variables as a JSON object, e.g. \'{"data_path": "../shared/sparkify-data"}\'');
}

function selection(cmd: Command): Command {
  return cmd
    .option('-s, --select <selector...>', 'what to include (dbt syntax: name, +name, name+, @name, tag:, path:, config.materialized:)')
    .option('--exclude <selector...>', 'what to leave out (same syntax)');
}

function runFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--threads <n>', 'how many nodes to build at once').argParser((v) => {
      if (!/^[1-9]\d*$/.test(v)) throw new CommanderError(2, 'sparkify.threads', `--threads takes a whole number ≥ 1, not '${v}'`);
      return v;
    }))
    .option('--full-refresh', 'rebuild incremental models and reload staging tables from scratch')
    .option('--event-time-start <time>', 'microbatch models: build the batches from this time (e.g. 2018-11-05)')
    .option('--event-time-end <time>', 'microbatch models: build the batches up to this time (exclusive)')
    .option('-x, --fail-fast', 'stop at the first failure')
    .option('--no-wait', 'fail at once if another run is using the target, instead of waiting for it');
}

let exitCode = 0;
const program = new Command('sparkify')
  .description('A dbt-style SQL modeling framework for Postgres and Redshift')
  .version('0.1.0')
  .showSuggestionAfterError(true)
  .exitOverride();

const act = <T extends unknown[]>(fn: (...a: T) => Promise<number>) =>
  async (...a: T): Promise<void> => {
    exitCode = await fn(...a);
  };

for (const name of ['run', 'test', 'build', 'seed', 'snapshot'] as const) {
  const what = {
    run: 'build the selected models in dependency order',
    test: 'run the data tests of the selection',
    build: 'run models, seeds and snapshots and test them, in DAG order; a failed test skips what depends on it',
    seed: 'load the CSV files in seeds/ as tables',
    snapshot: 'record the selected snapshots: close the rows that changed and insert their new versions (SCD type 2)',
  }[name];
  runFlags(selection(common(program.command(name).description(what)))).action(act(async (opts: Record<string, unknown>) => (await import('./run.js')).runCommand(name, opts, log)));
}

selection(common(program.command('compile').description('render every node\'s SQL to target/compiled/'))).action(
  act(async (opts: Record<string, unknown>) => (await import('./inspect.js')).compileCommand(opts, log)),
);

selection(common(program.command('ls').alias('list').description('list what a selection means')))
  .option('--resource-type <type...>', 'model, test, seed, snapshot, source')
  .addOption(new Option('--output <format>', 'how to print each node').choices(['selector', 'name', 'path', 'json']).default('selector'))
  .action(act(async (opts: Record<string, unknown>) => (await import('./inspect.js')).lsCommand(opts, out, log)));

common(program.command('show').description('run a query against the warehouse and print the rows'))
  .option('--inline <sql>', 'SQL to run; may use {{ref "model"}}')
  .option('-s, --select <model...>', 'show the rows of a model')
  .addOption(new Option('--output <format>', 'table, json or csv').choices(['table', 'json', 'csv']).default('table'))
  .option('--limit <n>', 'at most this many rows (default 10 for table, all for json and csv)')
  .action(act(async (opts: Record<string, unknown>) => (await import('./inspect.js')).showCommand(opts, out, log)));

common(program.command('debug').description('check the project and the connection to the target')).action(
  act(async (opts: Record<string, unknown>) => (await import('./inspect.js')).debugCommand(opts, log)),
);

program
  .command('generate')
  .description('write deterministic sample raw data (log_data/, song_data/) in the S3 layout')
  .option('--out <dir>', 'where to write it', 'sample-data')
  .option('--events <n>', 'how many log events', '8000')
  .option('--songs <n>', 'catalogue size')
  .option('--users <n>', 'distinct users')
  .option('--days <n>', 'days of logs')
  .option('--seed <n>', 'random seed', '42')
  .option('--force', 'write into a directory that holds files generate did not write (they are kept)')
  .action(act(async (opts: Record<string, string | boolean | undefined>) => (await import('./generate.js')).generateCommand(opts, log)));

try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCode;
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.code === 'sparkify.threads') process.stderr.write(`error: ${err.message}\n`);
    // Commander has printed its own message; help and version are not errors.
    process.exitCode = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code) ? 0 : 2;
  } else if (err instanceof SparkifyError) {
    process.stderr.write(`Error: ${err.format()}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`Error: ${errorMessage(err)}\n${err instanceof Error && process.env.SPARKIFY_DEBUG ? `${err.stack}\n` : ''}`);
    process.exitCode = 2;
  }
}
// An interrupted command ends with 130, however it ended.
process.exitCode = exitCodeAfter(Number(process.exitCode ?? 0));
