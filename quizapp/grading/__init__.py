"""Answer parsing (never eval), comparison per kind, and live grading against the runner."""
