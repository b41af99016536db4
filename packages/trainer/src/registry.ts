/**
 * The method registry: built-in methods, methods registered in code with `registerMethod`, and
 * methods found by discovery: every installed package named `@lab/<name>` that exports `method` or
 * `methods`. Demos come with the methods that declare them, or through `registerDemo`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MethodNotFoundError } from './errors.js';
import type { AnyMethod, Demo } from './method.js';

const methods = new Map<string, { method: AnyMethod; source: string }>();
const demos = new Map<string, Demo>();
let discovered = false;

/** Packages that are part of the framework, never method packages. */
const CORE = new Set(['tensor', 'data', 'models', 'trainer', 'eval', 'cli']);

/** Adds a method (and its demos). A later registration of the same name replaces the earlier one. */
export function registerMethod(method: AnyMethod, source = 'registerMethod'): void {
  if (!method?.name || typeof method.run !== 'function' || !method.config?.schema) {
    throw new Error(`registerMethod: ${source} does not provide a Method (name, config made with defineConfig, run); build it with defineMethod`);
  }
  methods.set(method.name, { method, source });
  for (const demo of method.demos ?? []) demos.set(demo.name, demo);
}

export function registerDemo(demo: Demo): void {
  demos.set(demo.name, demo);
}

/** Folders named node_modules/@lab above `from`, nearest first. */
function scopeFolders(from: string): string[] {
  const out: string[] = [];
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, 'node_modules', '@lab');
    if (existsSync(candidate)) out.push(candidate);
    const parent = dirname(dir);
    if (parent === dir) return out;
    dir = parent;
  }
}

function entryOf(packageDir: string): string | null {
  const manifestPath = join(packageDir, 'package.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: unknown; main?: string };
  const root = (manifest.exports as Record<string, unknown> | undefined)?.['.'];
  const target = typeof root === 'string' ? root : ((root as { import?: string; default?: string } | undefined)?.import ?? (root as { default?: string } | undefined)?.default ?? manifest.main);
  if (!target) return null;
  const path = join(packageDir, target);
  return existsSync(path) ? path : null;
}

export interface DiscoveryProblem {
  packageName: string;
  reason: string;
}

/**
 * Imports every `@lab/*` package installed near the working directory or this package, and
 * registers the methods they export. Packages without a built entry are skipped and reported.
 */
export async function discoverMethods(from: readonly string[] = [process.cwd(), dirname(fileURLToPath(import.meta.url))]): Promise<DiscoveryProblem[]> {
  const problems: DiscoveryProblem[] = [];
  const seen = new Set<string>();
  for (const folder of from.flatMap(scopeFolders)) {
    for (const name of readdirSync(folder)) {
      if (CORE.has(name) || seen.has(name)) continue;
      seen.add(name);
      const entry = entryOf(join(folder, name));
      if (!entry) {
        problems.push({ packageName: `@lab/${name}`, reason: 'has no built entry point (run npm run build)' });
        continue;
      }
      try {
        const module = (await import(pathToFileURL(entry).href)) as { method?: AnyMethod; methods?: AnyMethod[]; demos?: Demo[] };
        const found = [...(module.method ? [module.method] : []), ...(module.methods ?? [])];
        for (const method of found) if (!methods.has(method.name)) registerMethod(method, `@lab/${name}`);
        for (const demo of module.demos ?? []) demos.set(demo.name, demo);
      } catch (error) {
        problems.push({ packageName: `@lab/${name}`, reason: (error as Error).message.split('\n')[0] });
      }
    }
  }
  discovered = true;
  return problems;
}

async function ensureDiscovered(): Promise<void> {
  if (!discovered) await discoverMethods();
}

export async function findMethod(name: string): Promise<AnyMethod> {
  if (!methods.has(name)) await ensureDiscovered();
  const entry = methods.get(name);
  if (!entry) throw new MethodNotFoundError(name, [...methods.keys()].sort());
  return entry.method;
}

export async function listMethods(): Promise<{ method: AnyMethod; source: string }[]> {
  await ensureDiscovered();
  return [...methods.values()].sort((a, b) => a.method.name.localeCompare(b.method.name));
}

export async function listDemos(): Promise<Demo[]> {
  await ensureDiscovered();
  return [...demos.values()].sort((a, b) => a.name.localeCompare(b.name));
}
