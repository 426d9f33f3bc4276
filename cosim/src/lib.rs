//! Co-simulation (filled in by issue 2).
