"""Performance scripts; results, with the command that produced each, in docs/benchmarks.md."""
