"""Study sessions: plain-language start times, the rules for what a session may hold, and weekly recurrence in
local wall time. Pure core: no storage and no platform here."""
