/** Text the operator typed into a field (a key or a paste), not a named key such as `up` or `ctrl+c`. */
export function typed(name: string, input: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  return name === input && /^[^\x00-\x1f\x7f]+$/.test(input) ? input : undefined;
}

/** A field after one key: Backspace deletes, typed text appends; undefined when the key is not editing. */
export function edit(text: string, name: string, input: string): string | undefined {
  if (name === 'backspace') return text.slice(0, -1);
  const t = typed(name, input);
  return t === undefined ? undefined : text + t;
}
