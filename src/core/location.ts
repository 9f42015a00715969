/** Where a piece of text came from, for errors that name file:line:column. */
export interface SourceLocation {
  /** Path relative to the project root, with forward slashes. */
  file: string;
  line: number;
  /** 1-based; 0 when only the line is known. */
  column: number;
  /**
   * Set when `file` is a partial (a macros/*.sql file): the `{{> name}}` that included it, itself with its
   * own includedFrom when that file is a partial too.
   */
  includedFrom?: SourceLocation;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}${loc.column > 0 ? `:${loc.column}` : ''}`;
}

/** The include chain of a location, innermost first: "included from models/m.sql:7:3" lines. */
export function formatIncludes(loc: SourceLocation): string[] {
  const lines: string[] = [];
  for (let at = loc.includedFrom; at; at = at.includedFrom) lines.push(`included from ${formatLocation(at)}`);
  return lines;
}
