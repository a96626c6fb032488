"""The complaints REST API under /api/v1/: tickets, their moves, and survey callbacks."""
