"""Prepaid ledger, top-ups, usage rating, bills, invoices, promotions, instalments."""
