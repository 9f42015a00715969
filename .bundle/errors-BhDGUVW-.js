// dist/src/core/location.js
function formatLocation(loc) {
	return `${loc.file}:${loc.line}${loc.column > 0 ? `:${loc.column}` : ""}`;
}
/** The include chain of a location, innermost first: "included from models/m.sql:7:3" lines. */
function formatIncludes(loc) {
	const lines = [];
	for (let at = loc.includedFrom; at; at = at.includedFrom) lines.push(`included from ${formatLocation(at)}`);
	return lines;
}
// dist/src/core/errors.js
/**
* An error the user can act on. `exitCode` follows the CLI contract:
* 2 = usage, project or configuration error; 1 = a model, load or test failed.
*/
var SparkifyError = class extends Error {
	exitCode;
	location;
	hint;
	constructor(message, opts = {}) {
		super(message, opts.cause === void 0 ? void 0 : { cause: opts.cause });
		this.name = "SparkifyError";
		this.exitCode = opts.exitCode ?? 2;
		this.location = opts.location;
		this.hint = opts.hint;
	}
	/** `file:line:column: message`, then the include chain of a partial and the hint, each on its own line. */
	format() {
		const where = this.location ? `${formatLocation(this.location)}: ` : "";
		const more = [...this.location ? formatIncludes(this.location) : [], ...this.hint ? [this.hint] : []];
		return `${where}${this.message}${more.map((l) => `\n  ${l}`).join("")}`;
	}
};
/** Every problem compile found in a project, reported together (each at its file:line). */
var SparkifyErrors = class extends SparkifyError {
	errors;
	constructor(errors) {
		super(errors.length === 1 ? errors[0].message : `${errors.length} errors in the project`, {
			exitCode: errors.some((e) => e.exitCode === 2) ? 2 : 1,
			...errors.length === 1 && errors[0].location ? { location: errors[0].location } : {},
			...errors.length === 1 && errors[0].hint ? { hint: errors[0].hint } : {}
		});
		this.errors = errors;
		this.name = "SparkifyErrors";
	}
	format() {
		if (this.errors.length === 1) return this.errors[0].format();
		return `${this.errors.length} errors in the project:\n\n${this.errors.map((e) => e.format()).join("\n\n")}`;
	}
};
function errorMessage(err) {
	if (err instanceof SparkifyError) return err.format();
	if (err instanceof Error) return err.message;
	return String(err);
}
/** Names closest to `name` by edit distance, for "did you mean" hints. */
function nearest(name, candidates, max = 3) {
	const scored = [];
	for (const c of candidates) scored.push([c, editDistance(name.toLowerCase(), c.toLowerCase())]);
	scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
	const limit = Math.max(2, Math.ceil(name.length / 2));
	return scored.filter(([, d]) => d <= limit).slice(0, max).map(([c]) => c);
}
function editDistance(a, b) {
	let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const cur = [i];
		for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
		prev = cur;
	}
	return prev[b.length];
}
function didYouMean(name, candidates) {
	const near = nearest(name, candidates);
	return near.length ? `Did you mean ${near.map((n) => `'${n}'`).join(", ")}?` : "";
}
export { formatLocation as a, errorMessage as i, SparkifyErrors as n, didYouMean as r, SparkifyError as t };
