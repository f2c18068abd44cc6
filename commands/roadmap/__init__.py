"""Each member's checklist of the IMG pathway, and an admin's count of where the community stands."""
