import { z } from 'zod';

// Schemas of project.yml and of the schema YAML files beside the models. Strict: an unknown key is an error.

const stringList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const embeddedTarget = z.strictObject({
  type: z.literal('embedded'),
  /** Data directory, relative to the project; default .sparkify/<target name>. */
  path: z.string().optional(),
  schema: z.string().default('public'),
  threads: z.number().int().positive().optional(),
});

const postgresTarget = z.strictObject({
  type: z.literal('postgres'),
  host: z.string().optional(),
  port: z.union([z.number().int(), z.string()]).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  database: z.string().optional(),
  schema: z.string().default('public'),
  threads: z.number().int().positive().optional(),
});

const redshiftTarget = z.strictObject({
  type: z.literal('redshift'),
  cluster_identifier: z.string().optional(),
  workgroup: z.string().optional(),
  database: z.string().optional(),
  db_user: z.string().optional(),
  secret_arn: z.string().optional(),
  region: z.string().optional(),
  iam_role: z.string().optional(),
  schema: z.string().default('public'),
  threads: z.number().int().positive().optional(),
});

export const targetSchema = z.discriminatedUnion('type', [embeddedTarget, postgresTarget, redshiftTarget]);
export type TargetConfig = z.infer<typeof targetSchema>;

export const projectSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a name is letters, digits and underscores'),
  version: z.union([z.string(), z.number()]).optional(),
  'config-version': z.number().optional(),
  'model-paths': z.array(z.string()).default(['models']),
  'seed-paths': z.array(z.string()).default(['seeds']),
  'test-paths': z.array(z.string()).default(['tests']),
  'macro-paths': z.array(z.string()).default(['macros']),
  'snapshot-paths': z.array(z.string()).default(['snapshots']),
  'target-path': z.string().default('target'),
  vars: z.record(z.string(), z.unknown()).default({}),
  targets: z.record(z.string(), targetSchema).default({ dev: { type: 'embedded', schema: 'public' } }),
  'default-target': z.string().optional(),
  /** Folder-level model config, dbt style: keys starting with '+' are configs, other keys are sub-folders. */
  models: z.record(z.string(), z.unknown()).default({}),
  seeds: z.record(z.string(), z.unknown()).default({}),
  tests: z.record(z.string(), z.unknown()).default({}),
  /** SQL run before the first node and after the last, by run, build, seed and test (dbt's project hooks). */
  'on-run-start': stringList.optional(),
  'on-run-end': stringList.optional(),
  snapshots: z.record(z.string(), z.unknown()).default({}),
});
export type ProjectConfig = z.infer<typeof projectSchema>;

/**
 * A generic test as written in YAML: `unique`, `{ relationships: { to: ..., field: ... } }`, or dbt's other
 * form, `{ name: my_name, test_name: relationships, to: ..., field: ... }`.
 */
export const testEntrySchema = z.union([
  z.string(),
  z.strictObject({ test_name: z.string() }).catchall(z.unknown()),
  z.record(z.string(), z.union([z.record(z.string(), z.unknown()), z.null()])).refine((o) => Object.keys(o).length === 1, {
    message: 'a test entry is a single key: the test name, with its arguments below it',
  }),
]);
export type TestEntry = z.infer<typeof testEntrySchema>;

const columnSchema = z.strictObject({
  name: z.string(),
  description: z.string().default(''),
  data_type: z.string().optional(),
  /** dbt's column quote flag: false passes the name to tests as written (default: the dialect's quoting). */
  quote: z.boolean().optional(),
  tests: z.array(testEntrySchema).optional(),
  data_tests: z.array(testEntrySchema).optional(),
  tags: stringList.optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

const modelSchema = z.strictObject({
  name: z.string(),
  description: z.string().default(''),
  config: z.record(z.string(), z.unknown()).default({}),
  columns: z.array(columnSchema).default([]),
  tests: z.array(testEntrySchema).optional(),
  data_tests: z.array(testEntrySchema).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

/** dbt 1.9: a snapshot of `relation` (ref('x') or source('a', 'b')); without it, properties of snapshots/<name>.sql. */
const snapshotSchema = modelSchema.extend({
  relation: z.string().optional(),
});

const sourceTableSchema = z.strictObject({
  name: z.string(),
  identifier: z.string().optional(),
  description: z.string().default(''),
  columns: z.array(columnSchema).default([]),
  tests: z.array(testEntrySchema).optional(),
  data_tests: z.array(testEntrySchema).optional(),
});

const sourceSchema = z.strictObject({
  name: z.string(),
  schema: z.string().optional(),
  description: z.string().default(''),
  tables: z.array(sourceTableSchema).default([]),
});

export const schemaFileSchema = z.strictObject({
  version: z.literal(2).optional(),
  models: z.array(modelSchema).default([]),
  seeds: z.array(modelSchema).default([]),
  sources: z.array(sourceSchema).default([]),
  snapshots: z.array(snapshotSchema).default([]),
});
export type SchemaFile = z.infer<typeof schemaFileSchema>;
export type ModelYaml = z.infer<typeof modelSchema>;
export type SnapshotYaml = z.infer<typeof snapshotSchema>;
export type ColumnYaml = z.infer<typeof columnSchema>;
