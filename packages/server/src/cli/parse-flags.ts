/**
 * Splits `--flag value`, `--flag=value` and `--flag` (boolean) from positional arguments.
 * @example parseFlags(['--mode', 'live', 'x']) // { flags: { mode: 'live' }, args: ['x'] }
 */
export function parseFlags(argv: string[]): { flags: Record<string, string | true>; args: string[] } {
  const flags: Record<string, string | true> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      args.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) flags[name] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) flags[name] = argv[++i]!;
    else flags[name] = true;
  }
  return { flags, args };
}
