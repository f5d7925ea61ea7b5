// @ts-check
/**
 * A local ESLint rule that keeps the layers of docs/ARCHITECTURE.md apart.
 * Each layer lists the folders its relative imports may resolve into and the
 * bare module names it may not import (I/O modules for the pure codecs).
 */
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** @type {import('eslint').Rule.RuleModule} */
export const allowedImports = {
  meta: {
    type: 'problem',
    schema: [{
      type: 'object',
      properties: {
        allow: { type: 'array', items: { type: 'string' } },
        denyModules: { type: 'array', items: { type: 'string' } },
        why: { type: 'string' },
      },
      additionalProperties: false,
    }],
  },
  create(context) {
    const options = context.options[0] ?? {};
    const allow = (options.allow ?? []).map((p) => path.join(root, p));
    const deny = new Set(options.denyModules ?? []);
    const why = options.why ?? 'layer rule';
    const file = context.filename;
    /** @param {import('estree').Node & { source?: any }} node */
    const check = (node) => {
      const source = node.source;
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        if (!allow.some((dir) => target === dir || target.startsWith(dir + path.sep))) {
          context.report({ node: source, message: `'${spec}' crosses a layer boundary: ${why}` });
        }
      } else if (deny.has(spec) || deny.has(spec.replace(/^node:/, ''))) {
        context.report({ node: source, message: `'${spec}' is not allowed here: ${why}` });
      }
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { rules: { 'allowed-imports': allowedImports } };
