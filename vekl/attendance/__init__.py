"""Attendance: who came to which evening, marked by moderators and organisers, counted for
the monitoring report."""
