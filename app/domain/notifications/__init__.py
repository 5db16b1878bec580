"""Notifications (CONTRACT section 8): notices stored once per occurrence, derived when due."""
