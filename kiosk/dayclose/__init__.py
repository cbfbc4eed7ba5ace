"""The clerk's end-of-day close (日结): reports, counted figures, the day lock, printing."""
