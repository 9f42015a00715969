// dbt's four generic tests, shipped as generic test templates: the same kind of file as a project's own
// tests/generic/<name>.sql, read by the same code (testing/generic.ts). Every project has them, as every
// dbt project has the global project's; a project's tests/generic/unique.sql replaces the built-in one.
// Typed parameters (`field: column`, `to: relation`, `values: literals`) are how a template asks for an
// identifier quoted by the target's dialect, a relation, or SQL literals (see testing/generic.ts).

/** Where the built-ins say they are, in errors and in target/manifest.json. */
export const BUILTIN_TESTS_DIR = 'sparkify:tests/generic';

const TEMPLATES: Record<string, string> = {
  unique: `{{!-- test unique(model, column_name) --}}
select {{column_name}} as unique_field, count(*) as n_records
from {{model}}
where {{column_name}} is not null
group by {{column_name}}
having count(*) > 1
`,
  not_null: `{{!-- test not_null(model, column_name) --}}
select *
from {{model}}
where {{column_name}} is null
`,
  accepted_values: `{{!-- test accepted_values(model, column_name, values: literals, quote=true) --}}
select {{column_name}} as value_field, count(*) as n_records
from {{model}}
where {{column_name}} is not null
  and {{column_name}} not in ({{#each values}}{{#if @index}}, {{/if}}{{this}}{{/each}})
group by {{column_name}}
`,
  relationships: `{{!-- test relationships(model, column_name, to: relation, field: column) --}}
with child as (
    select {{column_name}} as from_field
    from {{model}}
    where {{column_name}} is not null
),
parent as (
    select {{field}} as to_field
    from {{to}}
)
select from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null
`,
};

/** As project files (load.ts's ProjectFile: file, relPath, text). */
export const BUILTIN_TESTS: readonly { file: string; relPath: string; text: string }[] = Object.entries(TEMPLATES).map(([name, text]) => ({
  file: `${BUILTIN_TESTS_DIR}/${name}.sql`,
  relPath: `generic/${name}.sql`,
  text,
}));
