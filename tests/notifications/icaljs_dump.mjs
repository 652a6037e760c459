// Reads one iCalendar file from stdin and prints, as JSON, what Thunderbird's calendar parser
// (ical.js) makes of it. Times are converted to UTC with the VTIMEZONE found in the file itself:
// ical.js knows no time zone database, so a wrong or missing VTIMEZONE shows up as a wrong time.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));

const timezones = calendar.getAllSubcomponents("vtimezone").map((component) => {
  ICAL.TimezoneService.register(component);
  return component.getFirstPropertyValue("tzid");
});

const text = (value) => (value === null || value === undefined ? null : String(value));

const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const organizer = component.getFirstProperty("organizer");
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: text(component.getFirstPropertyValue("status")),
    summary: event.summary,
    description: event.description,
    location: event.location,
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    startZone: event.startDate.zone ? event.startDate.zone.tzid : null,
    dtstamp: text(component.getFirstPropertyValue("dtstamp")),
    organizer: organizer
      ? { value: organizer.getFirstValue(), cn: text(organizer.getParameter("cn")) }
      : null,
    attendees: event.attendees.map((attendee) => ({
      value: attendee.getFirstValue(),
      cn: text(attendee.getParameter("cn")),
      rsvp: text(attendee.getParameter("rsvp")),
      partstat: text(attendee.getParameter("partstat")),
      role: text(attendee.getParameter("role")),
    })),
  };
});

process.stdout.write(
  JSON.stringify({
    method: text(calendar.getFirstPropertyValue("method")),
    prodid: text(calendar.getFirstPropertyValue("prodid")),
    version: text(calendar.getFirstPropertyValue("version")),
    name: text(calendar.getFirstPropertyValue("x-wr-calname")),
    timezones,
    events,
  }),
);
