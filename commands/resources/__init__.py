"""The resource library: search it, open an entry, mark it helpful, and suggest the community's own."""
