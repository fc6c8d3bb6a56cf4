"""The policy writers' toolkit: examples and coverage, controleer's analysis, verschil, beleid, tabel and schema."""
