// dist/src/warehouse/copy-stream.js
const RELEASE = Symbol.for("sparkify.copy.release");
/** Length of the binary COPY header ("PGCOPY\n\377\r\n\0", flags, extension) at the start of `chunk`; 0 if text. */
function binaryHeaderLength(chunk) {
	if (typeof chunk === "string" || chunk.length < 19) return 0;
	for (let i = 0; i < SIGNATURE.length; i++) if (chunk[i] !== SIGNATURE[i]) return 0;
	return 19 + ((chunk[15] << 24 | chunk[16] << 16 | chunk[17] << 8 | chunk[18]) >>> 0);
}
const SIGNATURE = [
	80,
	71,
	67,
	79,
	80,
	89,
	10,
	255,
	13,
	10,
	0
];
/** The chunk's release function, if the loader gave it one. */
function releaseOf(chunk) {
	return typeof chunk === "string" ? void 0 : chunk[RELEASE];
}
export { binaryHeaderLength as n, releaseOf as r, RELEASE as t };
