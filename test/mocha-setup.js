// Loaded by .mocharc.js ahead of the spec files (mocha's `file` option). Mocha stops with
// "No test files found" when no spec file matches its globs, so a test kind that has no files
// yet (no *.unit.spec.ts anywhere, say) would fail `npm run test:unit`; with this file always
// loaded, that kind runs zero tests and passes. It defines no tests or hooks of its own.
export {};
