"""The session lifecycle of workshops and courses: schedule, move, cancel (routes under a service's sessions).

A layer above ``bookings`` (see pyproject.toml's layers contract): scheduling checks the practitioner's
busy time, which bookings own, and cancelling releases the seats booked in the session. The
``ServiceSession`` rows themselves belong to the catalogue's models.
"""
