"""Pure analytics: DataFrames in, DataFrames out, inputs never mutated."""
