// The PrefLab command line (`npm run lab -- <command>`): a thin dispatcher to one module per command.

import { EXPORT_USAGE, exportCommand } from './export';
import { PRESETS_USAGE, RUN_USAGE, presetsCommand, runCommand } from './run';
import { EXIT_BAD_INPUT, EXIT_OK, VERIFY_USAGE, verifyCommand } from './verify';

interface Command {
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit status. */
  run: (argv: readonly string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  verify: {
    summary: 'check oracle fixtures (a folder or one .json) on the webgpu and/or cpu backend',
    usage: VERIFY_USAGE,
    run: (argv) => verifyCommand(argv),
  },
  run: {
    summary: 'run an experiment (a preset or a config file) and write its metrics as JSON lines',
    usage: RUN_USAGE,
    run: runCommand,
  },
  export: {
    summary: 'export a run as a plain PyTorch project that reproduces its first steps (--torch DIR)',
    usage: EXPORT_USAGE,
    run: exportCommand,
  },
  presets: {
    summary: 'list the built-in experiments',
    usage: PRESETS_USAGE,
    run: presetsCommand,
  },
};

const USAGE = `usage: lab <command> [options]     (npm run lab -- <command> [options])

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Run "lab <command> --help" for a command's options.`;

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(USAGE);
    return EXIT_BAD_INPUT;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' && rest[0] && Object.hasOwn(COMMANDS, rest[0]) ? COMMANDS[rest[0]] : undefined;
    console.log(topic ? topic.usage : USAGE);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`lab: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  return command.run(rest);
}

// Dawn keeps native handles alive after the work is done: exit explicitly once output is flushed.
main(process.argv.slice(2)).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
