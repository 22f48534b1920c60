"""Demo data: a realistic first quarter of 2026 for Dacheng (大程镇), loaded through the public HTTP APIs."""
