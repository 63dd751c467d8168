// Loaded by .mocharc.js ahead of the spec files (mocha's `file` option). It defines no tests or
// hooks of its own. A test kind with no files does not reach it: .mocharc.js fails that run.
export {};
