import { t as SparkifyError } from "./errors-BhDGUVW-.js";
import { a as postgresDialect, i as toSqlError, r as notStarted } from "./errors-BFHvnjPa.js";
import { t as abortableSleep } from "./abort-UbqdvNQH.js";
import { n as binaryHeaderLength, r as releaseOf } from "./copy-stream-Bo8e4LoL.js";
import { n as showOnPglite } from "./show-Bo2iY6j-.js";
import path from "node:path";
import fs from "node:fs";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { PGlite } from "@electric-sql/pglite";
// dist/src/warehouse/dir-lock.js
/** Take the lock in `lockDir` (created if missing); resolves to the (idempotent) release. */
async function takeDirLock(lockDir, opts) {
	fs.mkdirSync(lockDir, { recursive: true });
	const started = Date.now();
	let told = false;
	for (;;) {
		const top = generations(lockDir).at(-1) ?? 0;
		const holder = top > 0 ? readHolder(lockDir, top) : void 0;
		if (holder === "gone") continue;
		if (holder && !holder.released && isAlive(holder)) {
			const who = describeHolder(holder);
			if (Date.now() - started >= opts.waitMs) throw new SparkifyError(`${opts.what} is in use by another sparkify process: ${who}`, { hint: opts.waitMs ? `Waited ${Math.round(opts.waitMs / 1e3)}s. Wait for it to finish, or stop it, then run again.` : "Wait for it to finish (or run without --no-wait to queue behind it)." });
			if (!told) opts.onWait?.(who);
			told = true;
			await abortableSleep(opts.pollMs ?? 200, opts.signal, () => new SparkifyError(`interrupted while waiting for ${opts.what} (held by ${who})`, { exitCode: 1 }));
			continue;
		}
		const mine = top + 1;
		const record = {
			pid: process.pid,
			host: os.hostname(),
			command: opts.command,
			since: (/* @__PURE__ */ new Date()).toISOString()
		};
		if (!linkNew(lockDir, mine, record)) continue;
		if (generations(lockDir).some((g) => g > mine)) {
			fs.rmSync(path.join(lockDir, String(mine)), { force: true });
			continue;
		}
		for (const g of generations(lockDir)) if (g < mine) fs.rmSync(path.join(lockDir, String(g)), { force: true });
		return releaser(lockDir, mine, record);
	}
}
/** The generations present, ascending. */
function generations(dir) {
	return fs.readdirSync(dir).filter((n) => /^[1-9]\d*$/.test(n)).map(Number).sort((a, b) => a - b);
}
/** A generation's record; 'gone' if it was removed meanwhile; an unreadable record counts as released. */
function readHolder(dir, g) {
	let text;
	try {
		text = fs.readFileSync(path.join(dir, String(g)), "utf8");
	} catch (err) {
		if (err.code === "ENOENT") return "gone";
		throw err;
	}
	try {
		const r = JSON.parse(text);
		if (typeof r.pid === "number" && typeof r.host === "string") return {
			pid: r.pid,
			host: r.host,
			command: String(r.command ?? ""),
			since: String(r.since ?? ""),
			...r.released ? { released: true } : {}
		};
	} catch {}
	return {
		pid: 0,
		host: "",
		command: "",
		since: "",
		released: true
	};
}
/** Create generation `g` with `record`, complete or not at all; false if it exists. */
function linkNew(dir, g, record) {
	const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
	fs.writeFileSync(tmp, JSON.stringify(record));
	try {
		fs.linkSync(tmp, path.join(dir, String(g)));
		return true;
	} catch (err) {
		if (err.code === "EEXIST") return false;
		throw err;
	} finally {
		fs.rmSync(tmp, { force: true });
	}
}
function releaser(dir, g, record) {
	let released = false;
	const release = () => {
		if (released) return;
		released = true;
		process.off("exit", release);
		const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
		try {
			fs.writeFileSync(tmp, JSON.stringify({
				...record,
				released: true
			}));
			fs.renameSync(tmp, path.join(dir, String(g)));
		} catch {
			fs.rmSync(tmp, { force: true });
		}
	};
	process.on("exit", release);
	return release;
}
/** Is the holder's process running? On another host it cannot be told, so it counts as running. */
function isAlive(h) {
	if (h.host !== os.hostname()) return true;
	if (!h.pid) return false;
	try {
		process.kill(h.pid, 0);
		return true;
	} catch (err) {
		return err.code === "EPERM";
	}
}
/** `pid 123 (sparkify run) on host, since 2018-11-01 21:01:46 UTC` */
function describeHolder(h) {
	const since = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(h.since) ? `, since ${h.since.slice(0, 19).replace("T", " ")} UTC` : "";
	return `pid ${h.pid}${h.command ? ` (${h.command})` : ""} on ${h.host}${since}`;
}
// dist/src/warehouse/embedded.js
/** The embedded warehouse: real Postgres compiled to WASM, one data directory under the project. */
async function openEmbedded(dataDir, schema, opts = {}) {
	fs.mkdirSync(path.dirname(dataDir), { recursive: true });
	const release = await takeDirLock(`${dataDir}.locks`, {
		waitMs: opts.wait === false ? 0 : 6e4,
		command: opts.command ?? path.basename(process.argv[1] ?? "node"),
		what: `the embedded database ${dataDir}`,
		...opts.onWait ? { onWait: opts.onWait } : {},
		...opts.signal ? { signal: opts.signal } : {}
	});
	let db;
	const startup = [];
	let started = false;
	try {
		db = await PGlite.create({
			dataDir,
			onStderr: (line) => {
				if (!started) startup.push(line);
				if (startup.length > 40) startup.shift();
				return false;
			}
		});
		started = true;
	} catch (err) {
		release();
		const said = startup.filter((l) => /\b(FATAL|PANIC|ERROR|LOG|DETAIL|HINT):/.test(l)).slice(-8);
		throw new SparkifyError(`could not open the embedded database at ${dataDir}: ${err.message}${said.length ? `\n  Postgres said:\n    ${said.join("\n    ")}` : ""}`, {
			hint: "If it was damaged, delete that folder; the next run recreates it (raw data is reloaded from data_path).",
			cause: err
		});
	}
	const driver = new EmbeddedDriver(db, release, opts.signal);
	if (schema !== "public") await driver.exec(postgresDialect.createSchema(schema));
	await driver.exec(`set search_path to ${postgresDialect.quote(schema)}, public`);
	return {
		driver,
		dialect: postgresDialect,
		schema,
		description: `embedded Postgres at ${dataDir}`
	};
}
var EmbeddedDriver = class {
	db;
	release;
	signal;
	kind = "embedded";
	maxConcurrency = 1;
	constructor(db, release, signal) {
		this.db = db;
		this.release = release;
		this.signal = signal;
	}
	async query(sql, params) {
		refuseIfAborted(this.signal, sql);
		return runQuery(this.db, sql, params);
	}
	async exec(sql) {
		refuseIfAborted(this.signal, sql);
		return runExec(this.db, sql);
	}
	copyIn(relation, columns, chunks) {
		return this.transaction((tx) => tx.copyIn(relation, columns, chunks));
	}
	async transaction(fn) {
		refuseIfAborted(this.signal, "begin");
		return this.db.transaction((tx) => fn(sessionOf(tx, this.signal)));
	}
	show(sql) {
		return showOnPglite(this.db, sql);
	}
	async close() {
		try {
			await this.db.close();
		} finally {
			this.release();
		}
	}
};
function refuseIfAborted(signal, sql) {
	if (signal?.aborted) throw notStarted(sql);
}
function sessionOf(s, signal) {
	return {
		async query(sql, params) {
			refuseIfAborted(signal, sql);
			return runQuery(s, sql, params);
		},
		async exec(sql) {
			refuseIfAborted(signal, sql);
			return runExec(s, sql);
		},
		async copyIn(relation, columns, chunks) {
			refuseIfAborted(signal, "copy");
			const COPY_BLOB_BYTES = 8388608;
			const target = `${postgresDialect.relation(relation)} (${columns.map((c) => postgresDialect.quote(c)).join(", ")})`;
			let sql = `copy ${target} from '/dev/blob'`;
			let header;
			let first = true;
			let rows = 0;
			let parts = [];
			let size = 0;
			const flush = async () => {
				if (size === 0) return;
				const blob = new Blob(header ? [header, ...parts] : parts);
				for (const part of parts) releaseOf(part)?.();
				parts = [];
				size = 0;
				const r = await s.query(sql, [], { blob }).catch((err) => {
					throw toSqlError(err, sql);
				});
				rows += r.affectedRows ?? 0;
			};
			for await (let chunk of chunks) {
				if (first) {
					first = false;
					const h = binaryHeaderLength(chunk);
					if (h > 0) {
						header = chunk.slice(0, h);
						chunk = chunk.subarray(h);
						sql = `copy ${target} from '/dev/blob' with (format binary)`;
					}
				}
				if (!chunk.length) continue;
				parts.push(chunk);
				size += chunk.length;
				if (size >= COPY_BLOB_BYTES) await flush();
			}
			await flush();
			return rows;
		}
	};
}
async function runQuery(s, sql, params) {
	const r = await s.query(sql, params ?? []).catch((err) => {
		throw toSqlError(err, sql);
	});
	return {
		rows: r.rows,
		fields: r.fields.map((f) => ({
			name: f.name,
			typeId: f.dataTypeID
		})),
		rowCount: r.affectedRows ?? r.rows.length
	};
}
async function runExec(s, sql) {
	const results = await s.exec(sql).catch((err) => {
		throw toSqlError(err, sql);
	});
	const last = results[results.length - 1];
	if (!last) return {
		rows: [],
		fields: []
	};
	const fields = last.fields.map((f) => ({
		name: f.name,
		typeId: f.dataTypeID
	}));
	const unknown = fields.length === 0 && /^\s*create\b/i.test(sql);
	return {
		rows: last.rows,
		fields,
		...unknown ? {} : { rowCount: last.affectedRows ?? last.rows.length }
	};
}
export { openEmbedded };
