"""Customers, identity, catalog, subscriptions, business-hall service orders, interactions."""
