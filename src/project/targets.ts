import Handlebars from 'handlebars';
import { SparkifyError, didYouMean } from '../core/errors.js';
import type { Project } from './load.js';
import type { TargetConfig } from './schema.js';

/**
 * Pick the target (--target, else default-target, else 'dev', else the first) and render {{env "NAME"}}
 * in its string settings, so secrets live in the environment and never in project.yml.
 */
export function resolveTarget(project: Project, requested: string | undefined, env: Record<string, string | undefined>): { name: string; config: TargetConfig } {
  const targets = project.config.targets;
  const names = Object.keys(targets);
  const name = requested ?? project.config['default-target'] ?? (targets.dev ? 'dev' : names[0]);
  if (!name || !targets[name]) {
    throw new SparkifyError(`unknown target '${name ?? ''}'`, {
      location: project.projectYaml.locate(['targets']),
      hint: `Targets in project.yml: ${names.join(', ') || '(none)'}. ${didYouMean(name ?? '', names)}`,
    });
  }
  const hb = Handlebars.create();
  hb.registerHelper('env', (...a: unknown[]) => {
    const [v, fallback] = a.slice(0, -1) as [string, unknown];
    const value = env[v];
    if (value !== undefined && value !== '') return value;
    if (a.length > 2) return fallback;
    throw new SparkifyError(`environment variable ${v} is not set (target '${name}' needs it)`, {
      location: project.projectYaml.locate(['targets', name]),
      hint: `Set ${v}, or give a default: {{env "${v}" "value"}}.`,
    });
  });
  const rendered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(targets[name])) {
    rendered[k] = typeof v === 'string' && v.includes('{{') ? hb.compile(v, { noEscape: true })({}) : v;
  }
  return { name, config: rendered as TargetConfig };
}
