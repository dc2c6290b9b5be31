import type { Command } from 'commander';

type Register = (program: Command) => void;
type ModuleName =
  | 'agent'
  | 'attach'
  | 'ps'
  | 'status'
  | 'router'
  | 'lab'
  | 'dockerd'
  | 'telemetry'
  | 'capture'
  | 'events'
  | 'doctor';

/**
 * Each command's module, loaded only when that command runs: the UI (no command) loads none of them, `attach`
 * loads attach.js alone, and `--help` (or a word that is no command) loads them all so help lists every one.
 * The order here is the order `--help` lists them in.
 */
export const MODULES: Record<ModuleName, () => Promise<Register>> = {
  agent: async () => (await import('./agent.js')).registerAgent,
  attach: async () => (await import('./attach.js')).registerAttach,
  ps: async () => (await import('./ps.js')).registerPs,
  status: async () => (await import('./status.js')).registerStatus,
  router: async () => (await import('./router.js')).registerRouter,
  lab: async () => (await import('./lab.js')).registerLab,
  dockerd: async () => (await import('./dockerd.js')).registerDockerd,
  telemetry: async () => (await import('./telemetry.js')).registerPing,
  capture: async () => (await import('./capture.js')).registerCapture,
  events: async () => (await import('./events.js')).registerEvents,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
};
/** Command name -> the module that registers it. */
export const COMMANDS: Record<string, ModuleName> = {
  agent: 'agent',
  attach: 'attach',
  detach: 'attach',
  ps: 'ps',
  status: 'status',
  launch: 'router',
  connect: 'router',
  forget: 'router',
  stop: 'router',
  reset: 'router',
  confirm: 'router',
  'rotate-key': 'router',
  lab: 'lab',
  dockerd: 'dockerd',
  ping: 'telemetry',
  capture: 'capture',
  events: 'events',
  doctor: 'doctor',
};
/** Global options that take a value (the word after them is not the command). */
const VALUED = new Set(['--socket', '--lab']);

/** The command word in argv: a name, `none` for the bare UI, `all` when help is asked for or it is unclear. */
export function commandWord(argv: readonly string[]): string | 'none' | 'all' {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUED.has(a)) i++;
    else if (a === '--help' || a === '-h') return 'all';
    else if (!a.startsWith('-')) return Object.hasOwn(COMMANDS, a) ? a : 'all';
  }
  return 'none';
}

/** The modules to load for that word, in help order. */
export function modulesFor(word: string): ModuleName[] {
  if (word === 'none') return [];
  const one = COMMANDS[word];
  return one ? [one] : (Object.keys(MODULES) as ModuleName[]);
}
