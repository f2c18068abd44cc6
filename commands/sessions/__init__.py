"""Study sessions: plain-language times, RSVP with a waitlist, reminders, weekly series, calendars, attendance."""
