
""" A client library for accessing Portail famille — API publique (gestion du compte) """
from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
