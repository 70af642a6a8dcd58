"""The write API: commands validated and stored in PostgreSQL, each appending events to the log."""
