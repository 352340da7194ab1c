/**
 * The layering of src/ (docs/ARCHITECTURE.md, "Layers") as an ESLint rule. Each import is
 * resolved against the importing file, so the rule holds at any depth of a directory:
 *
 *   core/                 imports core/ only
 *   engines/*.ts          (the interface, engine.ts) imports core/ and itself
 *   engines/NAME/         imports core/, the interface and NAME/ itself: no other engine
 *   debug/                imports core/, the interface and debug/: never an engine's own files
 *   cli/                  imports anything (it is where an engine is picked)
 */
import { dirname, relative, resolve, sep } from 'node:path';

/** The layer of a file under src/, or undefined for files elsewhere (tests' fixtures, scripts). */
function layerOf(file, srcDir) {
  const parts = relative(srcDir, file).split(sep);
  if (parts[0] === '..' || parts.length < 2) return undefined;
  const [top, second] = parts;
  if (top === 'engines') return parts.length === 2 ? { name: 'engines' } : { name: 'engine', engine: second };
  if (top === 'core' || top === 'debug' || top === 'cli') return { name: top };
  return undefined;
}

const ALLOWED = {
  core: (to) => to.name === 'core',
  engines: (to) => to.name === 'core' || to.name === 'engines',
  engine: (to, from) => to.name === 'core' || to.name === 'engines' || (to.name === 'engine' && to.engine === from.engine),
  debug: (to) => to.name === 'core' || to.name === 'engines' || to.name === 'debug',
  cli: () => true,
};

function describe(layer) {
  return layer.name === 'engine' ? `engines/${layer.engine}/` : layer.name === 'engines' ? 'the engine interface (engines/*.ts)' : `${layer.name}/`;
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'keeps the layers of src/ apart (docs/ARCHITECTURE.md, "Layers")' },
    schema: [{ type: 'object', properties: { srcDir: { type: 'string' } }, required: ['srcDir'], additionalProperties: false }],
    messages: { crossing: '{{from}} may not import {{to}} ({{source}}); see docs/ARCHITECTURE.md, "Layers".' },
  },
  create(context) {
    const srcDir = resolve(context.options[0].srcDir);
    const from = layerOf(resolve(context.filename), srcDir);
    if (from === undefined) return {};
    const check = (node) => {
      const source = node?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(resolve(dirname(resolve(context.filename)), source), srcDir);
      if (to === undefined || ALLOWED[from.name](to, from)) return;
      context.report({ node, messageId: 'crossing', data: { from: describe(from), to: describe(to), source } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};
