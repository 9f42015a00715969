import { describe, expect, it } from 'vitest';
import { SelectorError, selectNodes, type SelectOptions } from '../src/graph/selector.js';
import type { Manifest, Node, NodeConfig, ResourceType, TestMetadata } from '../src/graph/types.js';

// A small Sparkify project:
//
//   source raw.events ─> stg_events ─────────────┐
//   source raw.users  ─> stg_users ─> dim_users ─> fct_events ─> daily_summary
//   seed country_codes ──────────────┘     └─> old_model (disabled)
//
// Tests: unique(stg_users), not_null(dim_users, severity warn), relationships(fct_events -> dim_users),
// not_null on source raw.events, singular assert_events_have_users (fct_events + stg_users),
// and a disabled not_null on dim_users.

interface Spec {
  id: string;
  type: ResourceType;
  name: string;
  file: string;
  fqn: string[];
  deps?: string[];
  config?: Partial<NodeConfig>;
  test?: TestMetadata;
  source?: string;
}

function node(s: Spec): Node {
  const materialized = s.type === 'test' ? 'test' : s.type === 'seed' ? 'seed' : 'view';
  return {
    unique_id: s.id,
    resource_type: s.type,
    name: s.name,
    package_name: 'sparkify',
    original_file_path: s.file,
    path: s.file.split('/').slice(1).join('/'),
    fqn: s.fqn,
    config: { materialized, tags: [], enabled: true, ...s.config },
    description: '',
    columns: {},
    raw_code: '',
    depends_on: { nodes: s.deps ?? [], macros: [] },
    ...(s.test ? { test_metadata: s.test, attached_node: s.deps?.[0] } : {}),
    ...(s.source ? { source_name: s.source } : {}),
  };
}

const SRC_EVENTS = 'source.sparkify.raw.events';
const SRC_USERS = 'source.sparkify.raw.users';
const SEED = 'seed.sparkify.country_codes';
const STG_EVENTS = 'model.sparkify.stg_events';
const STG_USERS = 'model.sparkify.stg_users';
const DIM_USERS = 'model.sparkify.dim_users';
const FCT_EVENTS = 'model.sparkify.fct_events';
const DAILY = 'model.sparkify.daily_summary';
const OLD = 'model.sparkify.old_model';
const T_UNIQUE = 'test.sparkify.unique_stg_users_user_id';
const T_NOT_NULL = 'test.sparkify.not_null_dim_users_user_id';
const T_REL = 'test.sparkify.relationships_fct_events_user_id__user_id__ref_dim_users_';
const T_SRC = 'test.sparkify.source_not_null_raw_events_event_id';
const T_SINGULAR = 'test.sparkify.assert_events_have_users';
const T_DISABLED = 'test.sparkify.not_null_dim_users_email';

const MODELS = [STG_EVENTS, STG_USERS, DIM_USERS, FCT_EVENTS, DAILY];
const TESTS = [T_UNIQUE, T_NOT_NULL, T_REL, T_SRC, T_SINGULAR];

function buildManifest(): Manifest {
  const specs: Spec[] = [
    { id: SRC_EVENTS, type: 'source', name: 'events', source: 'raw', file: 'models/staging/sources.yml', fqn: ['sparkify', 'staging', 'raw', 'events'], config: { tags: ['raw'] } },
    { id: SRC_USERS, type: 'source', name: 'users', source: 'raw', file: 'models/staging/sources.yml', fqn: ['sparkify', 'staging', 'raw', 'users'] },
    { id: SEED, type: 'seed', name: 'country_codes', file: 'seeds/country_codes.csv', fqn: ['sparkify', 'country_codes'] },
    { id: STG_EVENTS, type: 'model', name: 'stg_events', file: 'models/staging/stg_events.sql', fqn: ['sparkify', 'staging', 'stg_events'], deps: [SRC_EVENTS], config: { tags: ['staging'] } },
    { id: STG_USERS, type: 'model', name: 'stg_users', file: 'models/staging/stg_users.sql', fqn: ['sparkify', 'staging', 'stg_users'], deps: [SRC_USERS], config: { tags: ['staging', 'pii'] } },
    { id: DIM_USERS, type: 'model', name: 'dim_users', file: 'models/marts/dim_users.sql', fqn: ['sparkify', 'marts', 'dim_users'], deps: [STG_USERS, SEED], config: { materialized: 'table', tags: ['daily', 'pii'], full_refresh: false } },
    { id: FCT_EVENTS, type: 'model', name: 'fct_events', file: 'models/marts/fct_events.sql', fqn: ['sparkify', 'marts', 'fct_events'], deps: [STG_EVENTS, DIM_USERS], config: { materialized: 'incremental', tags: ['daily'], unique_key: ['event_id', 'user_id'] } },
    { id: DAILY, type: 'model', name: 'daily_summary', file: 'models/marts/reports/daily_summary.sql', fqn: ['sparkify', 'marts', 'reports', 'daily_summary'], deps: [FCT_EVENTS], config: { materialized: 'table', tags: ['reporting'], meta: { owner: 'analytics', priority: 1 } } },
    { id: OLD, type: 'model', name: 'old_model', file: 'models/marts/old_model.sql', fqn: ['sparkify', 'marts', 'old_model'], deps: [DIM_USERS], config: { enabled: false, tags: ['legacy'] } },
    { id: T_UNIQUE, type: 'test', name: 'unique_stg_users_user_id', file: 'models/staging/schema.yml', fqn: ['sparkify', 'staging', 'unique_stg_users_user_id'], deps: [STG_USERS], test: { name: 'unique', column_name: 'user_id', kwargs: {} } },
    { id: T_NOT_NULL, type: 'test', name: 'not_null_dim_users_user_id', file: 'models/marts/schema.yml', fqn: ['sparkify', 'marts', 'not_null_dim_users_user_id'], deps: [DIM_USERS], config: { severity: 'warn' }, test: { name: 'not_null', column_name: 'user_id', kwargs: {} } },
    { id: T_REL, type: 'test', name: 'relationships_fct_events_user_id__user_id__ref_dim_users_', file: 'models/marts/schema.yml', fqn: ['sparkify', 'marts', 'relationships_fct_events_user_id__user_id__ref_dim_users_'], deps: [FCT_EVENTS, DIM_USERS], test: { name: 'relationships', column_name: 'user_id', kwargs: { to: "ref('dim_users')", field: 'user_id' } } },
    { id: T_SRC, type: 'test', name: 'source_not_null_raw_events_event_id', file: 'models/staging/sources.yml', fqn: ['sparkify', 'staging', 'source_not_null_raw_events_event_id'], deps: [SRC_EVENTS], test: { name: 'not_null', column_name: 'event_id', kwargs: {} } },
    { id: T_SINGULAR, type: 'test', name: 'assert_events_have_users', file: 'tests/assert_events_have_users.sql', fqn: ['sparkify', 'assert_events_have_users'], deps: [FCT_EVENTS, STG_USERS] },
    { id: T_DISABLED, type: 'test', name: 'not_null_dim_users_email', file: 'models/marts/schema.yml', fqn: ['sparkify', 'marts', 'not_null_dim_users_email'], deps: [DIM_USERS], config: { enabled: false }, test: { name: 'not_null', column_name: 'email', kwargs: {} } },
  ];
  const nodes = new Map(specs.map((s) => [s.id, node(s)]));
  const parent_map = new Map<string, string[]>();
  const child_map = new Map<string, string[]>();
  for (const id of nodes.keys()) child_map.set(id, []);
  for (const n of nodes.values()) {
    parent_map.set(n.unique_id, [...n.depends_on.nodes]);
    for (const p of n.depends_on.nodes) child_map.get(p)!.push(n.unique_id);
  }
  return { project_name: 'sparkify', nodes, parent_map, child_map };
}

const manifest = buildManifest();
const sorted = (ids: Iterable<string>) => [...ids].sort();
const run = (opts: SelectOptions) => sorted(selectNodes(manifest, opts).selected);
const models = (...select: string[]) => run({ select, resourceTypes: ['model'] });
const ALL_TYPES: ResourceType[] = ['model', 'test', 'seed', 'source'];

describe('manifest fixture', () => {
  it('has consistent parent and child maps', () => {
    expect(manifest.child_map.get(DIM_USERS)).toEqual([FCT_EVENTS, OLD, T_NOT_NULL, T_REL, T_DISABLED]);
    expect(manifest.parent_map.get(T_SINGULAR)).toEqual([FCT_EVENTS, STG_USERS]);
  });
});

describe('defaults', () => {
  it('selects every enabled non-source node when nothing is selected', () => {
    expect(run({})).toEqual(sorted([...MODELS, SEED, ...TESTS]));
  });

  it('treats empty or blank select arguments as no select', () => {
    expect(run({ select: ['', '   '] })).toEqual(sorted([...MODELS, SEED, ...TESTS]));
    expect(selectNodes(manifest, { select: [] }).warnings).toEqual([]);
  });

  it('filters by resource type', () => {
    expect(run({ resourceTypes: ['model'] })).toEqual(sorted(MODELS));
    expect(run({ resourceTypes: ['source'] })).toEqual(sorted([SRC_EVENTS, SRC_USERS]));
    expect(run({ resourceTypes: ['test', 'seed'] })).toEqual(sorted([SEED, ...TESTS]));
  });
});

describe('bare names and fqn', () => {
  it('selects a model by name, with its tests (eager indirect selection)', () => {
    expect(run({ select: ['dim_users'] })).toEqual(sorted([DIM_USERS, T_NOT_NULL, T_REL]));
    expect(models('dim_users')).toEqual([DIM_USERS]);
  });

  it('does not add tests when indirect selection is off', () => {
    expect(run({ select: ['dim_users'], indirectTests: false })).toEqual([DIM_USERS]);
  });

  it('matches dotted fully qualified names, with or without the project', () => {
    expect(models('sparkify.marts.dim_users')).toEqual([DIM_USERS]);
    expect(models('marts.dim_users')).toEqual([DIM_USERS]);
    expect(run({ select: ['fqn:staging.stg_users'], indirectTests: false })).toEqual([STG_USERS]);
  });

  it('treats an fqn prefix as a folder', () => {
    expect(models('marts')).toEqual(sorted([DIM_USERS, FCT_EVENTS, DAILY]));
    expect(models('marts.reports')).toEqual([DAILY]);
    expect(run({ select: ['staging'], indirectTests: false })).toEqual(sorted([STG_EVENTS, STG_USERS, T_UNIQUE, T_SRC]));
  });

  it('supports shell-style wildcards on names and fqn parts', () => {
    expect(models('dim_*')).toEqual([DIM_USERS]);
    expect(models('*_events')).toEqual(sorted([STG_EVENTS, FCT_EVENTS]));
    expect(models('stg_?sers')).toEqual([STG_USERS]);
    expect(models('marts.*')).toEqual(sorted([DIM_USERS, FCT_EVENTS, DAILY]));
    expect(models('sparkify.staging.*')).toEqual(sorted([STG_EVENTS, STG_USERS]));
  });

  it('never matches sources by bare name', () => {
    expect(run({ select: ['events'], resourceTypes: ALL_TYPES }).length).toBe(0);
  });
});

describe('graph operators', () => {
  it('+name selects all ancestors, sources included', () => {
    expect(run({ select: ['+dim_users'], resourceTypes: ['model', 'seed', 'source'] })).toEqual(sorted([DIM_USERS, STG_USERS, SRC_USERS, SEED]));
    // and eager selection adds every test touching any of them
    expect(run({ select: ['+dim_users'] })).toEqual(sorted([DIM_USERS, STG_USERS, SEED, T_UNIQUE, T_NOT_NULL, T_REL, T_SINGULAR]));
  });

  it('name+ selects all descendants, skipping disabled ones', () => {
    expect(models('dim_users+')).toEqual(sorted([DIM_USERS, FCT_EVENTS, DAILY]));
    expect(run({ select: ['dim_users+'], indirectTests: false })).toEqual(sorted([DIM_USERS, FCT_EVENTS, DAILY, T_NOT_NULL, T_REL, T_SINGULAR]));
  });

  it('+name+ selects both directions', () => {
    expect(models('+dim_users+')).toEqual(sorted([STG_USERS, DIM_USERS, FCT_EVENTS, DAILY]));
  });

  it('n+name and name+n limit the depth', () => {
    expect(run({ select: ['1+fct_events'], resourceTypes: ['model', 'seed', 'source'] })).toEqual(sorted([FCT_EVENTS, STG_EVENTS, DIM_USERS]));
    expect(run({ select: ['2+fct_events'], resourceTypes: ['model', 'seed', 'source'] })).toEqual(
      sorted([FCT_EVENTS, STG_EVENTS, DIM_USERS, SRC_EVENTS, STG_USERS, SEED]),
    );
    expect(models('stg_users+1')).toEqual(sorted([STG_USERS, DIM_USERS]));
    expect(models('stg_users+2')).toEqual(sorted([STG_USERS, DIM_USERS, FCT_EVENTS]));
    expect(models('1+dim_users+1')).toEqual(sorted([STG_USERS, DIM_USERS, FCT_EVENTS]));
    expect(run({ select: ['stg_users+1'], indirectTests: false })).toEqual(sorted([STG_USERS, DIM_USERS, T_UNIQUE, T_SINGULAR]));
    expect(run({ select: ['stg_users+1'] })).toEqual(sorted([STG_USERS, DIM_USERS, T_UNIQUE, T_SINGULAR, T_NOT_NULL, T_REL]));
  });

  it('@name adds the ancestors of all descendants', () => {
    // stg_events is a parent of fct_events, a descendant of dim_users; +dim_users+ would miss it.
    expect(models('@dim_users')).toEqual(sorted(MODELS));
    expect(run({ select: ['@stg_users'], resourceTypes: ['source'] })).toEqual(sorted([SRC_EVENTS, SRC_USERS]));
    // on a leaf, @ is the same as +name
    expect(models('@daily_summary')).toEqual(models('+daily_summary'));
    expect(models('@daily_summary')).toEqual(sorted(MODELS));
  });

  it('applies operators to every node a method matched', () => {
    expect(models('tag:staging+1')).toEqual(sorted([STG_EVENTS, STG_USERS, DIM_USERS, FCT_EVENTS]));
    expect(run({ select: ['+source:raw.events'], resourceTypes: ALL_TYPES, indirectTests: false })).toEqual([SRC_EVENTS]);
    expect(models('source:raw.events+')).toEqual(sorted([STG_EVENTS, FCT_EVENTS, DAILY]));
  });
});

describe('methods', () => {
  it('tag:', () => {
    expect(models('tag:daily')).toEqual(sorted([DIM_USERS, FCT_EVENTS]));
    expect(models('tag:pii')).toEqual(sorted([STG_USERS, DIM_USERS]));
    expect(models('tag:dai*')).toEqual(sorted([DIM_USERS, FCT_EVENTS]));
    expect(run({ select: ['tag:raw'], resourceTypes: ['source'] })).toEqual([SRC_EVENTS]);
  });

  it('path: folders, files and globs', () => {
    expect(models('path:models/marts')).toEqual(sorted([DIM_USERS, FCT_EVENTS, DAILY]));
    expect(models('path:models/marts/')).toEqual(sorted([DIM_USERS, FCT_EVENTS, DAILY]));
    expect(models('path:./models/marts/reports')).toEqual([DAILY]);
    expect(models('path:models/marts/dim_users.sql')).toEqual([DIM_USERS]);
    expect(models('path:models/*/stg_*.sql')).toEqual(sorted([STG_EVENTS, STG_USERS]));
    expect(models('path:models/mart')).toEqual([]);
    expect(run({ select: ['path:tests'] })).toEqual([T_SINGULAR]);
    expect(run({ select: ['path:models/marts'] })).toEqual(sorted([DIM_USERS, FCT_EVENTS, DAILY, T_NOT_NULL, T_REL, T_SINGULAR]));
  });

  it('a bare value with a slash is a path', () => {
    expect(run({ select: ['models/staging'], resourceTypes: ALL_TYPES, indirectTests: false })).toEqual(
      sorted([STG_EVENTS, STG_USERS, SRC_EVENTS, SRC_USERS, T_UNIQUE, T_SRC]),
    );
    expect(models('models/marts/fct_events.sql')).toEqual([FCT_EVENTS]);
  });

  it('file:', () => {
    expect(models('file:dim_users.sql')).toEqual([DIM_USERS]);
    expect(run({ select: ['file:schema.yml'], indirectTests: false })).toEqual(sorted([T_UNIQUE, T_NOT_NULL, T_REL]));
  });

  it('config.<key>:', () => {
    expect(models('config.materialized:table')).toEqual(sorted([DIM_USERS, DAILY]));
    expect(models('config.materialized:incremental')).toEqual([FCT_EVENTS]);
    expect(models('config.materialized:view')).toEqual(sorted([STG_EVENTS, STG_USERS]));
    expect(models('config.unique_key:user_id')).toEqual([FCT_EVENTS]);
    expect(models('config.tags:pii')).toEqual(sorted([STG_USERS, DIM_USERS]));
    expect(models('config.full_refresh:false')).toEqual([DIM_USERS]);
    expect(models('config.full_refresh:False')).toEqual([DIM_USERS]);
    expect(models('config.meta.owner:analytics')).toEqual([DAILY]);
    expect(models('config.meta.priority:1')).toEqual([DAILY]);
    expect(models('config.materialized:Table')).toEqual([]);
    expect(run({ select: ['config.severity:WARN'], indirectTests: false })).toEqual([T_NOT_NULL]);
  });

  it('resource_type:', () => {
    expect(run({ select: ['resource_type:seed'] })).toEqual([SEED]);
    expect(run({ select: ['resource_type:model'], indirectTests: false })).toEqual(sorted(MODELS));
    expect(run({ select: ['resource_type:test'] })).toEqual(sorted(TESTS));
    expect(run({ select: ['resource_type:source'], resourceTypes: ALL_TYPES, indirectTests: false })).toEqual(sorted([SRC_EVENTS, SRC_USERS]));
  });

  it('source:', () => {
    expect(run({ select: ['source:raw'], resourceTypes: ['source'] })).toEqual(sorted([SRC_EVENTS, SRC_USERS]));
    expect(run({ select: ['source:raw.events'], resourceTypes: ['source'] })).toEqual([SRC_EVENTS]);
    expect(run({ select: ['source:sparkify.raw.users'], resourceTypes: ['source'] })).toEqual([SRC_USERS]);
    expect(run({ select: ['source:raw.*'], resourceTypes: ['source'] })).toEqual(sorted([SRC_EVENTS, SRC_USERS]));
    // default resource types drop the source itself but keep its tests
    expect(run({ select: ['source:raw.events'] })).toEqual([T_SRC]);
  });

  it('test_type: and test_name:', () => {
    expect(run({ select: ['test_type:generic'] })).toEqual(sorted([T_UNIQUE, T_NOT_NULL, T_REL, T_SRC]));
    expect(run({ select: ['test_type:singular'] })).toEqual([T_SINGULAR]);
    expect(run({ select: ['test_type:data'] })).toEqual(sorted(TESTS));
    expect(run({ select: ['test_name:not_null'] })).toEqual(sorted([T_NOT_NULL, T_SRC]));
    expect(run({ select: ['test_name:relationships'] })).toEqual([T_REL]);
    expect(run({ select: ['test_name:not_*'] })).toEqual(sorted([T_NOT_NULL, T_SRC]));
  });

  it('package: and fqn:', () => {
    expect(models('package:sparkify')).toEqual(sorted(MODELS));
    expect(models('package:spark*')).toEqual(sorted(MODELS));
    expect(models('fqn:dim_users')).toEqual([DIM_USERS]);
    expect(models('fqn:*')).toEqual(sorted(MODELS));
  });
});

describe('set operators', () => {
  it('union: spaces within an argument and separate arguments', () => {
    expect(models('stg_events dim_users')).toEqual(sorted([STG_EVENTS, DIM_USERS]));
    expect(models('stg_events', 'dim_users')).toEqual(sorted([STG_EVENTS, DIM_USERS]));
    expect(models('  stg_events   ', '', '\tdim_users  daily_summary ')).toEqual(sorted([STG_EVENTS, DIM_USERS, DAILY]));
  });

  it('intersection: commas within one criterion', () => {
    expect(models('tag:daily,config.materialized:table')).toEqual([DIM_USERS]);
    expect(models('tag:pii,path:models/staging')).toEqual([STG_USERS]);
    expect(models('+fct_events,tag:staging')).toEqual(sorted([STG_EVENTS, STG_USERS]));
  });

  it('intersects after eager expansion, as dbt does', () => {
    // T_REL depends on dim_users (daily, table), so both criteria select it; T_SINGULAR only the first.
    expect(run({ select: ['tag:daily,config.materialized:table'] })).toEqual(sorted([DIM_USERS, T_NOT_NULL, T_REL]));
    // "tests of one model"
    expect(run({ select: ['dim_users,resource_type:test'] })).toEqual(sorted([T_NOT_NULL, T_REL]));
    expect(run({ select: ['stg_users,test_type:singular'] })).toEqual([T_SINGULAR]);
  });

  it('union of intersections', () => {
    expect(models('tag:daily,config.materialized:table stg_events')).toEqual(sorted([DIM_USERS, STG_EVENTS]));
  });
});

describe('exclude', () => {
  it('removes the excluded nodes and the tests that depend on them', () => {
    expect(run({ exclude: ['dim_users'] })).toEqual(sorted([STG_EVENTS, STG_USERS, FCT_EVENTS, DAILY, SEED, T_UNIQUE, T_SRC, T_SINGULAR]));
  });

  it('uses the full language', () => {
    expect(run({ select: ['+fct_events'], exclude: ['stg_users+'] })).toEqual(sorted([STG_EVENTS, SEED, T_SRC]));
    expect(models('marts', 'staging')).toEqual(sorted(MODELS));
    expect(run({ select: ['marts staging'], exclude: ['tag:daily,config.materialized:incremental daily_summary'], resourceTypes: ['model'] })).toEqual(
      sorted([STG_EVENTS, STG_USERS, DIM_USERS]),
    );
  });

  it('can exclude a test itself and keep its model', () => {
    expect(run({ select: ['fct_events'], exclude: ['test_type:singular'] })).toEqual(sorted([FCT_EVENTS, T_REL]));
    expect(run({ select: ['dim_users'], exclude: [T_NOT_NULL.split('.').pop()!] })).toEqual(sorted([DIM_USERS, T_REL]));
  });

  it('removes dependent tests even when indirect selection is off', () => {
    expect(run({ select: ['resource_type:test'], exclude: ['stg_users'], indirectTests: false })).toEqual(sorted([T_NOT_NULL, T_REL, T_SRC]));
  });

  it('ignores empty exclude arguments', () => {
    expect(run({ select: ['dim_users'], exclude: ['', ' '] })).toEqual(sorted([DIM_USERS, T_NOT_NULL, T_REL]));
  });
});

describe('disabled nodes', () => {
  it('are never selected, directly or through the graph', () => {
    const r = selectNodes(manifest, { select: ['old_model tag:legacy'] });
    expect(sorted(r.selected)).toEqual([]);
    expect(r.warnings).toEqual([
      "The selection criterion 'old_model' does not match any enabled nodes",
      "The selection criterion 'tag:legacy' does not match any enabled nodes",
    ]);
    expect(run({ select: ['+dim_users+'], resourceTypes: ALL_TYPES })).not.toContain(OLD);
    expect(run({ select: ['test_name:not_null'] })).not.toContain(T_DISABLED);
    expect(run({ resourceTypes: ALL_TYPES })).toEqual(sorted([...MODELS, SEED, ...TESTS, SRC_EVENTS, SRC_USERS]));
  });
});

describe('warnings', () => {
  it('warns with suggestions when a name matches nothing', () => {
    const r = selectNodes(manifest, { select: ['dim_userz'] });
    expect(sorted(r.selected)).toEqual([]);
    expect(r.warnings).toEqual(["The selection criterion 'dim_userz' does not match any enabled nodes. Did you mean 'dim_users', 'stg_users'?"]);
  });

  it('reports a repeated criterion once', () => {
    expect(selectNodes(manifest, { select: ['tag:nope', 'tag:nope'] }).warnings).toEqual(["The selection criterion 'tag:nope' does not match any enabled nodes"]);
  });

  it('keeps the other criteria of the union', () => {
    const r = selectNodes(manifest, { select: ['fct_evnts stg_events'], resourceTypes: ['model'] });
    expect(sorted(r.selected)).toEqual([STG_EVENTS]);
    expect(r.warnings).toEqual(["The selection criterion 'fct_evnts' does not match any enabled nodes. Did you mean 'fct_events', 'stg_events'?"]);
  });

  it('names the whole criterion, operators included', () => {
    expect(selectNodes(manifest, { select: ['+daily_sumary+'] }).warnings).toEqual([
      "The selection criterion '+daily_sumary+' does not match any enabled nodes. Did you mean 'daily_summary'?",
    ]);
  });

  it('warns without suggestions for methods and empty intersections', () => {
    expect(selectNodes(manifest, { select: ['tag:nope'] }).warnings).toEqual(["The selection criterion 'tag:nope' does not match any enabled nodes"]);
    expect(selectNodes(manifest, { select: ['tag:daily,resource_type:seed'] }).warnings).toEqual([
      "The selection criterion 'tag:daily,resource_type:seed' does not match any enabled nodes",
    ]);
    expect(selectNodes(manifest, { select: ['zzzzzzzzzz'] }).warnings).toEqual(["The selection criterion 'zzzzzzzzzz' does not match any enabled nodes"]);
  });

  it('warns for exclude criteria too', () => {
    const r = selectNodes(manifest, { select: ['dim_users'], exclude: ['dim_user'], indirectTests: false });
    expect(sorted(r.selected)).toEqual([DIM_USERS]);
    expect(r.warnings).toEqual(["The selection criterion 'dim_user' does not match any enabled nodes. Did you mean 'dim_users', 'stg_users'?"]);
  });

  it('does not warn when criteria match nodes that the resource type filter then drops', () => {
    const r = selectNodes(manifest, { select: ['source:raw'], resourceTypes: ['model'] });
    expect(sorted(r.selected)).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe('errors', () => {
  const fails = (opts: SelectOptions, message: RegExp) => {
    expect(() => selectNodes(manifest, opts)).toThrow(SelectorError);
    expect(() => selectNodes(manifest, opts)).toThrow(message);
  };

  it('rejects unknown methods, listing the valid ones', () => {
    fails({ select: ['colour:red'] }, /'colour' is not a valid method name\. Valid methods: fqn, tag, path, file, package, config, resource_type, source, test_name, state, test_type$/);
    fails({ exclude: ['tagg:daily'] }, /'tagg' is not a valid method name/);
  });

  it('rejects @ combined with +', () => {
    fails({ select: ['@dim_users+'] }, /'@dim_users\+': the '@' operator cannot be combined with '\+'/);
    fails({ select: ['@+dim_users'] }, /cannot be combined/);
  });

  it('rejects criteria without a value', () => {
    fails({ select: ['tag:'] }, /Invalid selector spec 'tag:': no search value/);
    fails({ select: ['+'] }, /Invalid selector spec '\+': no search value/);
  });

  it('rejects empty intersection parts', () => {
    fails({ select: ['tag:daily,'] }, /Invalid selector spec 'tag:daily,': empty criterion in an intersection/);
    fails({ select: ['a,,b'] }, /empty criterion/);
  });

  it('rejects bad method arguments and values', () => {
    fails({ select: ['config:table'] }, /the config method needs a key, e\.g\. 'config\.materialized:table'/);
    fails({ select: ['tag.x:daily'] }, /method 'tag' takes no dotted arguments/);
    fails({ select: ['resource_type:analysis'] }, /unknown resource_type 'analysis'\. Valid: model, test, seed, source, snapshot/);
    fails({ select: ['test_type:unit'] }, /unknown test_type 'unit'\. Valid: generic, singular/);
    fails({ select: ['source:a.b.c.d'] }, /sources are selected as source:<source_name>/);
  });

  it('is a usage error (exit code 2)', () => {
    try {
      selectNodes(manifest, { select: ['colour:red'] });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect((err as SelectorError).name).toBe('SelectorError');
      expect((err as SelectorError).exitCode).toBe(2);
    }
  });
});

describe('state', () => {
  it('state:modified selects nodes whose checksum differs from the recorded one, or that were never built', () => {
    const checksums = new Map<string, string>();
    for (const n of manifest.nodes.values()) {
      n.checksum = `sum-${n.unique_id}`;
      checksums.set(n.unique_id, n.checksum);
    }
    try {
      expect(run({ select: ['state:modified'], state: checksums })).toEqual([]);
      manifest.nodes.get(DIM_USERS)!.checksum = 'edited';
      checksums.delete(SEED);
      expect(run({ select: ['state:modified'], state: checksums, resourceTypes: ['model', 'seed'] })).toEqual(sorted([DIM_USERS, SEED]));
      expect(run({ select: ['state:new'], state: checksums, resourceTypes: ['model', 'seed'] })).toEqual([SEED]);
      expect(run({ select: ['state:modified+'], state: checksums, resourceTypes: ['model'] })).toEqual(
        sorted(run({ select: ['dim_users+'], resourceTypes: ['model'] })),
      );
      expect(() => run({ select: ['state:changed'], state: checksums })).toThrow(/state takes 'modified'/);
    } finally {
      for (const n of manifest.nodes.values()) delete n.checksum;
    }
  });
});
