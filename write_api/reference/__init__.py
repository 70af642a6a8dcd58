"""Reference data every context shares: categories and modalities (the lowest write-side layer but the log)."""
