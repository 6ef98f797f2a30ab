"""Pure data and protocols shared by every layer: no Qt, no torch (stdlib + numpy only)."""
