import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  COMMANDS,
  defaultKeyBindings,
  keyConflicts,
  type Command,
  type KeyBindings,
} from './keys/keyBindings.js';
import type { ThemeChoice } from './theme/tokens.js';

const KeyList = z.array(z.string().min(1)).min(1);

export const UiConfig = z
  .object({
    theme: z.enum(['auto', 'default', 'plain']).default('auto'),
    keys: z.partialRecord(z.enum(COMMANDS), KeyList).default({}),
  })
  .strict();
export type UiConfig = z.infer<typeof UiConfig>;

export interface LoadedConfig {
  theme: ThemeChoice;
  bindings: KeyBindings;
  /** Set when the file was there but unusable: shown on the event line, defaults used. */
  problem: string | undefined;
  path: string;
}

/** `$XDG_CONFIG_HOME/xnet-tui/config.json`, falling back to ~/.config as the XDG spec says. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/')
      ? env.XDG_CONFIG_HOME
      : join(homedir(), '.config');
  return join(base, 'xnet-tui', 'config.json');
}

export function applyKeys(keys: Partial<Record<Command, string[]>>): KeyBindings {
  const out = { ...defaultKeyBindings };
  for (const c of COMMANDS) {
    const k = keys[c];
    if (k) out[c] = { ...out[c], keys: k };
  }
  return out;
}

/** Parses the config text; every problem names the field and falls back to defaults rather than failing. */
export function parseConfig(text: string | undefined, path: string): LoadedConfig {
  const defaults: LoadedConfig = { theme: 'auto', bindings: defaultKeyBindings, problem: undefined, path };
  if (text === undefined) return defaults;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ...defaults, problem: `${path}: not JSON (${(err as Error).message}); using defaults` };
  }
  const parsed = UiConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(top level)';
    return { ...defaults, problem: `${path}: ${field}: ${issue?.message ?? 'invalid'}; using defaults` };
  }
  const bindings = applyKeys(parsed.data.keys);
  const clash = keyConflicts(bindings)[0];
  if (clash) {
    return {
      ...defaults,
      theme: parsed.data.theme,
      problem: `${path}: key "${clash.key}" is bound to ${clash.commands.join(' and ')}; using default keys`,
    };
  }
  return { theme: parsed.data.theme, bindings, problem: undefined, path };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = configPath(env);
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      return { ...parseConfig(undefined, path), problem: `${path}: ${(err as Error).message}` };
  }
  return parseConfig(text, path);
}
