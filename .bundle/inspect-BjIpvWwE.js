import { t as SparkifyError } from "./errors-BhDGUVW-.js";
import { c as writeManifest, i as withWarehouse, n as createContext, r as select, s as writeCompiled, u as resolveSql } from "./context-BwtQ_Ojg.js";
import { o as showJson, s as showText } from "./values-NF3dnV-n.js";
import path from "node:path";
import { randomUUID } from "node:crypto";
// dist/src/cli/output.js
/**
* show's rows in one format; every format uses the values' own text (warehouse/values.ts). JSON is one array
* of row objects, keys in column order, numbers written with the warehouse's digits.
*/
function formatRows(result, format) {
	const { columns, rows } = result;
	if (format === "json") {
		const keys = columns.map((c) => JSON.stringify(c));
		return `[${rows.map((r) => `{${r.map((v, i) => `${keys[i]}:${showJson(v)}`).join(",")}}`).join(",")}]`;
	}
	if (format === "csv") {
		const esc = (s) => /[",\n\r]/.test(s) ? `"${s.replace(/"/g, "\"\"")}"` : s;
		return [columns.map(esc).join(","), ...rows.map((r) => r.map((v) => esc(showText(v))).join(","))].join("\n");
	}
	const cells = rows.map((r) => r.map((v) => v === null ? "NULL" : showText(v)));
	const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
	const line = (vals) => `| ${vals.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
	const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
	return [
		line(columns),
		rule,
		...cells.map(line)
	].join("\n");
}
// dist/src/cli/inspect.js
async function compileCommand(opts, log) {
	const t0 = Date.now();
	const ctx = await createContext(opts);
	const { manifest } = ctx.compiled;
	const nodes = [...select(ctx, opts, [
		"model",
		"test",
		"seed"
	], log)].map((id) => manifest.nodes.get(id));
	writeManifest(ctx.targetDir, manifest, randomUUID(), ctx.targetName);
	writeCompiled(ctx.targetDir, manifest, nodes);
	const rel = path.relative(process.cwd(), path.join(ctx.targetDir, "compiled", manifest.project_name)) || ".";
	log.info(`Compiled ${nodes.length} nodes to ${rel}/ in ${((Date.now() - t0) / 1e3).toFixed(2)}s`);
	return 0;
}
const LS_TYPES = [
	"model",
	"test",
	"seed",
	"source"
];
async function lsCommand(opts, out, log) {
	const types = opts.resourceType ?? LS_TYPES;
	for (const t of types) if (!LS_TYPES.includes(t)) throw new SparkifyError(`unknown resource type '${t}'`, { hint: `Use one of: ${LS_TYPES.join(", ")}.` });
	const ctx = await createContext(opts);
	const { manifest } = ctx.compiled;
	const selected = select(ctx, opts, types, log);
	const nodes = ctx.compiled.order.filter((id) => selected.has(id)).map((id) => manifest.nodes.get(id));
	const format = opts.output ?? "selector";
	for (const n of nodes) if (format === "json") out(JSON.stringify({
		name: n.name,
		resource_type: n.resource_type,
		unique_id: n.unique_id,
		original_file_path: n.original_file_path,
		config: n.config,
		depends_on: n.depends_on.nodes
	}));
	else if (format === "path") out(n.original_file_path);
	else if (format === "name") out(n.name);
	else out(n.resource_type === "source" ? `source:${n.fqn.join(".")}` : n.fqn.join("."));
	return 0;
}
async function showCommand(opts, out, log) {
	const format = opts.output ?? "table";
	if (![
		"table",
		"json",
		"csv"
	].includes(format)) throw new SparkifyError(`unknown --output '${format}'`, { hint: "Use table, json or csv." });
	if (!opts.inline && !opts.select?.length) throw new SparkifyError("show needs --inline \"<sql>\" or --select <model>", { hint: "sparkify show --inline \"select count(*) from fct_songplays\"" });
	const limit = opts.limit === void 0 ? format === "table" ? 10 : void 0 : Number(opts.limit);
	if (limit !== void 0 && (!Number.isInteger(limit) || limit < 0)) throw new SparkifyError(`--limit must be a whole number, not '${opts.limit}'`);
	const ctx = await createContext(opts);
	let sql;
	if (opts.inline) sql = resolveSql(ctx.compiled.manifest, {
		name: "inline",
		original_file_path: "--inline"
	}, ctx.engine.render("--inline", opts.inline).sql, ctx.dialect);
	else {
		const node = [...select(ctx, { select: opts.select }, ["model", "seed"], log)].map((id) => ctx.compiled.manifest.nodes.get(id))[0];
		if (!node?.relation) throw new SparkifyError(`show --select ${opts.select.join(" ")} matched no model`);
		sql = `select * from ${ctx.dialect.relation(node.relation)}`;
	}
	sql = sql.trim().replace(/;\s*$/, "");
	const query = limit === void 0 ? sql : `select * from (\n${sql}\n) as sparkify_show limit ${limit}`;
	out(formatRows(await withWarehouse(ctx, (wh) => wh.driver.show(query)), format));
	return 0;
}
async function debugCommand(opts, log) {
	const ctx = await createContext(opts);
	log.info(`sparkify 0.1.0, Node.js ${process.version}`);
	log.info(`project: ${ctx.project.config.name} at ${ctx.project.dir}`);
	log.info(`target: ${ctx.targetName}`);
	for (const [k, v] of Object.entries(ctx.target)) log.info(`  ${k}: ${/pass|secret|token|key|role/i.test(k) ? "****" : String(v)}`);
	log.info(`data_path: ${ctx.dataPath}`);
	const t0 = Date.now();
	const version = await withWarehouse(ctx, async (wh) => {
		const r = await wh.driver.query("select version() as v");
		return `${String(r.rows[0]?.v).split(",")[0]} (${wh.description})`;
	});
	log.info(`connection: OK in ${((Date.now() - t0) / 1e3).toFixed(2)}s — ${version}`);
	return 0;
}
export { compileCommand, debugCommand, lsCommand, showCommand };
