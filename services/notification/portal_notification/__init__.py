"""Notification service: channel and category preferences, push and email delivery, home-page feed."""
