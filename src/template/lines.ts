/**
 * Map a line of rendered SQL back to the template line it came from, so a database error names the line
 * the user wrote. Templates mostly keep their line structure ({{config}} renders to an empty line), so
 * equal line counts map one to one; otherwise the rendered line is matched by the literal text around the
 * {{ }} tags, preferring the candidate nearest the same position.
 */
export function sourceLineFor(template: string, rendered: string, renderedLine: number): number {
  const tLines = template.split('\n');
  const rLines = rendered.split('\n');
  if (tLines.length === rLines.length) return renderedLine;
  const target = (rLines[renderedLine - 1] ?? '').trim();
  const expected = Math.round((renderedLine / Math.max(rLines.length, 1)) * tLines.length);
  let best: number | undefined;
  let bestScore = -1;
  tLines.forEach((line, i) => {
    const fragments = line.split(/\{\{\{?[^}]*\}?\}\}/).map((f) => f.trim()).filter(Boolean);
    if (fragments.length === 0) return;
    let at = 0;
    for (const f of fragments) {
      const found = target.indexOf(f, at);
      if (found < 0) return;
      at = found + f.length;
    }
    // Longer literal matches are better evidence; nearer lines break ties.
    const score = fragments.join('').length * 1000 - Math.abs(i + 1 - expected);
    if (score > bestScore) {
      bestScore = score;
      best = i + 1;
    }
  });
  return best ?? Math.min(renderedLine, tLines.length);
}

/** 1-based line and column of a 0-based offset in text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}
