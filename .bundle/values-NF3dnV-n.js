// dist/src/warehouse/values.js
/** A number as the warehouse printed it; JSON carries its digits unchanged. */
var ExactNumber = class {
	digits;
	constructor(digits) {
		this.digits = digits;
	}
	toString() {
		return this.digits;
	}
};
/** Statements that make the session's time zone UTC: `set local` inside a transaction (Postgres, PGlite). */
const SHOW_TIME_ZONE_LOCAL = "set local time zone 'UTC'";
/** Redshift's form; it lasts for the session (Redshift's own default is UTC). */
const SHOW_TIME_ZONE_SESSION = "set timezone to 'UTC'";
const BOOL = 16;
const INTEGERS = /* @__PURE__ */ new Set([
	20,
	21,
	23,
	26
]);
const FLOATS = /* @__PURE__ */ new Set([700, 701]);
const NUMERIC = 1700;
/** What a JSON number may be written as (Postgres prints integers and numerics in this form). */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?$/;
/** A value the way Postgres prints it in text format (null for SQL NULL), as show prints it. */
function fromPostgresText(text, typeId) {
	if (text === null) return null;
	if (typeId === BOOL) return text === "t";
	if (INTEGERS.has(typeId) || typeId === NUMERIC) return JSON_NUMBER.test(text) ? new ExactNumber(text) : text;
	if (FLOATS.has(typeId)) return floatValue(Number(text), text);
	return text;
}
/**
* A Data API cell as show prints it. Redshift returns integers as longValue, floats as doubleValue, booleans
* as booleanValue, and numeric, dates, timestamps and text as stringValue in its text format.
*/
function fromDataApiField(f, typeName) {
	if (f.isNull) return null;
	if (f.booleanValue !== void 0) return f.booleanValue;
	if (f.longValue !== void 0) return new ExactNumber(String(f.longValue));
	if (f.doubleValue !== void 0) return floatValue(f.doubleValue, String(f.doubleValue));
	if (f.blobValue !== void 0) return `\\x${Buffer.from(f.blobValue).toString("hex")}`;
	if (f.stringValue !== void 0) {
		const s = f.stringValue;
		const type = (typeName ?? "").toLowerCase();
		if ((type === "numeric" || type === "decimal") && JSON_NUMBER.test(s)) return new ExactNumber(s);
		if (type === "bool" || type === "boolean") return s === "t" || s === "true";
		return s;
	}
	return null;
}
function floatValue(n, text) {
	return Number.isFinite(n) ? n : text;
}
/** The text a value prints as in a table or CSV cell (JSON's text for numbers and booleans). */
function showText(v) {
	if (v === null) return "";
	return String(v);
}
/** The value as a JSON literal. */
function showJson(v) {
	if (v instanceof ExactNumber) return v.digits;
	return JSON.stringify(v);
}
/**
* PGlite's per-query parsers, every one the identity: PGlite falls back to its own parser for any type the
* query's parsers do not name, so they must name every type it has a parser for.
*/
function identityParsers(...known) {
	const out = {};
	for (const k of known.flatMap((o) => Object.keys(o))) {
		const oid = Number(k);
		if (Number.isInteger(oid)) out[oid] = (text) => text;
	}
	return out;
}
export { identityParsers as a, fromPostgresText as i, SHOW_TIME_ZONE_SESSION as n, showJson as o, fromDataApiField as r, showText as s, SHOW_TIME_ZONE_LOCAL as t };
