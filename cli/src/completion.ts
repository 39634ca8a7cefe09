import { Argument, Command } from 'commander';
import { ExitCode, type CliCommand } from './command.js';
import { commands, type CommandEntry } from './commands/index.js';

/** What a completion script needs of one command: its name, summary and long options. */
interface CompletedCommand {
  name: string;
  summary: string;
  options: { flag: string; short?: string; description: string; takesValue: boolean; choices: string[] }[];
}

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

/** `netfleet completion <shell>`: a completion script for the shell, built from the commands' own definitions. */
export const completionCommand: CommandEntry = {
  name: 'completion',
  summary: 'Print a shell completion script (bash, zsh or fish) for netfleet\'s commands and options',
  load: async () => completion,
};

const completion: CliCommand = {
  define(command: Command): Command {
    return command
      .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
      .addHelpText('after', [
        '', 'Examples:',
        '  source <(netfleet completion bash)                                  # bash, this session',
        '  netfleet completion zsh > "${fpath[1]}/_netfleet"                   # zsh, then restart it',
        '  netfleet completion fish > ~/.config/fish/completions/netfleet.fish # fish',
      ].join('\n'));
  },

  async run(_options, args, io) {
    const described = await Promise.all(commands.map(describe));
    const script = { bash: bashScript, zsh: zshScript, fish: fishScript }[args[0] as Shell](described);
    io.stdout.write(script);
    return ExitCode.Ok;
  },
};

async function describe(entry: CommandEntry): Promise<CompletedCommand> {
  const command = (await entry.load()).define(new Command(entry.name));
  const options = command.options.filter((option) => option.long).map((option) => ({
    flag: option.long!,
    ...(option.short ? { short: option.short } : {}),
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices ?? [],
  }));
  return { name: entry.name, summary: entry.summary, options: [...options, { flag: '--help', description: 'show help', takesValue: false, choices: [] }] };
}

function bashScript(all: CompletedCommand[]): string {
  const cases = all.map((command) => {
    const values = command.options.filter((option) => option.choices.length > 0)
      .map((option) => `        ${[option.flag, option.short].filter(Boolean).join('|')}) COMPREPLY=($(compgen -W "${option.choices.join(' ')}" -- "$cur")); return ;;`);
    const valueCase = values.length > 0 ? ['      case "$prev" in', ...values, '      esac'] : [];
    return [`    ${command.name})`, ...valueCase, `      opts="${command.options.map((option) => option.flag).join(' ')}" ;;`].join('\n');
  });
  return `# bash completion for netfleet (netfleet completion bash)
_netfleet() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${all.map((command) => command.name).join(' ')} completion help --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -o filenames -F _netfleet netfleet
`;
}

/** A single-quoted shell word. */
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function zshScript(all: CompletedCommand[]): string {
  const escape = (text: string) => text.replace(/[[\]:]/g, (c) => `\\${c}`);
  const describeLines = all.map((command) => `    ${quoted(`${command.name}:${escape(command.summary)}`)}`);
  const cases = all.map((command) => {
    const specs = command.options.map((option) => {
      const value = !option.takesValue ? '' : option.choices.length > 0 ? `:value:(${option.choices.join(' ')})` : ':value:_files';
      return quoted(`${option.flag}[${escape(option.description)}]${value}`);
    });
    return `    ${command.name}) _arguments ${specs.join(' ')} ;;`;
  });
  return `#compdef netfleet
# zsh completion for netfleet (netfleet completion zsh)
_netfleet() {
  local -a commands
  commands=(
${describeLines.join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe 'netfleet command' commands
    return
  fi
  shift words
  (( CURRENT-- ))
  case "$words[1]" in
${cases.join('\n')}
  esac
}
compdef _netfleet netfleet
`;
}

function fishScript(all: CompletedCommand[]): string {
  const lines = ['# fish completion for netfleet (netfleet completion fish)', 'complete -c netfleet -f'];
  for (const command of all) {
    lines.push(`complete -c netfleet -n __fish_use_subcommand -a ${command.name} -d ${quoted(command.summary)}`);
    for (const option of command.options) {
      const value = option.choices.length > 0 ? ` -x -a ${quoted(option.choices.join(' '))}` : option.takesValue ? ' -r -F' : '';
      lines.push(`complete -c netfleet -n ${quoted(`__fish_seen_subcommand_from ${command.name}`)} -l ${option.flag.slice(2)} -d ${quoted(option.description)}${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
