"""Billing statements: the invoice ledger fed by the structure's invoicing system, and "Vos relevés de
facturation" (period statements, PDF, for the childcare tax credit)."""
