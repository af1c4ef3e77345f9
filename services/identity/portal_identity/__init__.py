"""Identity service: accounts, credentials, sessions, signing keys and the activity history."""
