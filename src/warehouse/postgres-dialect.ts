import { RESERVED_WORDS } from './keywords.js';
import type { Dialect, Relation } from './types.js';

/** Postgres SQL, shared by the embedded database (PGlite) and PostgreSQL servers. dist/sort are ignored. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  // The one quoting policy: bare where Postgres and Redshift read the name as written (lower case, not a
  // keyword), quoted otherwise, so compiled SQL stays readable and never changes meaning.
  quote: (id) => (/^[a-z_][a-z0-9_]*$/.test(id) && !RESERVED_WORDS.has(id) ? id : `"${id.replace(/"/g, '""')}"`),
  relation(r: Relation) {
    return `${this.quote(r.schema)}.${this.quote(r.identifier)}`;
  },
  createSchema(schema) {
    return `create schema if not exists ${this.quote(schema)}`;
  },
  createTableAs(r, sql) {
    return `create table ${this.relation(r)} as (\n${sql}\n)`;
  },
  createTable(r, columnsDdl) {
    return `create table ${this.relation(r)} (\n${columnsDdl}\n)`;
  },
  createView(r, sql) {
    return `create view ${this.relation(r)} as (\n${sql}\n)`;
  },
  drop(r, kind) {
    return `drop ${kind} if exists ${this.relation(r)} cascade`;
  },
  rename(from, toIdentifier) {
    // ALTER TABLE works for views too in Postgres.
    return `alter table ${this.relation(from)} rename to ${this.quote(toIdentifier)}`;
  },
  listRelations() {
    return `select table_name as identifier, case when table_type = 'VIEW' then 'view' else 'table' end as kind
            from information_schema.tables where table_schema = $1`;
  },
  schemaExists() {
    return 'select 1 as found from information_schema.schemata where schema_name = $1';
  },
  listColumns() {
    return `select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale from information_schema.columns
            where table_schema = $1 and table_name = $2 order by ordinal_position`;
  },
  listRoles() {
    return 'select rolname as name from pg_roles';
  },
  listGrants() {
    return `select grantee, privilege_type from information_schema.role_table_grants
            where table_schema = $1 and table_name = $2`;
  },
};
