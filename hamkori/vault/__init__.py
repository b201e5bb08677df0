"""The personal-data vault: names and contact details of people, encrypted at rest (ADR 0003)."""
