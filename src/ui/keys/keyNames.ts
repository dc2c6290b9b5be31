// Keys by name: Ink's key events turned into the names the keymap uses (`up`, `shift+tab`, `ctrl+c`), a
// pasted chunk split into keys, and a name written as the footer shows it. Split from keyBindings.ts: this
// follows the terminal, the table follows the commands. Pure.

/** What Ink's useInput reports, reduced to the fields that name a key. */
export interface KeyEvent {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  backspace?: boolean;
  delete?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
}

/** The table's name for a key press: `up`, `shift+tab`, `ctrl+c`, `return`, or the character typed. */
export function keyName(input: string, key: KeyEvent): string {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  if (key.tab) return key.shift ? 'shift+tab' : 'tab';
  if (key.backspace || key.delete) return 'backspace';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.ctrl && input) return `ctrl+${input.toLowerCase()}`;
  if (key.meta && input) return `meta+${input}`;
  return input;
}

/** How a key is written in the footer and help: `Tab`, `S-Tab`, `Enter`, `↑`, `^C`. */
export function displayKey(k: string, arrows = true): string {
  const named: Record<string, string> = {
    return: 'Enter',
    escape: 'Esc',
    tab: 'Tab',
    'shift+tab': 'S-Tab',
    up: arrows ? '↑' : 'Up',
    down: arrows ? '↓' : 'Down',
    left: arrows ? '←' : 'Left',
    right: arrows ? '→' : 'Right',
    backspace: 'Bksp',
  };
  if (named[k]) return named[k];
  if (k.startsWith('ctrl+')) return `^${k.slice(5).toUpperCase()}`;
  return k;
}

/**
 * Key names in one chunk of input: a paste or fast typing (`3/24` then Enter, as tmux send-keys delivers it)
 * arrives as one string; each character is a key, with CR, tab and DEL named as the table names them.
 */
export function splitInput(input: string, key: KeyEvent): { name: string; input: string }[] {
  const named = keyName(input, key);
  if (input.length <= 1 || named !== input || input.includes('\x1b')) return [{ name: named, input }];
  const special: Record<string, string> = {
    '\r': 'return',
    '\n': 'return',
    '\t': 'tab',
    '\x7f': 'backspace',
    '\b': 'backspace',
  };
  return [...input].map((ch) => ({ name: special[ch] ?? ch, input: ch }));
}
