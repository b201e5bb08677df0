"""A test-only app with one scoped model, to exercise the access mechanism on every axis
(programme, place, owner organisation, sensitivity) independently of any domain app."""
