"""Study-group sessions: scheduling across zones, RSVP, reminders, weekly recurrence and calendars."""
