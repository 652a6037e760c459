"""Renders calendar files and mails, and sends them; takes plain typed data, knows no database."""
