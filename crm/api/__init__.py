"""The crm REST API under /api/v1/: customers, accounts, lines, catalog, orders, contacts."""
