"""Trouble tickets, SLA and escalation, follow-up surveys and callbacks."""
