"""ActivityPub federation (see docs/architecture.md)."""
