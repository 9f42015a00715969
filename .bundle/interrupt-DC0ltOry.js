// dist/src/load/progress.js
/**
* One load's progress as text. With `bar`: a bar of bytes read (files when sizes are unknown), for a
* status line redrawn in place on a terminal; without, a plain log line.
*
*   stg_events [##########··········] 15/30 files  512,345 rows  48.2 MB/s
*   stg_events: loading 15/30 files  512,345 rows  48.2 MB/s
*/
function formatLoadProgress(label, p, bar) {
	const seconds = Math.max(p.elapsedMs, 1) / 1e3;
	const mbs = p.bytes / 2 ** 20 / seconds;
	const fraction = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : p.totalFiles > 0 ? p.files / p.totalFiles : 1;
	const width = 20;
	const filled = Math.round(fraction * width);
	return `${bar ? `${label} [${"#".repeat(filled)}${"·".repeat(width - filled)}]` : `${label}: loading`} ${p.files}/${p.totalFiles} files  ${p.rows.toLocaleString("en-US")} rows  ${mbs.toFixed(1)} MB/s`;
}
// dist/src/run/log.js
const WIDTH = 80;
function stamp(now = /* @__PURE__ */ new Date()) {
	return now.toISOString().slice(11, 19);
}
function progressLine(index, total, text, status) {
	const head = `${index} of ${total} ${text} `;
	return `${head}${".".repeat(Math.max(3, WIDTH - head.length - status.length - 1))} ${status}`;
}
/**
* Log lines on stdout (warnings and errors on stderr). When stdout is a terminal, running loads share one
* status line at the bottom: each log line clears it, prints, and draws it again; a load that ends
* leaves nothing behind (its result is the next log line).
*/
function consoleLogger(out = process.stdout, err = process.stderr, opts = {}) {
	const tty = out.isTTY === true;
	const bars = /* @__PURE__ */ new Map();
	let drawn = false;
	const clear = () => {
		if (drawn) out.write("\r\x1B[2K");
		drawn = false;
	};
	const draw = () => {
		if (!bars.size) return;
		const width = Math.max(20, (out.columns || 100) - 1);
		const line = [...bars.values()].join("  |  ");
		out.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
		drawn = true;
	};
	const print = (stream, text) => {
		clear();
		stream.write(`${stamp()}  ${text}\n`);
		draw();
	};
	const every = opts.plainEveryMs ?? 1e4;
	return {
		info: (m) => print(out, m),
		warn: (m) => print(err, `[WARNING] ${m}`),
		error: (m) => print(err, m),
		loadProgress(label) {
			let lastPlain = 0;
			return (p) => {
				if (tty) {
					if (p.done) bars.delete(label);
					else bars.set(label, formatLoadProgress(label, p, true));
					clear();
					draw();
					return;
				}
				if (p.done || p.elapsedMs - lastPlain < every) return;
				lastPlain = p.elapsedMs;
				print(out, formatLoadProgress(label, p, false));
			};
		}
	};
}
// dist/src/cli/interrupt.js
const EXIT_INTERRUPTED = 130;
/** If the command has not ended this long after the first Ctrl-C, stop waiting for it. */
const GRACE_MS = 1e4;
let controller;
/** The signal a warehouse this process opens is given; the first call installs the SIGINT handler. */
function interruptSignal() {
	if (controller) return controller.signal;
	const c = controller = new AbortController();
	process.on("SIGINT", () => {
		if (c.signal.aborted) process.exit(EXIT_INTERRUPTED);
		process.stderr.write("\nInterrupted: cancelling the running statements (Ctrl-C again to quit at once) ...\n");
		c.abort(/* @__PURE__ */ new Error("interrupted"));
		setTimeout(() => process.exit(EXIT_INTERRUPTED), GRACE_MS).unref();
	});
	return c.signal;
}
/** The exit code of a command that ended: 130 if it was interrupted, whatever it returned. */
function exitCodeAfter(code) {
	return controller?.signal.aborted ? EXIT_INTERRUPTED : code;
}
export { progressLine as i, interruptSignal as n, consoleLogger as r, exitCodeAfter as t };
