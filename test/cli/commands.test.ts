import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, MODULES, commandWord, modulesFor } from '../../src/cli/commands.js';

describe('which command modules a command line loads', () => {
  it('the bare UI loads none; a command loads its own module only', () => {
    expect(modulesFor(commandWord([]))).toEqual([]);
    expect(modulesFor(commandWord(['--lab', 'h1']))).toEqual([]);
    expect(modulesFor(commandWord(['--socket', '/run/x.sock', '--no-start']))).toEqual([]);
    expect(modulesFor(commandWord(['--lab', 'h1', 'attach', '172.25.11.23/24', 'web']))).toEqual(['attach']);
    expect(modulesFor(commandWord(['--json', 'detach', 'web']))).toEqual(['attach']);
    expect(modulesFor(commandWord(['--lab', 'h2', 'connect', '198.18.0.1']))).toEqual(['router']);
    expect(modulesFor(commandWord(['lab', 'up', '--hosts', '3']))).toEqual(['lab']);
  });
  it('help, or a word that is no command, loads them all so help and suggestions see every command', () => {
    const all = [
      'agent',
      'attach',
      'ps',
      'status',
      'router',
      'lab',
      'dockerd',
      'telemetry',
      'capture',
      'events',
      'doctor',
    ];
    expect(modulesFor(commandWord(['--help']))).toEqual(all);
    expect(modulesFor(commandWord(['help', 'attach']))).toEqual(all);
    expect(modulesFor(commandWord(['atach']))).toEqual(all);
    expect(modulesFor(commandWord(['constructor']))).toEqual(all);
    // A value of --lab that happens to be a command name is not the command.
    expect(modulesFor(commandWord(['--lab', 'ps']))).toEqual([]);
  });
  it('every command a module registers is in the table, mapped to that module (a new command cannot be missed)', async () => {
    const seen: Record<string, string> = {};
    for (const [name, load] of Object.entries(MODULES)) {
      const program = new Command();
      (await load())(program);
      for (const c of program.commands) seen[c.name()] = name;
    }
    expect(seen).toEqual(COMMANDS);
    expect(modulesFor(commandWord(['ping', '172.25.11.24']))).toEqual(['telemetry']);
    expect(modulesFor(commandWord(['--lab', 'h1', 'capture', 'peer', 'two']))).toEqual(['capture']);
  });
});
