"""Personal calendars: stable evening UIDs (``uids``) and a person's evenings as calendar data
for their page, the ``.ics`` download and the subscription feed (``personal``)."""
