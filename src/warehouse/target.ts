// A target as the warehouse reads it: the shape project.yml's validated targets have (project/schema.ts),
// declared here so that warehouse/ depends on nothing above it.

interface TargetBase {
  schema: string;
  threads?: number;
}

export interface EmbeddedTarget extends TargetBase {
  type: 'embedded';
  /** Data directory, relative to the project; default .sparkify/<target name>. */
  path?: string;
}

export interface PostgresTarget extends TargetBase {
  type: 'postgres';
  host?: string;
  port?: number | string;
  user?: string;
  password?: string;
  database?: string;
}

export interface RedshiftTarget extends TargetBase {
  type: 'redshift';
  cluster_identifier?: string;
  workgroup?: string;
  database?: string;
  db_user?: string;
  secret_arn?: string;
  region?: string;
  iam_role?: string;
}

export type WarehouseTarget = EmbeddedTarget | PostgresTarget | RedshiftTarget;
