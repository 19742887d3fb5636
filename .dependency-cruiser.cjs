/**
 * `npm run check` fails on any import cycle in worker/, portal/ and db/, type-only imports
 * included: a cycle is a layer that knows about a layer above it (see docs/architecture.md).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle (type-only imports count): move the shared piece down a layer.',
      from: { path: '^(worker|portal|db)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|\\.wrangler)/' },
    // Type-only imports are dependencies too: `import type` cycles still tie the layers together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
}
