"""Study sessions: plain-language start times, the rules for what a session may hold, weekly recurrence in local
wall time, and their calendars (RFC 5545). Pure core: no storage and no platform here."""
