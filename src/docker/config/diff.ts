/** A unified diff of two small texts (config files), as `diff -u` prints it. Pure. */
export function unifiedDiff(
  oldName: string,
  newName: string,
  before: string,
  after: string,
  context = 3,
): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = editScript(a, b);
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op === ' ') {
      i++;
      continue;
    }
    let start = i;
    let lead = 0;
    while (start > 0 && ops[start - 1]!.op === ' ' && lead < context) {
      start--;
      lead++;
    }
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]!.op !== ' ') end++;
      let gap = end;
      while (gap < ops.length && ops[gap]!.op === ' ') gap++;
      if (gap < ops.length && gap - end <= context * 2) end = gap;
      else {
        end = Math.min(end + context, gap);
        break;
      }
    }
    const slice = ops.slice(start, end);
    const aStart = slice[0]!.ai;
    const bStart = slice[0]!.bi;
    const aLen = slice.filter((o) => o.op !== '+').length;
    const bLen = slice.filter((o) => o.op !== '-').length;
    hunks.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`, ...slice.map((o) => o.op + o.text));
    i = end;
  }
  return [`--- ${oldName}`, `+++ ${newName}`, ...hunks].join('\n') + '\n';
}

function range(start: number, len: number): string {
  const first = len === 0 ? start : start + 1;
  return len === 1 ? `${first}` : `${first},${len}`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else lines[lines.length - 1] += '\n\\ No newline at end of file';
  return lines;
}

interface Op {
  op: ' ' | '-' | '+';
  text: string;
  /** Line index in the old and new text where this op sits. */
  ai: number;
  bi: number;
}

/** Longest common subsequence on lines: fine for files of a few hundred lines. */
function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: ' ', text: a[i]!, ai: i, bi: j });
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ op: '-', text: a[i]!, ai: i, bi: j });
      i++;
    } else {
      ops.push({ op: '+', text: b[j]!, ai: i, bi: j });
      j++;
    }
  }
  return ops;
}
