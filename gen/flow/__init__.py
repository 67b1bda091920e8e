"""The flow: design points, the Family interface, one gate-level bench, one cache."""
