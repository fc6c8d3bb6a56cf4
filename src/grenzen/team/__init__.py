"""The mentor team's and integrators' tools: batch advice over JSON Lines and the samenhang report."""
