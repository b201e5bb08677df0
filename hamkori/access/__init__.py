"""Access: grants, scoping, the permission registry (see docs/adr/0002 and 0007)."""
