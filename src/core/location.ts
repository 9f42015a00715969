/** Where a piece of text came from, for errors that name file:line:column. */
export interface SourceLocation {
  /** Path relative to the project root, with forward slashes. */
  file: string;
  line: number;
  /** 1-based; 0 when only the line is known. */
  column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}${loc.column > 0 ? `:${loc.column}` : ''}`;
}
