"""Staff: the roster and sign-in, overrides, and the hash-chained audit log."""
