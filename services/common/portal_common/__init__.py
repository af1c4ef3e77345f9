"""Shared building blocks of the family-portal services."""
