"""The resource library (curated entries plus each community's approved ones, searched on the database's own
full-text engine) and each member's roadmap of the IMG pathway."""
