/**
 * The `sluice` command: `run(argv)` parses the command line, runs one command and returns the
 * exit status (see exit-codes.ts). `bin/sluice.js` calls it; so does `node src/cli/main.ts`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CancelledError, toSluiceError } from '@sluice/errors';
import { DEFAULT_SERVER } from '../sluice-client.ts';
import { parseCommandLine } from './args.ts';
import { report, type CliIo } from './cli-io.ts';
import { EXIT, UsageError } from './exit-codes.ts';
import { uploadCommand } from './upload-command.ts';
import { uploadStateCommand } from './upload-state-commands.ts';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Runs the CLI. Without `io` it uses the process's streams and environment, and turns the
 * first Ctrl-C into a clean stop (uploads keep what they staged and resume on the next run);
 * a second Ctrl-C exits at once.
 */
export async function run(argv: readonly string[], io?: Partial<CliIo>): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(EXIT.INTERRUPTED);
    controller.abort(new CancelledError(`interrupted (${signal})`));
  };
  const own = io?.signal === undefined;
  if (own) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const cli: CliIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    env: io?.env ?? process.env,
    signal: io?.signal ?? controller.signal,
    // Opened only if a command reads it: an unused stdin must not hold the process open.
    get stdin() {
      return io?.stdin ?? process.stdin;
    },
  };
  try {
    const parsed = parseCommandLine(argv, cli.env);
    switch (parsed.kind) {
      case 'help':
        cli.stdout.write(parsed.text);
        return EXIT.OK;
      case 'version':
        cli.stdout.write(`sluice ${version()}\n`);
        return EXIT.OK;
    }
    try {
      return parsed.command === 'upload'
        ? await uploadCommand(cli, parsed.connection, parsed.values, parsed.positionals)
        : await uploadStateCommand(cli, parsed.command, parsed.connection, parsed.values, parsed.positionals);
    } catch (err) {
      const error = toSluiceError(err);
      if (error instanceof UsageError) throw error;
      return report(cli, error, parsed.connection);
    }
  } catch (err) {
    const error = toSluiceError(err);
    if (error instanceof UsageError) {
      cli.stderr.write(`sluice: ${error.message.trimEnd()}\n`);
      return EXIT.USAGE;
    }
    return report(cli, error, { server: cli.env.SLUICE_SERVER || DEFAULT_SERVER });
  } finally {
    if (own) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

const invoked = process.argv[1];
if (invoked && pathToFileURL(realpathSync(invoked)).href === import.meta.url) {
  process.exitCode = await run(process.argv.slice(2));
}
