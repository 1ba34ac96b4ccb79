"""HTTP routes: `operator` for people and tools, `device` for the daemons."""
